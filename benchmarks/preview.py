"""Measure the live preview in Chromium: from a save to its section's new page on screen, and to the
whole draft swapped in.

Run with `.venv/bin/python benchmarks/preview.py [--runs N] [--section FILE]`, on a copy of the
project's sources and layout in a temporary folder. Needs the test extras (Playwright) and Chromium
at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from kcvs_pdf.preview.server import PreviewServer
from kcvs_pdf.preview.session import Session
from kcvs_pdf.preview.watch import Watcher
from kcvs_pdf.project import open_project

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# True once a page of the section shows the word, its picture loaded and on screen.
SHOWN = """([slug, word]) => [...document.querySelectorAll(`[data-section="${slug}"]`)].some(page => {
    const picture = page.querySelector("img"), box = picture.getBoundingClientRect();
    return page.querySelector(".page-text").textContent.includes(word) && picture.complete
        && picture.naturalWidth > 0 && box.top < innerHeight && box.bottom > 0; })"""
WHOLE = """(word) => document.querySelector("#view").dataset.stage === "draft"
    && document.querySelector("#view").textContent.includes(word)"""


def measure(project: Path, section: Path, runs: int) -> tuple[list[float], list[float]]:
    """Return, per save, the seconds until the new page was on screen and until the whole draft was."""
    opened = open_project(project, None, None)
    session = Session(opened)
    server, watcher = PreviewServer(session, 0), Watcher((opened.sources, opened.layout), session.saved)
    session.start()
    watcher.start()
    server.start()
    original = section.read_text(encoding="utf-8")
    body = original.index("\n---", 3) + len("\n---\n\n")
    slug = _slug(section)
    shown, whole = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # The page's policy forbids the evaluation Playwright polls with: this is a measurement.
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, bypass_csp=True)
            page.goto(server.url)
            page.wait_for_function("() => document.querySelector('#view').dataset.stage === 'draft'",
                                   timeout=300_000)
            for run in range(runs):
                time.sleep(1)
                word = f"probe{run}"
                started = time.perf_counter()
                section.write_text(f"{original[:body]}{word} {original[body:]}", encoding="utf-8")
                page.wait_for_function(SHOWN, arg=[slug, word], polling="raf", timeout=60_000)
                shown.append(time.perf_counter() - started)
                page.wait_for_function(WHOLE, arg=word, polling="raf", timeout=300_000)
                whole.append(time.perf_counter() - started)
                print(f"save {run + 1}: page shown {shown[-1]:.3f} s, whole draft {whole[-1]:.2f} s", flush=True)
            browser.close()
    finally:
        section.write_text(original, encoding="utf-8")
        server.stop()
        watcher.stop()
        session.close()
    return shown, whole


def _slug(section: Path) -> str:
    return section.stem.split("-", 1)[1] if section.stem.split("-", 1)[0].isdigit() else section.stem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--section", default="04-gdpr.md", help="section file in sources/sections/ to edit")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kcvs-preview-bench-") as folder:
        project = Path(folder)
        for name in ("sources", "layouts"):
            shutil.copytree(REPO / name, project / name)
        shown, whole = measure(project, project / "sources" / "sections" / options.section, options.runs)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for label, times in (("save -> new page shown", shown), ("save -> whole draft shown", whole)):
        print(f"{label}: median {statistics.median(times):.3f} s ({min(times):.3f} - {max(times):.3f})")


if __name__ == "__main__":
    main()
