"""Read facts back from a PDF file so tests can assert on them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject


@dataclass(frozen=True)
class OutlineEntry:
    title: str
    page: int
    """0-based page index the entry lands on."""
    children: tuple[OutlineEntry, ...]


@dataclass(frozen=True)
class LinkAnnotation:
    page: int
    rect: tuple[float, float, float, float]
    target_page: int | None
    """0-based page an internal link lands on, None for a URI."""
    uri: str | None


def squash(text: str) -> str:
    """Return text without whitespace, hyphens, soft hyphens and dot leaders, for comparing."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011.…]+", "", text)


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def outline(reader: PdfReader) -> tuple[OutlineEntry, ...]:
    def walk(items) -> tuple[OutlineEntry, ...]:
        entries: list[OutlineEntry] = []
        for item in items:
            if isinstance(item, list):
                last = entries.pop()
                entries.append(OutlineEntry(last.title, last.page, walk(item)))
            else:
                entries.append(OutlineEntry(str(item.title), reader.get_destination_page_number(item), ()))
        return tuple(entries)
    return walk(reader.outline)


def links(reader: PdfReader) -> list[LinkAnnotation]:
    named = {name: reader.get_destination_page_number(dest)
             for name, dest in reader.named_destinations.items()}
    found = []
    for index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots", ()) or ():
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            rect = tuple(float(v) for v in annotation["/Rect"])
            action = annotation.get("/A", DictionaryObject())
            dest = annotation.get("/Dest", action.get("/D"))
            if action.get("/S") == "/URI":
                found.append(LinkAnnotation(index, rect, None, str(action["/URI"])))
            elif isinstance(dest, ArrayObject):
                found.append(LinkAnnotation(index, rect, reader.get_page_number(dest[0].get_object()), None))
            elif dest is not None:
                found.append(LinkAnnotation(index, rect, named.get(str(dest)), None))
    return found


def page_labels(reader: PdfReader) -> list[str]:
    return list(reader.page_labels)


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """Return every font used on any page and whether its program is embedded."""
    fonts: dict[str, bool] = {}

    def visit(resources) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[str(font.get("/BaseFont"))] = any(k in descriptor for k in
                                                    ("/FontFile", "/FontFile2", "/FontFile3"))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                visit(xobject["/Resources"])

    for page in reader.pages:
        visit(page.get("/Resources"))
    return fonts


def qpdf_problems(path: Path) -> list[str]:
    """Return what qpdf's check (through pikepdf) finds wrong with the file."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        return [str(problem) for problem in pdf.check_pdf_syntax()]


def text_boxes(path: Path, page: int, first: str, last: str) -> tuple[int, int, tuple[tuple[float, ...], ...]]:
    """Return the text from the first occurrence of `first` to the end of `last` after it on page:
    its first character's index, its fill colour and each character's box (left, bottom, right, top)."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium_c

    document = pypdfium2.PdfDocument(path)
    try:
        text = document[page].get_textpage()
        everything = text.get_text_range()
        start = everything.index(first)
        end = everything.index(last, start) + len(last)
        rgba = [ctypes.c_uint() for _ in range(4)]
        assert pdfium_c.FPDFText_GetFillColor(text, start, *rgba)
        boxes = tuple(box for box in (text.get_charbox(i) for i in range(start, end)) if box[2] > box[0])
        return start, tuple(channel.value for channel in rgba[:3]), boxes
    finally:
        document.close()


def background(path: Path, page: int, box: tuple[float, ...]) -> tuple[int, int, int]:
    """Return the colour most of box shows on the rendered page: what the text in it stands on."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        height = document[page].get_height()
        image = document[page].render(scale=2).to_pil().convert("RGB")
        left, bottom, right, top = box
        area = image.crop((int(left * 2), int((height - top) * 2), int(right * 2) + 1, int((height - bottom) * 2) + 1))
        return max(area.getcolors(area.width * area.height))[1]
    finally:
        document.close()


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """Return the WCAG 2 contrast ratio of two sRGB colours, 1 to 21."""
    def luminance(colour):
        linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in colour]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
