"""Turn composed HTML into a PDF with WeasyPrint, reading only files the report may read."""

from __future__ import annotations

import datetime
import mimetypes
import os
import re
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from .compose import ComposedReport
from .errors import Diagnostics, UnsafeResourceError, captured_log
from .model import RenderedReport


# WeasyPrint notices about the machine's libraries; `make` reports these (scripts/check_system.py).
MACHINE_NOTICES = ("Using fontTools instead of HarfBuzz-Subset",)


class ConfinedFetcher(weasyprint.URLFetcher):
    """Serve `file:` and `data:` URLs inside the allowed folders; refuse everything else."""

    def __init__(self, allowed: tuple[Path, ...]) -> None:
        super().__init__(allowed_protocols=("file", "data"))
        self.allowed = tuple(path.resolve() for path in allowed)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
            if any(path.is_relative_to(root) for root in self.allowed):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return weasyprint.urls.URLFetcherResponse(
                    url, path.read_bytes(), headers={"Content-Type": content_type})
        self.refused.append(url)
        raise UnsafeResourceError(f"refused to read {url}")


def render_pdf(composed: ComposedReport, allowed: tuple[Path, ...], stylesheet: Path,
               source_date: datetime.date, diagnostics: Diagnostics, tagged: bool = True) -> RenderedReport:
    """Render composed HTML to PDF bytes; WeasyPrint's warnings become diagnostics."""
    fetcher = ConfinedFetcher(allowed)
    with captured_log("weasyprint", stylesheet, diagnostics, "render", ignore=MACHINE_NOTICES), \
            _source_date_epoch(source_date):
        document = weasyprint.HTML(string=composed.html, base_url=composed.base_url,
                                   url_fetcher=fetcher).render(font_config=FontConfiguration())
        pdf = document.write_pdf(pdf_tags=tagged)
    _report_foreign_fonts(document, stylesheet, diagnostics)
    if fetcher.refused:
        listed = ", ".join(sorted(set(fetcher.refused)))
        raise UnsafeResourceError(f"the report asked for files outside sources/ and layouts/ or on "
                                  f"the network, which is not allowed: {listed}")
    dividers = tuple(index for index, page in enumerate(document.pages)
                     for anchor in page.anchors if anchor.startswith("annex-"))
    return RenderedReport(pdf=pdf, page_count=len(document.pages), divider_pages=dividers)


def _report_foreign_fonts(document, stylesheet: Path, diagnostics: Diagnostics) -> None:
    """Warn when text fell back to a system font: the layout's fonts lack some characters."""
    declared = set(re.findall(r"@font-face\s*{[^}]*font-family:\s*[\"']([^\"']+)",
                              stylesheet.read_text(encoding="utf-8")))
    # document.fonts is filled while the PDF is written: every font a glyph was drawn with.
    for family in sorted({font.family for font in document.fonts.values()} - declared):
        diagnostics.warning(stylesheet, 0, 0, f"some text is set in the system font '{family}' "
                            "because the layout's fonts lack its characters: add a font with "
                            "them to the layout, or change the text", "render.system-font")


@contextmanager
def _source_date_epoch(date: datetime.date):
    """Fix the timestamps fontTools writes into embedded fonts, so rebuilds are byte-identical."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if previous is None:
        midnight = datetime.datetime.combine(date, datetime.time(), datetime.UTC)
        os.environ["SOURCE_DATE_EPOCH"] = str(int(midnight.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            del os.environ["SOURCE_DATE_EPOCH"]
