"""Turn composed HTML into WeasyPrint's cost per page: layout (`render`) and PDF writing apart."""

from __future__ import annotations

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


def measure_layout(composed: ComposedFile, fonts: Path, runs: int) -> LayoutCost:
    """Render and write composed HTML runs times in this process, with the pipeline's fonts.

    The two writes alternate in order, as the first write of a document warms caches the second
    one finds. Peak memory is not meaningful in process, so the summaries carry none.
    """
    import tempfile

    import weasyprint

    from kcvs_pdf.errors import Diagnostics
    from kcvs_pdf.layout.typeset import hermetic_fonts

    html = composed.html.read_text(encoding="utf-8")
    timings: dict[str, list[Run]] = {"render": [], "tagged": [], "plain": []}
    pages = 0
    for index in range(runs):
        folder = tempfile.TemporaryDirectory(prefix="kcvs-bench-fonts-")
        font_config = hermetic_fonts(fonts.parent, Path(folder.name), Diagnostics())
        started = time.perf_counter()
        document = weasyprint.HTML(string=html, base_url=composed.base_url).render(font_config=font_config)
        timings["render"].append(_since(started))
        writes = {"tagged": {"pdf_variant": "pdf/ua-1"}, "plain": {}}
        for name in sorted(writes, reverse=index % 2 == 1):
            started = time.perf_counter()
            document.write_pdf(**writes[name])
            timings[name].append(_since(started))
        pages = len(document.pages)
        folder.cleanup()
    return LayoutCost(pages, *(Summary.of(timings[name]) for name in ("render", "tagged", "plain")))


def _since(started: float) -> Run:
    return Run(time.perf_counter() - started, 0.0)
