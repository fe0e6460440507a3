"""Turn composed HTML into PDF bytes with WeasyPrint, in the process that runs it, reading only files the report may read.

Only the render's child process (and the preview, which renders sections itself) imports this
module and so WeasyPrint; the build's own process never does.
"""

from __future__ import annotations

import mimetypes
import os
import re
import tempfile
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname
from xml.sax.saxutils import escape

import weasyprint
from PIL import Image
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration

from ..confine import RESOURCE_MAX_BYTES, RefusedFile, read_confined
from ..errors import Diagnostics, UnsafeResourceError, captured_log
from ..model import ComposedReport, RenderedReport
from .fonts import declared_families, read_fonts

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
# The class the layout's stylesheet lets break words anywhere: given to a table only when its
# words, kept whole, would make it wider than its column.
DENSE_TABLE = "dense"
_FILE_URL = re.compile(r"file://[^\s'\"]+")


def typeset(composed: ComposedReport, allowed: tuple[Path, ...], stylesheet: Path, epoch: str, tagged: bool,
            diagnostics: Diagnostics) -> tuple[RenderedReport, tuple[str, ...]]:
    """Render in this (child) process; return the report and the URLs refused as outside."""
    # The child's own environment: fontTools reads it while embedding fonts.
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    # Large photos are welcome (the check refused pictures with far too many pixels): Pillow's
    # warning about them would reach the editor as a Python warning.
    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
    fetcher = ConfinedFetcher(allowed, stylesheet, diagnostics)
    with tempfile.TemporaryDirectory(prefix="kcvs-fonts-") as folder, \
            captured_log("weasyprint", stylesheet, diagnostics, "render", ignore=MACHINE_NOTICES,
                         errors=FONT_FAILURES, locate=fetcher.locate):
        fonts = hermetic_fonts(stylesheet.parent, Path(folder), diagnostics)
        document = lay_out(weasyprint.HTML(string=composed.html, base_url=composed.base_url,
                                           url_fetcher=fetcher), fonts)
        pdf = document.write_pdf(pdf_variant="pdf/ua-1") if tagged else document.write_pdf()
    if fetcher.out_of_memory:
        raise MemoryError("a file could not be loaded for lack of memory")
    _report_foreign_fonts(document, stylesheet, diagnostics)
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        # An element that runs over several pages has its id on each: where it starts counts.
        for anchor in page.anchors:
            anchors.setdefault(anchor, index)
    return (RenderedReport(pdf=pdf, page_count=len(document.pages), anchors=anchors),
            tuple(sorted(set(fetcher.refused))))


def lay_out(html: weasyprint.HTML, fonts: FontConfiguration) -> weasyprint.Document:
    """Lay html out in pages; a table that its whole words make wider than its column is laid
    out again as dense, so that only there words break anywhere and no table runs past the column."""
    document = html.render(font_config=fonts)
    too_wide = _overflowing_tables(document)
    if not too_wide:
        return document
    for table in too_wide:
        table.set("class", f"{table.get('class', '')} {DENSE_TABLE}".strip())
    return html.render(font_config=fonts)


def _overflowing_tables(document: weasyprint.Document) -> list:
    """Return the HTML elements of the tables laid out wider than the block that holds them."""
    found: dict[int, object] = {}

    def walk(box, right: float) -> None:
        if isinstance(box, boxes.TableBox) and box.position_x + box.margin_width() > right + 0.5:
            found.setdefault(id(box.element), box.element)
        # A table's wrapper is as wide as the table: the column is the block around it.
        if isinstance(box, boxes.BlockContainerBox) and not box.is_table_wrapper:
            right = box.content_box_x() + box.width
        for child in getattr(box, "children", ()):
            walk(child, right)

    for page in document.pages:
        walk(page._page_box, float("inf"))  # WeasyPrint's laid-out boxes have no public name
    return list(found.values())


def hermetic_fonts(layout: Path, folder: Path, diagnostics: Diagnostics) -> FontConfiguration:
    """Return a font configuration that holds the layout's fonts and no system font.

    Fontconfig gets copies in folder, not the layout's fonts/ itself: it would follow a link out
    of the layout, and wait forever on a pipe.
    """
    fonts = folder / "fonts"
    fonts.mkdir()
    for name, data in read_fonts(layout, diagnostics).items():
        (fonts / name).write_bytes(data)
    config = folder / "fonts.conf"
    config.write_text(_LAYOUT_ONLY_FONTCONFIG.format(fonts=escape(str(fonts)), cache=escape(str(folder))),
                      encoding="utf-8")
    # Fontconfig reads the variable only while the configuration is made: put it back after, so
    # no later process (the preview's, a test's) inherits a folder that is gone.
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
    """Serve `data:` URLs and regular files inside the allowed folders; refuse everything else."""

    def __init__(self, allowed: tuple[Path, ...], stylesheet: Path, diagnostics: Diagnostics) -> None:
        super().__init__(allowed_protocols=("file", "data"))
        self.allowed = tuple(path.resolve() for path in allowed)
        self.layout = stylesheet.parent.resolve()
        self.stylesheet = stylesheet
        self.diagnostics = diagnostics
        self.refused: list[str] = []
        """URLs outside the allowed folders or on the network."""
        self.reported: set[str] = set()
        """URLs of files inside that were refused with a diagnostic of their own."""
        self.out_of_memory = False
        """Whether WeasyPrint logged, and went on after, running out of memory."""

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        path = self._inside(url)
        if path is None:
            self.refused.append(url)
            raise UnsafeResourceError(f"refused to read {url}")
        try:
            data = read_confined(path, self.allowed, RESOURCE_MAX_BYTES)
        except RefusedFile as refused:
            # A missing file is WeasyPrint's to report ("Failed to load image …"), at that file.
            if refused.reason == "missing":
                raise FileNotFoundError(refused.message) from None
            self.reported.add(url)
            area = "layout" if path.is_relative_to(self.layout) else "source"
            self.diagnostics.error(path, 1, 1, f"'{path.name}' was not read because {refused.message}",
                                   f"{area}.{refused.reason}")
            raise UnsafeResourceError(refused.message) from None
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return weasyprint.urls.URLFetcherResponse(url, data, headers={"Content-Type": content_type})

    def locate(self, message: str) -> Path | None:
        """Return the file a WeasyPrint message is about: a project file its URL names, else the
        stylesheet; None when the fetcher already reported that file."""
        if "MemoryError" in message:
            self.out_of_memory = True  # WeasyPrint went on without the file: the render's limit is reported
            return None
        for url in _FILE_URL.findall(message):
            url = url.rstrip(".,:;)")
            if url in self.reported:
                return None
            path = self._inside(url)
            if path is not None:
                return path
        return self.stylesheet

    def _inside(self, url: str) -> Path | None:
        """Return the path of a `file:` URL as named (links not followed) when inside an allowed folder."""
        if urlsplit(url).scheme.lower() != "file":
            return None
        path = Path(os.path.abspath(url2pathname(unquote(urlsplit(url).path))))
        return path if any(path.is_relative_to(root) for root in self.allowed) else None


def _report_foreign_fonts(document, stylesheet: Path, diagnostics: Diagnostics) -> None:
    """Warn when text fell back to a system font: the layout's fonts lack some characters."""
    try:
        css = read_confined(stylesheet, (stylesheet.parent,), RESOURCE_MAX_BYTES).decode("utf-8", "replace")
    except RefusedFile:
        return  # the render reported why the stylesheet was not read
    declared = declared_families(css)
    # document.fonts is filled while the PDF is written: every font a glyph was drawn with.
    for family in sorted({font.family for font in document.fonts.values()} - declared):
        diagnostics.warning(stylesheet, 0, 0, f"some text is set in '{family}', a font of the layout "
                            "that no @font-face rule names: name every font the layout uses in "
                            "an @font-face rule", "render.undeclared-font")
