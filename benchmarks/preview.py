"""Turn one-section edits under `kcvs-pdf preview` into refresh times: edit saved -> new build served.

The preview server is started on a free port of 127.0.0.1 and is ready once its page answers.
Its page is polled, and the first PDF it links to (the page itself when it links none); a
refresh is over when the bytes served differ from those before the edit. The poll interval
(POLL_SECONDS) bounds the error of each figure.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

from projects import SectionEditor
from timing import Run, Summary

POLL_SECONDS = 0.02
READY_SECONDS = 180.0
"""Longest wait for the server's first build."""
REFRESH_SECONDS = 60.0
"""Longest wait for one refresh before the measurement is given up."""
NO_BROWSER_FLAGS = ("--no-browser", "--no-open")
_PDF_LINK = re.compile(r"""["']([^"'<>\s]+\.pdf(?:[?#][^"'<>\s]*)?)["']""", re.IGNORECASE)


class PreviewFailed(Exception):
    """Raised when the preview server does not start or does not serve an edit in time."""


def preview_help(kcvs_pdf: Path) -> str | None:
    """Return `kcvs-pdf preview --help`, or None when this version has no preview command."""
    commands = subprocess.run([kcvs_pdf, "--help"], capture_output=True, text=True, check=True).stdout
    if not re.search(r"^\s+preview\b", commands, re.MULTILINE):
        return None
    return subprocess.run([kcvs_pdf, "preview", "--help"], capture_output=True, text=True, check=True).stdout


def measure_preview(kcvs_pdf: Path, project: Path, runs: int, help_text: str) -> Summary:
    """Start the preview of project, edit one section runs times, time each refresh."""
    if "--port" not in help_text:
        raise PreviewFailed("`kcvs-pdf preview --help` names no --port option, so it cannot be run on a free port")
    port = free_port()
    command = [str(kcvs_pdf), "preview", "--port", str(port),
               *(flag for flag in NO_BROWSER_FLAGS if flag in help_text)]
    log = project / "build" / "preview.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=project, stdout=output, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        page = f"http://127.0.0.1:{port}/"
        before = _wait_for_first_build(page, server)
        editor, refreshes = SectionEditor(project), []
        for _ in range(runs):
            editor.edit()
            started = time.perf_counter()
            before = _wait_for_change(page, before)
            refreshes.append(Run(time.perf_counter() - started, 0.0))
    finally:
        _stop(server)
    return Summary.of(refreshes)


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def served_fingerprint(page: str) -> str | None:
    """Return a hash of the preview's PDF (or page, when it links no PDF); None if not served."""
    body = _get(page)
    if body is None:
        return None
    link = _PDF_LINK.search(body.decode("utf-8", errors="replace"))
    served = _get(urljoin(page, link[1])) if link else body
    return hashlib.sha256(served).hexdigest() if served is not None else None


def _wait_for_first_build(page: str, server: subprocess.Popen) -> str:
    """Return the fingerprint of the first build, once two polls in a row agree on it."""
    deadline, previous = time.monotonic() + READY_SECONDS, None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise PreviewFailed(f"the preview server exited with status {server.returncode}")
        current = served_fingerprint(page)
        if current is not None and current == previous:
            return current
        previous = current
        time.sleep(0.5)
    raise PreviewFailed(f"the preview served nothing within {READY_SECONDS:.0f} s")


def _wait_for_change(page: str, before: str) -> str:
    deadline = time.monotonic() + REFRESH_SECONDS
    while time.monotonic() < deadline:
        current = served_fingerprint(page)
        if current is not None and current != before:
            return current
        time.sleep(POLL_SECONDS)
    raise PreviewFailed(f"the preview did not show an edit within {REFRESH_SECONDS:.0f} s")


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _stop(server: subprocess.Popen) -> None:
    """End the server and whatever it started: its own session, by its process group id."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    server.wait()
