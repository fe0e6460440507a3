"""Turn the published editions and annexes into the report's landing page and its cover picture."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pypdfium2
from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup

from ..confine import RESOURCE_MAX_BYTES, read_layout_text
from ..errors import Diagnostics
from ..layout.compose import render_template, template_environment
from ..layout.labels import Labels
from ..model import Report
from .manifest import PublishedFile

LANDING_TEMPLATE = "landing.html"
LANDING_STYLESHEET = "landing.css"
LANDING_PAGE = "index.html"
COVER_WIDTH = 640
"""Pixels across the cover picture: sharp at twice the width the page shows it at."""


@dataclass(frozen=True)
class Cover:
    """The picture of the report's first page, as the landing page shows it."""

    path: PurePosixPath
    width: int
    height: int


@dataclass(frozen=True)
class _Link:
    """A published file as the landing page links to it."""

    href: str
    """URL relative to the landing page, percent-encoded."""
    size: int
    pages: int | None
    pdfua: str | None
    title: str
    number: int


def render_cover(pdf: Path, target: Path) -> tuple[int, int]:
    """Render pdf's first page to a PNG COVER_WIDTH pixels wide at target; return its size."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        picture = page.render(scale=COVER_WIDTH / page.get_width()).to_pil()
        page.close()
    finally:
        document.close()
    picture.save(target, "PNG", optimize=True)
    return picture.size


def compose_landing(report: Report, labels: Labels, layout: Path, page: PurePosixPath, cover: Cover,
                    editions: tuple[PublishedFile, PublishedFile], annexes: tuple[PublishedFile, ...],
                    diagnostics: Diagnostics) -> str | None:
    """Render the layout's landing page for the web and full editions, annexes and cover.

    Links are relative to page, so they work in the folder on disk and once it is uploaded.
    """
    stylesheet = layout / LANDING_STYLESHEET
    css = read_layout_text(stylesheet, layout, RESOURCE_MAX_BYTES, diagnostics, "layout.missing-stylesheet")
    if css is None:
        return None
    locale = report.language.replace("-", "_")
    environment = template_environment(layout)
    environment.filters.update(
        filesize=lambda size: _file_size(size, locale),
        number=lambda value: format_decimal(value, locale=locale),
        long_date=lambda date: format_date(date, "long", locale=locale),
    )
    web, full = (_link(file, page) for file in editions)
    context = {
        "report": report,
        "labels": labels,
        "web": web,
        "full": full,
        "annexes": tuple(_link(file, page) for file in annexes),
        "cover": {"href": _href(cover.path, page), "width": cover.width, "height": cover.height},
        # Inline, so the page makes no request for its looks; the file is the layout's own.
        "css": Markup(css),
    }
    composed = render_template(environment, LANDING_TEMPLATE, context, layout, diagnostics)
    return composed.html if composed is not None else None


def _link(file: PublishedFile, page: PurePosixPath) -> _Link:
    return _Link(_href(file.path, page), file.size, file.pages, file.pdfua, file.title, file.number)


def _href(target: PurePosixPath, page: PurePosixPath) -> str:
    """Return the URL of target relative to the folder page is in."""
    return quote(posixpath.relpath(target.as_posix(), page.parent.as_posix()), safe="/")


def _file_size(size: int, locale: str) -> str:
    """Return size as people read it: 845 kB, 4,2 MB (decimal units, like file managers)."""
    if size < 1_000_000:
        return f"{format_decimal(max(1, round(size / 1000)), locale=locale)} kB"
    value = Decimal(size) / Decimal(1_000_000)
    return f"{format_decimal(value, format='#,##0.0', locale=locale)} MB"
