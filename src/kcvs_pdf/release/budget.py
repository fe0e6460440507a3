"""Turn an edition's PDF and the report's size budget into a verdict that names what weighs most."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pikepdf
from pikepdf import Name
from PIL import Image, UnidentifiedImageError

from ..errors import Diagnostics
from ..model import Annex, Edition, Report
from ..pdf.placement import POINTS_PER_INCH, Placement, find_placements

DEFAULT_BUDGETS = {Edition.WEB: 5_000_000, Edition.FULL: 60_000_000}
"""Bytes an edition may weigh unless report.yaml's `budget:` says otherwise (see README)."""
# The draft is the full edition with a watermark: it is held to the full edition's budget.
_BUDGETED_AS = {Edition.WEB: Edition.WEB, Edition.FULL: Edition.FULL, Edition.DRAFT: Edition.FULL}
LISTED_ITEMS = 8
_FONT_FILES = (Name.FontFile, Name.FontFile2, Name.FontFile3)
_MM_PER_INCH = 25.4


@dataclass(frozen=True)
class HeavyItem:
    """One part of a PDF and what it weighs."""

    description: str
    """What it is and where it comes from, e.g. `image sections/foto.jpg ("…", page 5)`."""
    size: int
    """Bytes it adds to the PDF."""
    detail: str = ""
    """What makes it weigh this, e.g. its pixel size and the resolution it prints at."""


@dataclass(frozen=True)
class SizeCheck:
    """An edition's size against its budget."""

    size: int
    limit: int
    heaviest: tuple[HeavyItem, ...]
    """The heaviest items, heaviest first, when the edition is over its budget; else empty."""

    @property
    def over(self) -> bool:
        return self.size > self.limit


def check_size(pdf: bytes, report_pdf: bytes, annexes: tuple[Annex, ...], report: Report,
               edition: Edition, diagnostics: Diagnostics) -> SizeCheck:
    """Return pdf's size against edition's budget; over it, warn with the heaviest items.

    report_pdf is the report before annexes were added: its images and fonts are listed one by
    one, each bundled annex as a whole.
    """
    budgeted = _BUDGETED_AS[edition]
    written = next((budget for budget in report.budgets if budget.edition is budgeted), None)
    limit = written.limit if written is not None else DEFAULT_BUDGETS[budgeted]
    if len(pdf) <= limit:
        return SizeCheck(len(pdf), limit, ())
    items = sorted((*_report_items(report_pdf, report), *_annex_items(annexes)),
                   key=lambda item: -item.size)[:LISTED_ITEMS]
    where = (written.path, written.line, written.column) if written is not None else \
        (report.sources / "report.yaml", 0, 0)
    listed = "".join(f"\n    {item.description}: {readable_size(item.size)}"
                     f"{', ' + item.detail if item.detail else ''}" for item in items)
    setting = f"'budget: {budgeted.value}'" if written is not None else \
        f"the default; report.yaml may set 'budget: {{{budgeted.value}: \"…MB\"}}'"
    diagnostics.warning(*where, f"the {edition.value} edition weighs {readable_size(len(pdf))}, over its "
                        f"budget of {readable_size(limit)} ({setting}); the heaviest items:{listed}",
                        "budget.over")
    return SizeCheck(len(pdf), limit, tuple(items))


def megabytes(size: int) -> str:
    """Return size in MB with one decimal, as the build's summary line writes sizes."""
    return f"{size / 1_000_000:.1f} MB"


def readable_size(size: int) -> str:
    """Return size in kB below a megabyte, else in MB with one decimal: 845 kB, 4.2 MB."""
    return f"{size / 1000:.0f} kB" if size < 1_000_000 else megabytes(size)


def _report_items(report_pdf: bytes, report: Report) -> tuple[HeavyItem, ...]:
    sources = _image_sources(report)
    with pikepdf.open(io.BytesIO(report_pdf)) as pdf:
        images = tuple(_image_item(pdf, placement, sources.get(placement.alt), report.sources.parent)
                       for placement in find_placements(pdf))
        fonts = _font_items(pdf)
    rest = len(report_pdf) - sum(item.size for item in (*images, *fonts))
    return (*images, *fonts, HeavyItem("the report's text, structure and drawings", rest))


def _image_item(pdf: pikepdf.Pdf, placement: Placement, source: Path | None, root: Path) -> HeavyItem:
    """Describe an image by its file, alternate text and page, and what it weighs and prints at."""
    image = pdf.get_object(placement.image)
    alpha = image.get(Name.SMask)
    size = len(image.read_raw_bytes()) + (len(alpha.read_raw_bytes()) if alpha is not None else 0)
    named = f"{source.relative_to(root).as_posix()} " if source and source.is_relative_to(root) else ""
    alt = f'"{placement.alt}", ' if placement.alt else ""
    width, height = (round(points / POINTS_PER_INCH * _MM_PER_INCH) for points in placement.drawn)
    detail = f"{placement.pixels[0]}×{placement.pixels[1]} px printed at {width}×{height} mm: " \
             f"{placement.dpi:.0f} dpi{_original_pixels(source, placement.pixels)}"
    return HeavyItem(f"image {named}({alt}page {placement.page + 1})", size, detail)


def _original_pixels(source: Path | None, pixels: tuple[int, int]) -> str:
    """Return a note of the source file's pixel size when it differs from the PDF's."""
    try:
        with Image.open(source) as picture:
            original = picture.size
    except (OSError, UnidentifiedImageError, AttributeError):
        return ""
    return f" (the file is {original[0]}×{original[1]} px)" if original != pixels else ""


def _font_items(pdf: pikepdf.Pdf) -> tuple[HeavyItem, ...]:
    sizes: dict[str, int] = {}
    for font in pdf.objects:
        if not isinstance(font, pikepdf.Dictionary) or font.get(Name.Type) != Name.FontDescriptor:
            continue
        program = next((font[key] for key in _FONT_FILES if key in font), None)
        if program is not None:
            # A subset's name starts with six capitals and a plus; the family is what people know.
            name = re.sub(r"^[A-Z]{6}\+", "", str(font.get(Name.FontName, "/unnamed"))[1:])
            sizes[name] = sizes.get(name, 0) + len(program.read_raw_bytes())
    return tuple(HeavyItem(f"font {name}", size) for name, size in sizes.items())


def _annex_items(annexes: tuple[Annex, ...]) -> tuple[HeavyItem, ...]:
    return tuple(HeavyItem(f"annex {annex.number} '{annex.file_name}' ({annex.title})",
                           annex.path.stat().st_size, f"{annex.page_count} pages")
                 for annex in annexes if annex.path is not None)


class _ImageSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, Path] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        source = values.get("src") or ""
        if tag == "img" and urlsplit(source).scheme == "file":
            self.found.setdefault(values.get("alt") or "", Path(url2pathname(unquote(urlsplit(source).path))))


def _image_sources(report: Report) -> dict[str, Path]:
    """Return the file each image's alternate text belongs to, as the sections' bodies say."""
    parser = _ImageSources()
    for section in report.sections:
        parser.feed(section.body_html)
    return parser.found
