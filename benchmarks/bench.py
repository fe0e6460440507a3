"""Measure kcvs-pdf against a bare WeasyPrint + qpdf baseline; print the figures, keep them in BENCHMARKS.md.

Every build runs in a fresh `kcvs-pdf` process on a temporary copy of the project, with corpus
files standing in for the 20 annexes (see projects.py); the repository's sources are never
changed. Builds that must render change one section's text first, so that no build cache can
skip the work being measured. Whole-process measurements run in rounds, one of each per round,
so that a busy machine slows the pipeline and its baseline alike.
`--update FILE` rewrites the marked block of FILE (BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pikepdf
from baseline import BENCH_DIR, prepare_baseline, render_and_merge
from layoutcost import count_instructions, measure_layout
from preview import CHROMIUM, measure
from projects import REPO, SectionEditor, copy_project, install_annexes, scale_project
from stages import median_build, run_in_fresh_process
from table import Results, Scaling, render_block, replace_block
from timing import Run, Summary, load_average, machine, rounds, run_child

KCVS_PDF = Path(sys.executable).with_name("kcvs-pdf")
SCALE_FACTOR = 16


def build(project: Path, *options: str, empty: bool = False, editor: SectionEditor | None = None) -> Run:
    """Run `kcvs-pdf build` in project, after emptying build/ and editing a section if asked."""
    if empty:
        empty_build_folder(project)
    if editor is not None:
        editor.edit()
    return run_child([KCVS_PDF, "build", *options], cwd=project)


def empty_build_folder(project: Path) -> None:
    """Remove everything the pipeline keeps in build/ (outputs and caches), not the baseline's files."""
    build_folder = project / "build"
    for path in build_folder.iterdir() if build_folder.is_dir() else ():
        if path == project / BENCH_DIR:
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def whole_process_measurements(project: Path) -> dict[str, Callable[[], Run]]:
    """Return the `kcvs-pdf` processes to time, in the order a round runs them.

    The no-change rebuild follows the edited full edition, which leaves an up-to-date build.
    """
    editor = SectionEditor(project)
    return {
        "startup": lambda: run_child([KCVS_PDF, "--version"]),
        "web": lambda: build(project, "--edition", "web", empty=True, editor=editor),
        "full": lambda: build(project, empty=True, editor=editor),
        "full_edited": lambda: build(project, editor=editor),
        "no_change": lambda: build(project),
    }


def profile_stages(project: Path, runs: int) -> tuple[dict, dict]:
    """Profile full builds with an empty build/ and after an edit with the annex cache warm, alternating.

    Of each kind, the build with the median total is kept.
    """
    editor = SectionEditor(project)
    cold, warm = [], []
    for _ in range(runs):
        empty_build_folder(project)
        editor.edit()
        cold.append(run_in_fresh_process(project))
        editor.edit()
        warm.append(run_in_fresh_process(project))
    return median_build(cold), median_build(warm)


def measure_scaling(one: Path, many: Path, runs: int) -> Scaling:
    """Time the web edition of the report and of its scaled copy, in alternating rounds."""
    editors = SectionEditor(one), SectionEditor(many)
    measured = rounds(runs, {"one": lambda: build(one, "--edition", "web", empty=True, editor=editors[0]),
                             "many": lambda: build(many, "--edition", "web", empty=True, editor=editors[1])})
    return Scaling(SCALE_FACTOR, measured["one"], measured["many"], web_pages(one), web_pages(many))


def web_pages(project: Path) -> int:
    """Return the page count of the web edition last built in project."""
    (path,) = (project / "build").glob("*-web.pdf")
    return page_count(path)


def measure_preview_refresh(project: Path, runs: int) -> Summary | str:
    """Return save -> new page on screen in Chromium under `kcvs-pdf preview`, or why there is none."""
    if not Path(CHROMIUM).is_file():
        return f"not measured: no Chromium at {CHROMIUM}"
    section = sorted((project / "sources" / "sections").glob("*.md"))[0]
    shown, _ = measure(project, section, runs)
    return Summary(statistics.median(shown), min(shown), max(shown), len(shown), 0.0)


def measure_all(workdir: Path, runs: int, scale_runs: int, profile_runs: int) -> Results:
    """Run every measurement on temporary projects under workdir."""
    load_before = load_average()
    project = copy_project(workdir / "report")
    annexes = install_annexes(project)
    baseline = prepare_baseline(project, annexes)
    _say(f"{runs} rounds of whole processes: bare weasyprint and qpdf, kcvs-pdf builds")
    measured = rounds(runs, {**baseline.measurements(), **whole_process_measurements(project)})
    measured["bare_both"] = render_and_merge(measured)
    _say("layout cost, in process")
    layout = measure_layout(baseline.web, project / "layouts" / "default" / "fonts", runs)
    _say("layout cost in instructions, under callgrind")
    instructions = count_instructions(baseline.web, project / "layouts" / "default", Path(sys.executable))
    _say(f"stages of {profile_runs} + {profile_runs} full builds, cProfile")
    stages_cold, stages_warm = profile_stages(project, profile_runs)
    _say(f"scaling: {scale_runs} rounds of the ×1 and ×{SCALE_FACTOR} web editions")
    scaled = copy_project(workdir / f"report-x{SCALE_FACTOR}")
    scale_project(scaled, SCALE_FACTOR)
    scaling = measure_scaling(project, scaled, scale_runs)
    _say("preview refresh")
    preview = measure_preview_refresh(project, runs)
    return Results(heading=_heading(runs), machine=machine(), load_before=load_before,
                   load_after=load_average(),
                   whole=measured,
                   annex_pages=sum(map(page_count, annexes)), layout=layout, instructions=instructions,
                   stages_cold=stages_cold,
                   stages_warm=stages_warm, scaling=scaling, preview=preview)


def page_count(path: Path) -> int:
    """Return the number of pages of a PDF."""
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="rounds of whole-process runs [default: 5]")
    parser.add_argument("--scale-runs", type=int, default=3,
                        help=f"rounds of the ×1 and ×{SCALE_FACTOR} web editions [default: 3]")
    parser.add_argument("--profile-runs", type=int, default=3,
                        help="profiled builds of each kind; the median one is kept [default: 3]")
    parser.add_argument("--update", type=Path, metavar="FILE",
                        help="write the figures into FILE's marked block (BENCHMARKS.md)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kcvs-bench-") as workdir:
        block = render_block(measure_all(Path(workdir), options.runs, options.scale_runs, options.profile_runs))
    print(block)
    if options.update:
        document = options.update.read_text(encoding="utf-8")
        options.update.write_text(replace_block(document, block), encoding="utf-8")
        print(f"\nUpdated the figures in {options.update}.")


def _heading(runs: int) -> str:
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip() or "unknown commit"
    return f"{datetime.date.today().isoformat()}, {commit}, {runs} rounds"


def _say(stage: str) -> None:
    print(f"measuring: {stage}…", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
