"""Turn composed HTML into a PDF with WeasyPrint, reading only files the report may read."""

from __future__ import annotations

import datetime
import mimetypes
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname
from xml.sax.saxutils import escape

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from ..errors import Diagnostics, UnsafeResourceError, captured_log
from ..model import RenderedReport
from .compose import ComposedReport

# WeasyPrint notices about the machine's libraries; `make` reports these (scripts/check_system.py).
MACHINE_NOTICES = ("Using fontTools instead of HarfBuzz-Subset",)
# A layout font that does not load would silently be replaced by another: that is an error.
FONT_FAILURES = ("Font-face",)
# Fontconfig that knows only the layout's font folder, not the system's: the machine's installed
# fonts can never change the PDF. (With no font at all Pango crashes, so the folder is listed
# too, not just added through @font-face.)
_LAYOUT_ONLY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{cache}</cachedir></fontconfig>
"""


def hermetic_fonts(fonts: Path) -> FontConfiguration:
    """Return a font configuration that holds the layout's fonts and no system font."""
    with tempfile.TemporaryDirectory(prefix="kcvs-fonts-") as folder:
        config = Path(folder) / "fonts.conf"
        config.write_text(_LAYOUT_ONLY_FONTCONFIG.format(fonts=escape(str(fonts)), cache=escape(folder)),
                          encoding="utf-8")
        previous = os.environ.get("FONTCONFIG_FILE")
        os.environ["FONTCONFIG_FILE"] = str(config)
        try:
            return FontConfiguration()
        finally:
            if previous is None:
                del os.environ["FONTCONFIG_FILE"]
            else:
                os.environ["FONTCONFIG_FILE"] = previous


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
    """Render composed HTML to PDF bytes; WeasyPrint's warnings become diagnostics.

    Fonts come from the `fonts/` folder beside the stylesheet and from nowhere else.
    """
    fonts = stylesheet.parent / "fonts"
    fetcher = ConfinedFetcher(allowed)
    with captured_log("weasyprint", stylesheet, diagnostics, "render", ignore=MACHINE_NOTICES,
                      errors=FONT_FAILURES), _source_date_epoch(source_date):
        document = weasyprint.HTML(string=composed.html, base_url=composed.base_url,
                                   url_fetcher=fetcher).render(font_config=hermetic_fonts(fonts))
        pdf = document.write_pdf(pdf_variant="pdf/ua-1") if tagged else document.write_pdf()
    _report_foreign_fonts(document, stylesheet, diagnostics)
    if fetcher.refused:
        listed = ", ".join(sorted(set(fetcher.refused)))
        raise UnsafeResourceError(f"the report asked for files outside sources/ and layouts/ or on "
                                  f"the network, which is not allowed: {listed}")
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        # An element that runs over several pages has its id on each: where it starts counts.
        for anchor in page.anchors:
            anchors.setdefault(anchor, index)
    return RenderedReport(pdf=pdf, page_count=len(document.pages), anchors=anchors)


def _report_foreign_fonts(document, stylesheet: Path, diagnostics: Diagnostics) -> None:
    """Warn when text fell back to a system font: the layout's fonts lack some characters."""
    declared = set(re.findall(r"@font-face\s*{[^}]*font-family:\s*[\"']([^\"']+)",
                              stylesheet.read_text(encoding="utf-8")))
    # document.fonts is filled while the PDF is written: every font a glyph was drawn with.
    for family in sorted({font.family for font in document.fonts.values()} - declared):
        diagnostics.warning(stylesheet, 0, 0, f"some text is set in '{family}', a font of the layout "
                            "that no @font-face rule names: name every font the layout uses in "
                            "an @font-face rule", "render.undeclared-font")


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
