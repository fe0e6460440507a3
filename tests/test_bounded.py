"""Work run in a bounded child comes back as its result, or as a Breach that says what happened."""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.layout.bounded import Breach, Submitted, Task, Worker, run_bounded

GIB = 1024**3


def bounded(work, diagnostics: Diagnostics | None = None, timeout: float = 60, memory: int = 2 * GIB):
    return run_bounded(work, diagnostics if diagnostics is not None else Diagnostics(), timeout, memory)


def breach(work, **limits) -> Breach:
    with pytest.raises(Breach) as raised:
        bounded(work, **limits)
    return raised.value


def test_the_result_and_the_diagnostics_come_back_from_the_child(tmp_path):
    def work(diagnostics):
        diagnostics.warning(tmp_path / "style.css", 0, 0, "let op", "render.warning")
        return {"pid": os.getpid(), "pdf": b"%PDF-" + bytes(3 * 1024**2)}

    diagnostics = Diagnostics(tmp_path)
    result = bounded(work, diagnostics)
    assert result["pid"] != os.getpid() and len(result["pdf"]) == 3 * 1024**2 + 5
    assert [str(d) for d in diagnostics.items] == ["style.css:0:0: warning: let op [render.warning]"]


def test_an_exception_in_the_work_is_a_failure_with_its_type_and_message_and_keeps_the_diagnostics(tmp_path):
    def work(diagnostics):
        diagnostics.warning(tmp_path / "style.css", 0, 0, "eerst dit", "render.warning")
        return 1 / 0

    diagnostics = Diagnostics(tmp_path)
    with pytest.raises(Breach) as raised:
        bounded(work, diagnostics)
    assert (raised.value.kind, raised.value.detail) == ("failed", "ZeroDivisionError: division by zero")
    assert [d.message for d in diagnostics.items] == ["eerst dit"]


def test_more_memory_than_allowed_is_a_memory_breach():
    assert breach(lambda diagnostics: bytearray(3 * GIB), memory=GIB).kind == "memory"


def test_the_limit_is_on_what_the_child_adds_to_what_it_inherited():
    assert len(bounded(lambda diagnostics: bytearray(200 * 1024**2), memory=GIB)) == 200 * 1024**2


def test_work_that_does_not_end_is_stopped_at_the_timeout():
    assert breach(lambda diagnostics: time.sleep(3600), timeout=0.5).kind == "timeout"


def test_a_child_that_dies_is_named_by_its_signal_and_what_it_printed():
    def work(diagnostics):
        os.write(2, b"GLib-ERROR **: failed to allocate 123 bytes\n")
        os.kill(os.getpid(), signal.SIGKILL)

    found = breach(work)
    assert (found.kind, found.detail) == ("died", "SIGKILL: GLib-ERROR **: failed to allocate 123 bytes")


def test_what_the_child_printed_is_passed_on_after_a_success(capfd):
    def work(diagnostics):
        os.write(2, b"Fontconfig warning: iets\n")
        return "klaar"

    assert bounded(work) == "klaar"
    assert "Fontconfig warning: iets" in capfd.readouterr().err


def test_the_child_leaves_no_process_behind():
    breach(lambda diagnostics: time.sleep(3600), timeout=0.5)
    assert multiprocessing.active_children() == []



def where_it_runs(diagnostics):
    """Work for a worker: what it sees of the process it runs in."""
    return os.getpid(), os.getcwd(), os.environ.get("KCVS_BOUNDED_TEST"), "colorsys" in sys.modules


def sleep_an_hour(diagnostics):
    time.sleep(3600)


def allocate(size, diagnostics):
    return bytearray(size)


def test_a_worker_imports_ahead_and_works_in_this_process_s_folder_and_environment(tmp_path, monkeypatch):
    sys.modules.pop("colorsys", None)
    with Worker(("colorsys",)) as worker:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("KCVS_BOUNDED_TEST", "van de ouder")
        first = run_bounded(Task(f"{__name__}:where_it_runs", ()), Diagnostics(), 60, GIB, worker)
        second = run_bounded(Task(f"{__name__}:where_it_runs", ()), Diagnostics(), 60, GIB, worker)
    assert first[1:] == (str(tmp_path), "van de ouder", True) and "colorsys" not in sys.modules
    assert first[0] == second[0] != os.getpid()  # the same worker did both
    assert multiprocessing.active_children() == []


def test_a_worker_is_bounded_like_a_child_and_after_a_breach_work_gets_a_child_of_its_own():
    with Worker(()) as worker:
        with pytest.raises(Breach) as raised:
            run_bounded(Task(f"{__name__}:sleep_an_hour", ()), Diagnostics(), 0.5, GIB, worker)
        assert raised.value.kind == "timeout" and not worker.usable
        pid = run_bounded(Task(f"{__name__}:where_it_runs", ()), Diagnostics(), 60, GIB, worker)[0]
    assert pid != os.getpid()
    assert multiprocessing.active_children() == []


def test_a_worker_s_memory_limit_holds_for_every_piece_of_work():
    with Worker(()) as worker:
        assert len(run_bounded(Task(f"{__name__}:allocate", (10,)), Diagnostics(), 60, GIB, worker)) == 10
        with pytest.raises(Breach) as raised:
            run_bounded(Task(f"{__name__}:allocate", (3 * GIB,)), Diagnostics(), 60, GIB, worker)
    assert raised.value.kind == "memory"


def _mark_then_answer(marker: str, diagnostics) -> int:
    Path(marker).write_text("begonnen", encoding="utf-8")
    return 42


def test_submitted_work_runs_in_the_worker_while_this_process_goes_on(tmp_path):
    marker = tmp_path / "marker"
    with Worker(()) as worker:
        submitted = Submitted(functools.partial(_mark_then_answer, str(marker)), 60, 2 * GIB, worker)
        # Nobody has asked for the result yet: the work must get there by itself.
        for _ in range(600):
            if marker.exists():
                break
            time.sleep(0.1)
        assert marker.exists()
        assert submitted.result(Diagnostics()) == 42


def test_submitted_work_without_a_usable_worker_runs_in_a_child_of_its_own(tmp_path):
    marker = tmp_path / "marker"
    worker = Worker(())
    worker.close()
    submitted = Submitted(functools.partial(_mark_then_answer, str(marker)), 60, 2 * GIB, worker)
    assert submitted.result(Diagnostics()) == 42 and marker.exists()
