"""Turn a benchmark run's figures into Markdown tables, and put them in BENCHMARKS.md's marked block."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from layoutcost import LayoutCost, LayoutInstructions
from stages import IMPORTS, TOTAL
from timing import Run, Summary

BLOCK_START = "<!-- make bench: start -->"
BLOCK_END = "<!-- make bench: end -->"
# The targets (#12, part 4).
PREVIEW_TARGET = 0.5
NO_CHANGE_TARGET = 0.3
BASELINE_RATIO_TARGET = 1.0
MEMORY_TARGET_MIB = 150
LAYOUT_TARGET_MS = 25
SCALE_TARGET = 16.5


@dataclass(frozen=True)
class Scaling:
    """The web edition of the report and of the report with every section repeated factor times."""

    factor: int
    one: list[Run]
    many: list[Run]
    """Runs of the scaled report, in the same rounds as `one`."""
    pages_one: int
    pages_many: int


@dataclass(frozen=True)
class Results:
    """Everything one `make bench` measured, with where and when."""

    heading: str
    """Date, commit and rounds measured."""
    machine: dict[str, str]
    load_before: str
    load_after: str
    whole: dict[str, list[Run] | None]
    """Whole-process runs by name (bench.py, baseline.py), in round order; None for what could not be measured."""
    annex_pages: int
    layout: LayoutCost
    instructions: LayoutInstructions | str
    """The layout's and plain text's instructions, or why they were not counted."""
    stages_cold: dict[str, float | None]
    stages_warm: dict[str, float | None]
    scaling: Scaling
    preview: Summary | str
    """Refresh times, or why they were not measured."""


def render_block(results: Results) -> str:
    """Return the Markdown that `make bench` keeps between the markers of BENCHMARKS.md."""
    machine = "; ".join(f"{name} {value}" for name, value in results.machine.items())
    return "\n".join([
        f"Last `make bench`: {results.heading}.", "",
        f"Machine: {machine}.", "",
        f"Load average (1 / 5 / 15 min): {results.load_before} before, {results.load_after} after.", "",
        figures_table(results), "",
        "Where a full-edition build's time goes: cProfile cumulative seconds by stage, each build "
        "alone in a fresh process; of each kind the build with the median total (profiling slows "
        "Python-heavy stages most; the share is of the profiled build).", "",
        stages_table(results.stages_cold, results.stages_warm),
    ])


def figures_table(results: Results) -> str:
    """Return the table of whole-process, baseline, layout, scaling and preview figures."""
    whole, layout = results.whole, results.layout
    no_qpdf = "skipped: qpdf is not installed"
    full = Summary.of(whole["full"])
    # Met only when both hold: the largest process, and all processes of the build together.
    full_peak = max(full.peak_mib, full.tree_mib)
    rows = [
        _row("bare: `python -m weasyprint`, web edition HTML", whole["bare_web"]),
        _row("bare: `python -m weasyprint`, full edition HTML (with annex dividers)", whole["bare_full"]),
        _row(f"bare: `qpdf --empty --pages`, report + 20 annexes ({results.annex_pages} pages)",
             whole.get("bare_merge"), missing=no_qpdf),
        _row("bare: weasyprint + qpdf merge, one after the other", whole["bare_both"], missing=no_qpdf),
        _row("process start and imports: `kcvs-pdf --version`", whole["startup"]),
        _row("web edition, empty build/", whole["web"], _ratio(whole["web"], whole["bare_web"], None)),
        _row("full edition, 20 annexes, empty build/", whole["full"],
             _ratio(whole["full"], whole["bare_both"], BASELINE_RATIO_TARGET)),
        _row("full edition after a one-section edit (annex cache warm)", whole["full_edited"],
             _ratio(whole["full_edited"], whole["bare_both"], BASELINE_RATIO_TARGET)),
        _row("no-change rebuild (full edition, built twice, the second timed)", whole["no_change"],
             "", _target(Summary.of(whole["no_change"]).median, NO_CHANGE_TARGET, "s")),
        f"| peak memory, full edition | | | | {full.peak_mib:.0f} MiB | {_mib(full.tree_mib)} | | "
        f"{_target(full_peak, MEMORY_TARGET_MIB, 'MiB')} |",
        _per_page(f"layout: `HTML(…).render()`, web edition HTML ({layout.pages} pages), in process",
                  layout.render, layout.pages, LAYOUT_TARGET_MS),
        _per_page(f"the same HTML set as plain text (benchmarks/plain.css, {layout.plain_pages} pages), "
                  "alternating with it", layout.plain_render, layout.plain_pages),
        f"| the layout's cost against plain text's, for the whole document | | | | | | "
        f"{layout.render.median / layout.plain_render.median:.2f}× | |",
        _instructions_row(results.instructions, layout),
        _per_page("the same document's `write_pdf(pdf_variant=\"pdf/ua-1\")`", layout.write_tagged, layout.pages),
        _per_page("the same document's `write_pdf()`", layout.write_plain, layout.pages),
        _row(f"web edition ×1 ({results.scaling.pages_one} pages), empty build/", results.scaling.one),
        _scaling_row(results.scaling),
        _preview_row(results.preview),
    ]
    header = ["| what | median | min – max | runs | peak RSS, largest process | peak PSS, all processes | "
              "compared | target |",
              "|---|---|---|---|---|---|---|---|"]
    return "\n".join(header + rows)


def stages_table(cold: dict[str, float | None], warm: dict[str, float | None]) -> str:
    """Return the stage breakdown of a build with an empty build/ and one with a warm annex cache."""
    rows = ["| stage | empty build/ | annex cache warm | share (warm) |", "|---|---|---|---|"]
    for label in cold:
        if label not in (TOTAL, IMPORTS):
            rows.append(f"| {label} | {_seconds(cold[label])} | {_seconds(warm[label])} | "
                        f"{_share(warm[label], warm[TOTAL])} |")
    rows.append(f"| **build() total, profiled** | **{_seconds(cold[TOTAL])}** | **{_seconds(warm[TOTAL])}** | |")
    rows.append(f"| before build(): {IMPORTS}, not profiled | {_seconds(cold[IMPORTS])} | "
                f"{_seconds(warm[IMPORTS])} | |")
    return "\n".join(rows)


def replace_block(document: str, block: str) -> str:
    """Return document with the text between the markers replaced by block."""
    start, end = document.find(BLOCK_START), document.find(BLOCK_END)
    if start < 0 or end < start:
        raise ValueError(f"BENCHMARKS.md has no '{BLOCK_START}' … '{BLOCK_END}' block to update")
    return f"{document[:start + len(BLOCK_START)]}\n{block}\n{document[end:]}"


def _row(label: str, measured: Summary | list[Run] | None, compared: str = "", target: str = "",
         missing: str = "") -> str:
    if measured is None:
        return f"| {label} | {missing} | | | | | | |"
    summary = measured if isinstance(measured, Summary) else Summary.of(measured)
    return (f"| {label} | {summary.median:.2f} s | {summary.low:.2f} – {summary.high:.2f} s | {summary.runs} | "
            f"{_mib(summary.peak_mib)} | {_mib(summary.tree_mib)} | {compared} | {target} |")


def _mib(value: float) -> str:
    return f"{value:.0f} MiB" if value else ""


def _per_page(label: str, summary: Summary, pages: int, target_ms: float | None = None) -> str:
    per_page = summary.median / pages * 1000
    target = _target(per_page, target_ms, "ms/page") if target_ms else ""
    return _row(label, summary, f"{per_page:.1f} ms/page", target)


def _ratio(runs: list[Run], baseline: list[Run] | None, target: float | None) -> str:
    """Return the median of the per-round ratios: each round's runs met the same load."""
    if baseline is None:
        return "no baseline"
    ratio = paired_ratio(runs, baseline)
    verdict = f" ({_target(ratio, target, '×')})" if target is not None else ""
    return f"{ratio:.2f}× bare{verdict}"


def paired_ratio(runs: list[Run], baseline: list[Run]) -> float:
    """Return the median over rounds of runs[i] / baseline[i]."""
    return statistics.median(run.seconds / base.seconds for run, base in zip(runs, baseline, strict=True))


def _target(value: float, limit: float, unit: str) -> str:
    """Return the target with its verdict, e.g. `≤ 0.3 s: not met`; unit "×" follows the number."""
    spaced = unit if unit == "×" else f" {unit}"
    return f"≤ {limit:g}{spaced}: {'met' if value <= limit else 'not met'}"


def _scaling_row(scaling: Scaling) -> str:
    ratio = paired_ratio(scaling.many, scaling.one)
    per_page = ratio * scaling.pages_one / scaling.pages_many
    return _row(f"web edition ×{scaling.factor} ({scaling.pages_many} pages), empty build/", scaling.many,
                f"{ratio:.1f}× the ×1 time, {per_page:.2f}× its time per page",
                _target(ratio, SCALE_TARGET, "×"))


def _instructions_row(counted: LayoutInstructions | str, layout: LayoutCost) -> str:
    label = "the same two layouts in instructions (callgrind: the same on any load)"
    if isinstance(counted, str):
        return f"| {label} | {counted} | | | | | | |"
    return (f"| {label} | {counted.layout / 1e9:.2f} G, plain text {counted.plain / 1e9:.2f} G | | 1 | | | "
            f"{counted.layout / counted.plain:.2f}× plain text; {counted.layout / layout.pages / 1e6:.0f} M/page "
            f"against {counted.plain / layout.plain_pages / 1e6:.0f} M/page | |")


def _preview_row(preview: Summary | str) -> str:
    if isinstance(preview, str):
        return f"| preview refresh after a one-section edit | {preview} | | | | | | |"
    return _row("preview refresh after a one-section edit", preview, "",
                _target(preview.median, PREVIEW_TARGET, "s"))


def _seconds(value: float | None) -> str:
    return "not in this version" if value is None else f"{value:.2f} s"


def _share(value: float | None, total: float | None) -> str:
    return "" if value is None or not total else f"{value / total:.0%}"
