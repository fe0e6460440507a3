"""Read where a PDF page draws its images and text, and inside which marked content."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pikepdf

Drawn = tuple[str, tuple[float, float, float, float], tuple[str, ...], object]
"""What a page draws: kind ('image' or 'text'), bounding box in points, marked-content tags
around it, and the image (its pixel size) or the text's font size."""


def drawn(pdf_path: Path, page_number: int) -> list[Drawn]:
    """Return the images and text runs a page draws, with where they land on the page."""
    with pikepdf.open(pdf_path) as pdf:
        page = pdf.pages[page_number]
        return list(_walk(pikepdf.parse_content_stream(page), page.Resources, pikepdf.Matrix(), []))


def _walk(operations, resources, ctm: pikepdf.Matrix, marks: list[str]) -> Iterator[Drawn]:
    saved, font, size, tm = [], None, 0.0, pikepdf.Matrix()
    for operands, operator in operations:
        op = str(operator)
        if op == "q":
            saved.append(ctm)
        elif op == "Q":
            ctm = saved.pop()
        elif op == "cm":
            ctm = pikepdf.Matrix(*map(float, operands)) @ ctm
        elif op in ("BMC", "BDC", "EMC"):
            marks = marks[:-1] if op == "EMC" else [*marks, str(operands[0])]
        elif op == "Tf":
            font, size = resources.Font[str(operands[0])], float(operands[1])
        elif op in ("Tm", "BT"):
            tm = pikepdf.Matrix(*map(float, operands)) if op == "Tm" else pikepdf.Matrix()
        elif op in ("TJ", "Tj"):
            width = _advance(font, size, operands[0] if op == "TJ" else [operands[0]])
            yield "text", _box(tm @ ctm, width, 0), tuple(marks), size
            tm = pikepdf.Matrix(1, 0, 0, 1, width, 0) @ tm
        elif op in ("Td", "TD", "T*", "'", '"'):
            raise NotImplementedError(f"text moved with {op}: teach pdfdraw where that puts it")
        elif op == "Do":
            xobject = resources.XObject[str(operands[0])]
            if xobject.Subtype == "/Image":
                yield "image", _box(ctm, 1, 1), tuple(marks), (int(xobject.Width), int(xobject.Height))
            else:
                inner = pikepdf.Matrix(*map(float, xobject.get("/Matrix", [1, 0, 0, 1, 0, 0]))) @ ctm
                yield from _walk(pikepdf.parse_content_stream(xobject), xobject.Resources, inner, marks)


def _advance(font, size: float, items) -> float:
    """Return the width of a TJ array in text space: glyph widths minus the kerning numbers."""
    widths, default = _widths(font.DescendantFonts[0])
    total = 0.0
    for item in items:
        if isinstance(item, pikepdf.String):
            data = bytes(item)
            total += sum(widths.get(int.from_bytes(data[i:i + 2]), default) for i in range(0, len(data), 2))
        else:
            total -= float(item)
    return total / 1000 * size


def _widths(cid_font) -> tuple[dict[int, float], float]:
    widths, entries, index = {}, list(cid_font.get("/W", [])), 0
    while index < len(entries):
        first = int(entries[index])
        if isinstance(entries[index + 1], pikepdf.Array):
            widths.update({first + i: float(w) for i, w in enumerate(entries[index + 1])})
            index += 2
        else:
            widths.update({cid: float(entries[index + 2]) for cid in range(first, int(entries[index + 1]) + 1)})
            index += 3
    return widths, float(cid_font.get("/DW", 1000))


def _box(matrix: pikepdf.Matrix, width: float, height: float) -> tuple[float, float, float, float]:
    corners = [(matrix.a * x + matrix.c * y + matrix.e, matrix.b * x + matrix.d * y + matrix.f)
               for x in (0, width) for y in (0, height)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)
