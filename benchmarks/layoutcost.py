"""Turn composed HTML into WeasyPrint's cost per page: layout (`render`) and PDF writing apart, and
the layout's cost beside the same HTML set as plain text (plain.css), in seconds and in instructions."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from baseline import ComposedFile
from timing import Run, Summary


@dataclass(frozen=True)
class LayoutCost:
    """In-process WeasyPrint timings of one document."""

    pages: int
    render: Summary
    """`HTML(...).render()`: parsing, styling and layout."""
    write_tagged: Summary
    """`Document.write_pdf(pdf_variant="pdf/ua-1")`, as the pipeline writes."""
    write_plain: Summary
    """`Document.write_pdf()`, as the bare baseline writes."""
    plain_pages: int
    plain_render: Summary
    """`HTML(...).render()` of the same HTML with plain.css instead of the layout's stylesheet."""


PLAIN_STYLESHEET = Path(__file__).with_name("plain.css")
RENDER_ONCE = Path(__file__).with_name("render_once.py")
VALGRIND = "valgrind"


@dataclass(frozen=True)
class LayoutInstructions:
    """Instructions one render executes, counted by callgrind: the same on any load, unlike seconds."""

    layout: int
    plain: int
    """The same HTML with plain.css."""


def measure_layout(composed: ComposedFile, fonts: Path, runs: int) -> LayoutCost:
    """Render and write composed HTML runs times in this process, with the pipeline's fonts, and
    render it as many times with plain.css, alternating.

    The two writes alternate in order, as the first write of a document warms caches the second
    one finds. Peak memory is not meaningful in process, so the summaries carry none.
    """
    import tempfile

    import weasyprint

    html = composed.html.read_text(encoding="utf-8")
    timings: dict[str, list[Run]] = {"render": [], "tagged": [], "plain": [], "plain_render": []}
    pages = plain_pages = 0
    with tempfile.TemporaryDirectory(prefix="kcvs-bench-plain-") as folder:
        plain = _plain_layout(fonts, Path(folder))
        for index in range(runs):
            for layout in (fonts.parent, plain) if index % 2 == 0 else (plain, fonts.parent):
                font_config = _fonts(layout, Path(tempfile.mkdtemp(dir=folder)))
                started = time.perf_counter()
                document = weasyprint.HTML(string=html, base_url=layout.as_uri() + "/").render(
                    font_config=font_config)
                if layout == plain:
                    timings["plain_render"].append(_since(started))
                    plain_pages = len(document.pages)
                    continue
                timings["render"].append(_since(started))
                writes = {"tagged": {"pdf_variant": "pdf/ua-1"}, "plain": {}}
                for name in sorted(writes, reverse=index % 2 == 1):
                    started = time.perf_counter()
                    document.write_pdf(**writes[name])
                    timings[name].append(_since(started))
                pages = len(document.pages)
    summaries = {name: Summary.of(found) for name, found in timings.items()}
    return LayoutCost(pages, summaries["render"], summaries["tagged"], summaries["plain"], plain_pages,
                      summaries["plain_render"])


def _plain_layout(fonts: Path, folder: Path) -> Path:
    """Return a layout folder holding the layout's fonts and plain.css as its style.css."""
    shutil.copytree(fonts, folder / "fonts")
    shutil.copyfile(PLAIN_STYLESHEET, folder / "style.css")
    return folder


def _fonts(layout: Path, folder: Path):
    """Return a font configuration with the layout's fonts only, in folder: one for each render, as the build makes."""
    from kcvs_pdf.errors import Diagnostics
    from kcvs_pdf.layout.typeset import hermetic_fonts

    return hermetic_fonts(layout, folder, Diagnostics())


def _since(started: float) -> Run:
    return Run(time.perf_counter() - started, 0.0)


def count_instructions(composed: ComposedFile, layout: Path, python: Path) -> LayoutInstructions | str:
    """Count the instructions of a render with the layout and with plain.css, each in its own process
    under callgrind, less those of a process that stops before rendering; or say why not counted."""
    import subprocess
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    if shutil.which(VALGRIND) is None:
        return "not counted: valgrind is not installed"
    with tempfile.TemporaryDirectory(prefix="kcvs-bench-plain-") as folder:
        plain = _plain_layout(layout / "fonts", Path(folder))
        runs = [(layout, "--setup-only"), (layout, "--render"), (plain, "--render")]

        def collected(run: tuple[Path, str]) -> int:
            # A fixed hash seed: Python's string hashing would otherwise vary the count a little.
            done = subprocess.run([VALGRIND, "--tool=callgrind", "--callgrind-out-file=/dev/null", str(python),
                                   str(RENDER_ONCE), str(composed.html), str(run[0]), run[1]],
                                  capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
            found = re.search(r"Collected : (\d+)", done.stderr)
            if done.returncode != 0 or found is None:
                raise RuntimeError(f"callgrind failed:\n{done.stderr[-2000:]}")
            return int(found[1])

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            setup, ours, theirs = pool.map(collected, runs)
    return LayoutInstructions(ours - setup, theirs - setup)
