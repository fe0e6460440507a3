"""Turn the report's composed HTML into the bare baseline: plain WeasyPrint CLI, plain qpdf merge.

The yardstick for the pipeline: what rendering and merging cost with no checks, tagging,
inspection or bundling logic. The pipeline is used once, untimed, to write the composed HTML of
each edition to `build/bench/report-<edition>.html`; the timed commands are `python -m weasyprint`
and `qpdf --empty --pages report.pdf annex1.pdf … -- out.pdf`, each in its own process.

Run alone: `.venv/bin/python benchmarks/baseline.py [--runs N]`; `make bench` runs it too,
its rounds alternating with the pipeline's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from projects import copy_project, install_annexes
from timing import Run, Summary, qpdf_version, rounds, run_child

BENCH_DIR = Path("build") / "bench"
# qpdf exits 3 when it succeeded with warnings, as it does on annexes it had to repair.
QPDF_OK = (0, 3)


@dataclass(frozen=True)
class ComposedFile:
    """An edition's composed HTML written to disk, with what WeasyPrint needs to resolve it."""

    html: Path
    base_url: str
    """The layout folder as a file URL: the stylesheet and fonts are relative to it."""


@dataclass(frozen=True)
class BareBaseline:
    """The bare baseline's inputs, written once, and the commands that time it."""

    web: ComposedFile
    full: ComposedFile
    """The full edition's HTML, with a divider page per annex."""
    annexes: tuple[Path, ...]
    """The annex files as the project holds them, in bundle order."""
    folder: Path

    def measurements(self) -> dict[str, Callable[[], Run]]:
        """Return the timed commands by name; the merge, when qpdf is installed, reads bare_full's PDF."""
        report = self.folder / "full.pdf"
        found = {"bare_web": lambda: weasyprint_run(self.web, self.folder / "web.pdf"),
                 "bare_full": lambda: weasyprint_run(self.full, report)}
        if qpdf_version() is not None:
            found["bare_merge"] = lambda: qpdf_merge_run(report, self.annexes, self.folder / "merged.pdf")
        return found


def prepare_baseline(project: Path, annexes: tuple[Path, ...]) -> BareBaseline:
    """Write both editions' composed HTML into project's build/bench/."""
    return BareBaseline(write_composed_html(project, "web"), write_composed_html(project, "full"), annexes,
                        project / BENCH_DIR)


def write_composed_html(project: Path, edition_name: str) -> ComposedFile:
    """Compose an edition's HTML with the pipeline (checks included, untimed) and write it."""
    from kcvs_pdf.check import check
    from kcvs_pdf.errors import Diagnostics
    from kcvs_pdf.layout.compose import compose_html
    from kcvs_pdf.model import Edition
    from kcvs_pdf.project import open_project

    opened = open_project(project, None, None)
    edition = Edition(edition_name)
    diagnostics = Diagnostics(opened.root)
    checked = check(opened, diagnostics, edition)
    diagnostics.raise_if_errors()
    composed = compose_html(checked.report, checked.annexes, opened.layout, edition, checked.labels,
                            diagnostics, checked.stamp)
    target = project / BENCH_DIR / f"report-{edition_name}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(composed.html, encoding="utf-8")
    return ComposedFile(target, composed.base_url)


def weasyprint_run(composed: ComposedFile, output: Path) -> Run:
    """Render composed HTML with the plain WeasyPrint command line, in a new process."""
    return run_child([sys.executable, "-m", "weasyprint", "--quiet", "--base-url", composed.base_url,
                      composed.html, output])


def qpdf_merge_run(report: Path, annexes: tuple[Path, ...], output: Path) -> Run:
    """Append the annexes to the report with the plain qpdf command line."""
    return run_child(["qpdf", "--empty", "--pages", report, *annexes, "--", output], allowed=QPDF_OK)


def render_and_merge(runs: dict[str, list[Run]]) -> list[Run] | None:
    """Return each round's full-edition render plus merge, as one full edition costs; None without qpdf."""
    if "bare_merge" not in runs:
        return None
    return [Run(render.seconds + merge.seconds, max(render.peak_mib, merge.peak_mib),
                max(render.tree_mib, merge.tree_mib))
            for render, merge in zip(runs["bare_full"], runs["bare_merge"], strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs of each command [default: 5]")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kcvs-baseline-") as temporary:
        project = copy_project(Path(temporary))
        runs = rounds(options.runs, prepare_baseline(project, install_annexes(project)).measurements())
    if qpdf_version() is None:
        print("qpdf is not installed: the merge is not measured")
    runs["bare_both"] = render_and_merge(runs)
    for name, measured in runs.items():
        if measured:
            summary = Summary.of(measured)
            print(f"{name:<11} {summary.median:6.2f} s  ({summary.low:.2f} – {summary.high:.2f}, "
                  f"{summary.runs} runs)  {summary.peak_mib:4.0f} MiB, all processes {summary.tree_mib:4.0f} MiB")


if __name__ == "__main__":
    main()
