"""Turn the layout's fonts into the characters they can draw, and report text they cannot, or
that asks for a font the layout does not have (in an SVG chart)."""

from __future__ import annotations

import functools
import io
import unicodedata
from pathlib import Path

from fontTools.ttLib import TTFont

from ..confine import RefusedFile, read_confined
from ..errors import Diagnostics
from ..model import Report, url_file_name
from .compose import STYLESHEET
from .fonts import FONT_MAX_BYTES, FONTS_DIR, declared_families, read_fonts

# Invisible characters are never drawn, so no font needs them.
_NOT_DRAWN = {"Cc", "Cf", "Zl", "Zp"}


def check_glyphs(report: Report, layout: Path, diagnostics: Diagnostics) -> None:
    """Record an error for each font file that cannot be read and each character no layout font has."""
    fonts = layout / FONTS_DIR
    covered: set[int] = set()
    for name, data in read_fonts(layout, diagnostics).items():
        points = coverage(data)
        if points is None:
            diagnostics.error(fonts / name, 1, 1, f"'{name}' cannot be read as a font, so its text would "
                              "print in another font: replace it with an intact copy of the font file",
                              "layout.unreadable-font")
        covered |= points or frozenset()
    if not covered:
        diagnostics.error(fonts, 0, 0, f"the layout has no fonts in {fonts.name}/: the build uses no "
                          "font of the machine, so the layout must bring its own", "layout.no-fonts")
        return
    _check_chart_fonts(report, layout, diagnostics)
    for path, text, where in _printed_text(report):
        missing = sorted({ch for ch in text if ord(ch) not in covered and not ch.isspace()
                          and unicodedata.category(ch) not in _NOT_DRAWN})
        if not missing:
            continue
        source = path.read_text(encoding="utf-8-sig")
        for character in missing:
            line, column = _locate(source, character, where)
            name = unicodedata.name(character, "unnamed character")
            diagnostics.error(path, line, column,
                              f"the character '{character}' (U+{ord(character):04X} {name}) is in none of "
                              f"the layout's fonts, so it cannot be printed: replace it, or add a font "
                              f"that has it to {fonts.parent.name}/{fonts.name}/ and its stylesheet",
                              "text.no-glyph")


@functools.lru_cache(maxsize=32)
def coverage(font: bytes) -> frozenset[int] | None:
    """Return every code point the font file maps to a glyph, or None when it is no readable font."""
    try:
        with TTFont(io.BytesIO(font), lazy=True) as opened:
            return frozenset(opened.getBestCmap() or {})
    except Exception:  # noqa: BLE001 (fontTools raises many kinds of errors on a damaged file)
        return None


def _check_chart_fonts(report: Report, layout: Path, diagnostics: Diagnostics) -> None:
    """Warn at each SVG chart that names only fonts the layout lacks: its text would print in
    whichever layout font comes first, not as drawn."""
    try:
        declared = declared_families(read_confined(layout / STYLESHEET, (layout,), FONT_MAX_BYTES)
                                     .decode("utf-8", "replace"))
    except RefusedFile:
        return  # composing the layout reports why its stylesheet cannot be read
    for section in report.sections:
        for chart in section.charts:
            foreign = dict.fromkeys(families[0] for families in chart.fonts if not declared.intersection(families))
            if foreign:
                diagnostics.warning(section.path, chart.line, chart.column,
                                    f"'{chart.path.name}' sets text in {_listed(list(foreign))}, which the "
                                    f"layout does not have: set it in {_listed(sorted(declared))}",
                                    "text.chart-font")


def _listed(families: list[str]) -> str:
    """Return 'a', 'a' or 'b', 'a', 'b' or 'c'."""
    quoted = [f"'{family}'" for family in families]
    return " or ".join(quoted) if len(quoted) <= 2 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _printed_text(report: Report):
    """Yield (file, text, where) for everything of the sources that the layout prints; `where`
    is the line and column to name for a character that is not written as such in the file."""
    yield report.sources / "report.yaml", " ".join(
        [report.title, report.subtitle, report.organisation, report.subject,
         *(c.title for c in report.chapters), *(f"{c.label} {c.value}" for c in report.colophon),
         *(label.value for label in report.labels)]), (1, 1)
    for section in report.sections:
        yield section.path, " ".join([section.title, section.body_text,
                                      *(link.label for link in section.links),
                                      *(link.title or "" for link in section.links)]), (1, 1)
        for chart in section.charts:
            yield section.path, chart.text, (chart.line, chart.column)
        # An annex's published file name prints in the contents, decoded from its URL's %-codes.
        for link in section.links:
            if link.annex_file:
                yield section.path, url_file_name(link.url), (link.line, link.column)
    # Who approved a section prints on a draft's approval sheet; report.yaml may say it for all.
    yield from dict.fromkeys((section.approval.path, section.approval.approved_by, (1, 1))
                             for section in report.sections if section.approval.path is not None)


def _locate(source: str, character: str, where: tuple[int, int]) -> tuple[int, int]:
    index = source.find(character)
    if index < 0:
        return where
    line = source.count("\n", 0, index) + 1
    return line, index - (source.rfind("\n", 0, index) + 1) + 1
