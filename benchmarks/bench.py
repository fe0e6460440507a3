"""Measure full builds in fresh processes: median wall time and peak memory, with the machine."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "annex-corpus"
# Usable corpus files, about 300 pages in all, standing in for a year's annexes.
BENCH_ANNEXES = ("large-117-pages-internal-and-uri-links.pdf", "large-117-pages-internal-and-uri-links.pdf",
                 "encrypted-empty-user-password.pdf",
                 "us-letter-11-pages-with-page-labels.pdf", "mixed-page-sizes-with-images.pdf",
                 "own-outline-bookmarks.pdf", "plain-a4-4-pages.pdf", "acroform-fields.pdf",
                 "rotated-0-90-180-270-pages.pdf", "landscape-and-portrait-pages-with-boxes.pdf")


def run_once(project: Path, *args: str) -> tuple[float, float]:
    """Return wall seconds and peak resident MiB of one build in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kcvs_pdf", "build", *args], cwd=project, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def measure(label: str, project: Path, runs: int, *args: str) -> None:
    results = [run_once(project, *args) for _ in range(runs)]
    walls = [wall for wall, _ in results]
    print(f"{label:<38} median {statistics.median(walls):6.2f} s  "
          f"(min {min(walls):.2f}, max {max(walls):.2f}, {runs} runs)  "
          f"peak RSS {max(peak for _, peak in results):6.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    with tempfile.TemporaryDirectory() as temporary:
        project = Path(temporary)
        shutil.copytree(REPO / "sources", project / "sources", ignore=shutil.ignore_patterns("*.pdf"))
        shutil.copytree(REPO / "layouts", project / "layouts")
        measure("report, no annexes (fresh clone)", project, options.runs)
        measure("web edition", project, options.runs, "--edition", "web")
        if CORPUS.is_dir():
            annex_dir = project / "sources" / "annexes"
            pages = _install_bench_annexes(project, annex_dir)
            measure(f"full edition, {pages} annex pages", project, options.runs)
            measure_bundle_stage(project, options.runs)


def measure_bundle_stage(project: Path, runs: int) -> None:
    """Time only the bundle and write stages, in this process, on an already rendered report."""
    sys.path.insert(0, str(REPO / "src"))
    from kcvs_pdf.annexes.plan import collect_annexes
    from kcvs_pdf.errors import Diagnostics
    from kcvs_pdf.layout.compose import STYLESHEET, compose_html
    from kcvs_pdf.layout.render import render_pdf
    from kcvs_pdf.model import NO_ANNEXES, Edition, Project, RenderedReport
    from kcvs_pdf.pdf.bundle import bundle
    from kcvs_pdf.pdf.write import write_atomically
    from kcvs_pdf.sources.load import load_report

    diagnostics = Diagnostics()
    report = load_report(project / "sources", diagnostics)
    layout = project / "layouts" / "default"
    inspected = Project(root=project, sources=project / "sources", layout=layout, output=None)
    with tempfile.TemporaryDirectory() as workdir:
        cache = Path(workdir) / "cache"
        started = time.perf_counter()
        plan = collect_annexes(report, inspected, Edition.FULL, cache, diagnostics)
        inspect_seconds = time.perf_counter() - started
        started = time.perf_counter()
        collect_annexes(report, inspected, Edition.FULL, cache, diagnostics)
        cached_seconds = time.perf_counter() - started
        composed = compose_html(report, plan, layout, Edition.FULL, diagnostics)
        rendered = render_pdf(composed, (project / "sources", project / "layouts"), layout / STYLESHEET,
                              report.published, diagnostics)
        pages = plan.bundled_pages
        bare = RenderedReport(rendered.pdf, rendered.page_count, ())

        def bundle_and_write(report_pdf, annexes, expected):
            started = time.perf_counter()
            bundled = bundle(report_pdf, annexes, "Bijlagen", "Bijlage", diagnostics)
            write_atomically(bundled.pdf, Path(workdir) / "out.pdf", expected)
            return time.perf_counter() - started

        with_annexes = [bundle_and_write(rendered, plan, rendered.page_count + pages)
                        for _ in range(runs)]
        without = [bundle_and_write(bare, NO_ANNEXES, rendered.page_count) for _ in range(runs)]
    print(f"{'inspect annexes (child processes)':<38} {inspect_seconds:6.2f} s  (1 run)")
    print(f"{'inspect annexes again (from the cache)':<38} {cached_seconds:6.2f} s  (1 run)")
    for label, walls in ((f"bundle + write, {pages} annex pages", with_annexes),
                         ("bundle + write, report alone", without)):
        print(f"{label:<38} median {statistics.median(walls):6.2f} s  "
              f"(min {min(walls):.2f}, max {max(walls):.2f}, {runs} runs, in process)")
    print(f"{'annex pages add':<38} {statistics.median(with_annexes) - statistics.median(without):6.2f} s")


def _install_bench_annexes(project: Path, annex_dir: Path) -> int:
    """Copy corpus files in place of the first linked annexes; return their page count."""
    from pypdf import PdfReader

    sys.path.insert(0, str(REPO / "src"))
    from kcvs_pdf.errors import Diagnostics
    from kcvs_pdf.sources.load import load_report

    report = load_report(project / "sources", Diagnostics())
    names = [link.annex_file for s in report.sections for link in s.links if link.annex_file]
    annex_dir.mkdir(parents=True, exist_ok=True)
    pages = 0
    for name, corpus_file in zip(dict.fromkeys(names), BENCH_ANNEXES, strict=False):
        shutil.copyfile(CORPUS / corpus_file, annex_dir / name)
        reader = PdfReader(CORPUS / corpus_file)
        if reader.is_encrypted:
            reader.decrypt("")
        pages += len(reader.pages)
    return pages


if __name__ == "__main__":
    main()
