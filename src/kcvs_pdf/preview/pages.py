"""Turn a PDF into its pages' labels, texts and sizes, and each page into a picture for the screen."""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import pypdfium2

SCREEN_DPI = 120
"""Sharp on an ordinary screen at the page's natural width, light enough to render on request."""
_POINTS_PER_INCH = 72
# WeasyPrint ends a line broken inside a word with U+2010 HYPHEN, not the hyphen-minus typed in
# the sources: joined again, the page's text has the words as written and can be searched.
_BROKEN_WORD = re.compile("\u2010[ \t]*\r?\n")
# PDFium is not thread-safe: the build thread reads texts while request threads draw pictures.
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PageText:
    """What the preview shows of one page besides its picture."""

    label: str
    """The page label a PDF reader shows (`12`, `B3-2`), or the page number when the PDF has none."""
    text: str
    """The page's text as PDFium extracts it, lines joined by spaces, words broken by hyphenation whole."""
    width: float
    """Width in points, as displayed (rotation applied)."""
    height: float


def read_pages(pdf: bytes) -> tuple[PageText, ...]:
    """Return every page's label, text and size."""
    with _PDFIUM:
        document = pypdfium2.PdfDocument(pdf)
        try:
            return tuple(_page_text(document, index) for index in range(len(document)))
        finally:
            document.close()


def _page_text(document: pypdfium2.PdfDocument, index: int) -> PageText:
    page = document[index]
    try:
        text_page = page.get_textpage()
        try:
            text = " ".join(_BROKEN_WORD.sub("", text_page.get_text_bounded()).split())
        finally:
            text_page.close()
        width, height = page.get_size()
    finally:
        page.close()
    return PageText(label=document.get_page_label(index) or str(index + 1), text=text, width=width,
                    height=height)


def page_picture(pdf: bytes, index: int, dpi: int = SCREEN_DPI) -> bytes:
    """Return page index of pdf as a PNG at dpi; raise IndexError when there is no such page."""
    with _PDFIUM:
        document = pypdfium2.PdfDocument(pdf)
        try:
            if not 0 <= index < len(document):
                raise IndexError(f"the PDF has no page {index}")
            page = document[index]
            try:
                image = page.render(scale=dpi / _POINTS_PER_INCH).to_pil()
            finally:
                page.close()
        finally:
            document.close()
    png = io.BytesIO()
    # Speed over size: the picture crosses the loopback only, and is drawn while someone waits.
    image.save(png, format="PNG", compress_level=1)
    return png.getvalue()


class Pictures:
    """Keep the pictures of the pages drawn last, so that each is drawn once."""

    def __init__(self, capacity: int = 200) -> None:
        self._capacity = capacity
        self._kept: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, document: str, pdf: bytes, index: int) -> bytes:
        """Return the picture of page index of pdf, which is named document and never changes."""
        key = (document, index)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        picture = page_picture(pdf, index)
        with self._lock:
            self._kept[key] = picture
            while len(self._kept) > self._capacity:
                self._kept.popitem(last=False)
        return picture
