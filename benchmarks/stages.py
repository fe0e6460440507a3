"""Turn one full-edition build, profiled with cProfile in a fresh process, into seconds per stage.

Run alone: `.venv/bin/python benchmarks/stages.py PROJECT` prints the stages of one build of
PROJECT; `--json` prints them for `bench.py`. The build is the first thing the process does
after its imports, as in `kcvs-pdf build`, so no earlier build has warmed any cache.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

# Each stage is the cProfile cumulative time of the functions named `module:qualname`; with
# `@module:qualname` only the calls from that caller count (compose_html runs in check and build).
STAGES = (
    ("check: load sources", ("kcvs_pdf.sources.load:load_report",)),
    ("check: labels, glyphs, approvals", ("kcvs_pdf.layout.labels:load_labels",
                                          "kcvs_pdf.layout.glyphs:check_glyphs",
                                          "kcvs_pdf.sources.approval:check_approvals")),
    ("check: compose HTML with the annexes expected", ("kcvs_pdf.check:_composed@kcvs_pdf.check:check_sources",)),
    # The render runs in the renderer, a worker forked when the build starts (layout/bounded.py):
    # its WeasyPrint import, layout and write_pdf happen there, out of this profile's sight.
    # It starts once the sources are checked; meanwhile this process inspects the annexes.
    ("check: annex inspection (the render goes on meanwhile)", ("kcvs_pdf.annexes.plan:collect_annexes",)),
    ("check: compose HTML again with the annexes inspected",
     ("kcvs_pdf.check:_composed@kcvs_pdf.check:check_annexes",)),
    ("wait for the render to end (rest of its import, fonts, layout, write_pdf)",
     ("kcvs_pdf.layout.render:Rendering.result@kcvs_pdf.build:build_checked",)),
    ("images: downsample check", ("kcvs_pdf.pdf.images:downsample_images",)),
    ("finish: open rendered PDF", ("pikepdf:Pdf.open@kcvs_pdf.build:build_checked",)),
    ("finish: tagging", ("kcvs_pdf.pdf.tagging:make_accessible",)),
    ("finish: bundle annexes", ("kcvs_pdf.pdf.bundle:bundle",)),
    ("finish: embed section data", ("kcvs_pdf.pdf.provenance:embed",)),
    ("finish: save", ("kcvs_pdf.build:_saved", "kcvs_pdf.pdf.webview:save_linearised")),
    ("size check", ("kcvs_pdf.release.budget:check_size",)),
    ("write (atomic, read back)", ("kcvs_pdf.pdf.write:write_atomically",)),
)
BUILD = "kcvs_pdf.build:build"
TOTAL = "total"
REST = "rest of build()"
IMPORTS = "imports (kcvs_pdf.cli)"


def profile_stages(project: Path, edition: str) -> dict[str, float | None]:
    """Build edition of project under cProfile; return the seconds of each stage.

    The result also holds the imports before the build, the profiled build's total and what no
    stage accounts for; a stage whose function this version lacks is None.
    """
    started = time.perf_counter()
    importlib.import_module("kcvs_pdf.cli")
    imports = time.perf_counter() - started
    from kcvs_pdf.build import build
    from kcvs_pdf.errors import Diagnostics
    from kcvs_pdf.layout.render import start_renderer
    from kcvs_pdf.model import Edition
    from kcvs_pdf.project import open_project

    opened = open_project(project, None, None)
    # Started before profiling, as `kcvs-pdf build` starts it before its imports: a worker forked
    # while the profiler runs would inherit it and render several times slower.
    renderer = start_renderer()
    profiler = cProfile.Profile()
    profiler.runcall(build, opened, Edition(edition), Diagnostics(opened.root), renderer=renderer)
    stats = pstats.Stats(profiler).stats
    stages = {label: _seconds(stats, targets) for label, targets in STAGES}
    total = _seconds(stats, (BUILD,))
    return {**stages, REST: total - sum(filter(None, stages.values())), TOTAL: total, IMPORTS: imports}


def run_in_fresh_process(project: Path, edition: str = "full") -> dict[str, float | None]:
    """Profile one build of project in a new Python process; return its stages."""
    completed = subprocess.run([sys.executable, __file__, "--json", "--edition", edition, str(project)],
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"profiling a build of {project} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout)


def median_build(profiles: list[dict[str, float | None]]) -> dict[str, float | None]:
    """Return the stages of the profiled build whose total is the median one (the lower of two).

    One build's stages add up to its total, which medians taken stage by stage would not.
    """
    return sorted(profiles, key=lambda stages: stages[TOTAL])[(len(profiles) - 1) // 2]


def _seconds(stats: dict, targets: tuple[str, ...]) -> float | None:
    """Return the cumulative seconds of the targets, or None when none exists in this version."""
    found = [_cumulative(stats, target) for target in targets]
    return None if all(seconds is None for seconds in found) else sum(filter(None, found))


def _cumulative(stats: dict, target: str) -> float | None:
    name, _, caller = target.partition("@")
    key = _code_key(name)
    if key is None:
        return None
    if key not in stats:
        return 0.0
    _, _, _, cumulative, callers = stats[key]
    if not caller:
        return cumulative
    caller_key = _code_key(caller)
    return callers[caller_key][3] if caller_key in callers else 0.0


def _code_key(target: str) -> tuple[str, int, str] | None:
    """Return pstats' key of the function `module:qualname`, or None when it does not exist."""
    module_name, _, qualname = target.partition(":")
    try:
        function = importlib.import_module(module_name)
        for part in qualname.split("."):
            function = getattr(function, part)
    except (ImportError, AttributeError):
        return None
    code = getattr(function, "__func__", function).__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--edition", default="full", choices=("full", "web", "draft"))
    parser.add_argument("--json", action="store_true", help="print the stages as JSON")
    options = parser.parse_args()
    stages = profile_stages(options.project.resolve(), options.edition)
    if options.json:
        print(json.dumps(stages))
        return
    for label, seconds in stages.items():
        print(f"{label:<38} " + ("not in this version" if seconds is None else f"{seconds:6.2f} s"))


if __name__ == "__main__":
    main()
