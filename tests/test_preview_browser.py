"""The preview as a person uses it: `kcvs-pdf preview` in a terminal, the page in Chromium, saves
in an editor, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from browser import CHROMIUM, CHROMIUM_ARGS, expect, needs_chromium, sync_playwright
from conftest import ALFA, as_in_a_terminal, make_project

from kcvs_pdf.preview.server import PreviewServer
from kcvs_pdf.preview.session import Session
from kcvs_pdf.preview.watch import Watcher
from kcvs_pdf.project import open_project

BUILD_TIMEOUT_MS = 90_000
"""Long enough for a whole build of the small project on a busy machine; a passing test waits far less."""


@contextmanager
def preview_of(project: Path):
    """Run the preview as the command does, on a free port; yield its address."""
    opened = open_project(project, None, None)
    session = Session(opened)
    server = PreviewServer(session, 0)
    watcher = Watcher((opened.sources, opened.layout), session.saved)
    session.start()
    watcher.start()
    server.start()
    try:
        yield server.url
    finally:
        watcher.stop()
        session.close()
        server.stop()


def alfa_text(page) -> str:
    return page.locator('[data-section="alfa"] .page-text').first.text_content()


@needs_chromium
def test_a_save_shows_the_new_text_a_broken_save_its_error_over_the_old_pages_and_the_fix_the_draft(tmp_path):
    shots = Path(os.environ.get("KCVS_SCREENSHOTS", tmp_path))
    project = make_project(tmp_path / "project")
    section = project / "sources" / "sections" / "01-alfa.md"
    with preview_of(project) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(url)
            expect(page.locator("#view")).to_have_attribute("data-stage", "draft", timeout=BUILD_TIMEOUT_MS)
            pages = page.locator("figure.page").count()
            assert "zes keer over stadsmonitoring" in alfa_text(page)

            section.write_text(ALFA.replace("zes keer over stadsmonitoring", "negen keer over de buurtmonitor"))
            expect(page.locator('[data-section="alfa"] .page-text').first).to_contain_text(
                "negen keer over de buurtmonitor", timeout=BUILD_TIMEOUT_MS)
            edited = page.locator('[data-section="alfa"] img').first
            expect(edited).to_be_in_viewport()
            page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=edited.element_handle())
            page.screenshot(path=str(shots / "preview-edited.png"))

            section.write_text(ALFA.replace('title: "Alfa werkgroep"', 'title: "Alfa werkgroep'))
            banner = page.locator(".banner.errors")
            expect(banner).to_contain_text("sources/sections/01-alfa.md:2:8: error: this quote is never closed",
                                           timeout=BUILD_TIMEOUT_MS)
            expect(banner).to_contain_text("[yaml.syntax]")
            assert page.locator("figure.page").count() == pages, "the last good pages stay"
            assert "negen keer over de buurtmonitor" in alfa_text(page)
            page.screenshot(path=str(shots / "preview-error.png"))

            section.write_text(ALFA)
            expect(page.locator(".banner")).to_have_count(0, timeout=BUILD_TIMEOUT_MS)
            expect(page.locator('[data-section="alfa"] .page-text').first).to_contain_text(
                "zes keer over stadsmonitoring", timeout=BUILD_TIMEOUT_MS)
            assert all(request.startswith(url) for request in requested), "everything comes from the preview"
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ctrl_c_stops_the_preview_quietly_and_frees_its_port(project):
    port = free_port()
    command = [sys.executable, "-m", "kcvs_pdf", "preview", "--port", str(port)]
    running = subprocess.Popen(command, cwd=project, stderr=subprocess.PIPE, text=True, preexec_fn=as_in_a_terminal)
    try:
        started = running.stderr.readline()
        assert re.fullmatch(rf"Draft preview of sources at http://127\.0\.0\.1:{port}/ \(Ctrl-C stops it\)\n",
                            started), started
        running.send_signal(signal.SIGINT)
        rest = running.stderr.read()
        assert running.wait(timeout=30) == 130
    finally:
        running.kill()
    assert "Preview stopped." in rest and "Traceback" not in rest, rest
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_a_port_in_use_is_named_and_nothing_runs(project):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "kcvs_pdf", "preview", "--port", str(port)], cwd=project,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == f"error: cannot serve on port {port}: it is in use: choose another with --port\n"
    assert not (project / "build").exists()
