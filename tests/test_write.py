"""Writing the PDF never loses the previous one and never leaves a temporary file behind."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import as_in_a_terminal, make_project
from pypdf import PdfWriter

from kcvs_pdf.errors import OutputError
from kcvs_pdf.pdf import write

PREVIOUS = b"%PDF-1.7 the last good build"


def two_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.add_blank_page(100, 100)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "build" / "report.pdf"
    path.parent.mkdir()
    path.write_bytes(PREVIOUS)
    return path


def test_a_complete_pdf_replaces_the_previous_one(target):
    size = write.write_atomically(two_page_pdf(), target, expected_pages=2)
    assert target.read_bytes().startswith(b"%PDF-") and target.stat().st_size == size
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


def test_a_pdf_that_fails_its_check_never_replaces_the_previous_one(target):
    with pytest.raises(OutputError, match="has 2 pages instead of 3; the previous file was kept"):
        write.write_atomically(two_page_pdf(), target, expected_pages=3)
    assert target.read_bytes() == PREVIOUS
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


@pytest.mark.parametrize("interruption, raised", [(KeyboardInterrupt, KeyboardInterrupt), (OSError, OutputError)])
def test_an_interrupted_rename_keeps_the_previous_pdf_and_removes_the_temporary(target, monkeypatch,
                                                                                 interruption, raised):
    def fail(*args):
        raise interruption()
    monkeypatch.setattr(write.os, "replace", fail)
    with pytest.raises(raised):
        write.write_atomically(two_page_pdf(), target, expected_pages=2)
    assert target.read_bytes() == PREVIOUS
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


def test_a_build_killed_mid_write_leaves_the_previous_pdf_and_the_next_build_cleans_up(target):
    script = f"""
import os, signal
from pathlib import Path
from pypdf import PdfWriter
from kcvs_pdf.pdf import write
def die(data, temporary):
    temporary.write_bytes(data[:100])
    os.kill(os.getpid(), signal.SIGKILL)
write._write_durably = die
import io
writer = PdfWriter(); writer.add_blank_page(100, 100)
buffer = io.BytesIO(); writer.write(buffer)
write.write_atomically(buffer.getvalue(), Path({str(target)!r}), expected_pages=1)
"""
    completed = subprocess.run([sys.executable, "-c", script], check=False)
    assert completed.returncode == -signal.SIGKILL
    assert target.read_bytes() == PREVIOUS
    write.write_atomically(two_page_pdf(), target, expected_pages=2)
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]


@pytest.mark.parametrize("signal_number, exit_code", [(signal.SIGINT, 130), (signal.SIGTERM, 130)])
def test_ctrl_c_or_kill_during_rendering_keeps_the_previous_pdf(tmp_path, signal_number, exit_code):
    # A long section keeps the render busy for seconds, so the signal lands during it even when a
    # loaded machine delays this test's reading of the progress line.
    long_text = "\n\n".join(f"Alinea {number} over de werking van de centrumsteden in 2023." * 8
                             for number in range(300))
    project = make_project(tmp_path / "p", {
        "sources/sections/02-beta.md": f'---\ntitle: "Beta project"\n---\n\n{long_text}\n'})
    target = project / "build" / "testverslag-2023.pdf"
    target.parent.mkdir()
    target.write_bytes(PREVIOUS)
    # As a terminal starts it: a shell running the tests in the background would hand down
    # Ctrl-C ignored, and Python keeps an ignored SIGINT ignored.
    process = subprocess.Popen([sys.executable, "-m", "kcvs_pdf", "build"], cwd=project,
                               preexec_fn=as_in_a_terminal, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if "Rendering" in line:
            process.send_signal(signal_number)
            break
    rest = process.stderr.read()
    assert process.wait() == exit_code
    assert "Interrupted: no PDF was written; the previous one is unchanged." in rest
    assert target.read_bytes() == PREVIOUS
    assert sorted(p.name for p in target.parent.iterdir()) == ["testverslag-2023.pdf"]
