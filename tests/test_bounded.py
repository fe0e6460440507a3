"""Work run in a bounded child comes back as its result, or as a Breach that says what happened."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from kcvs_pdf.errors import Diagnostics
from kcvs_pdf.layout.bounded import Breach, run_bounded

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
