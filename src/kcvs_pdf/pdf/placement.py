"""Turn a PDF's page content into the size and place each image is drawn at."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pikepdf
from pikepdf import Matrix, Name

# Forms nest forms; a file that nests deeper than this (or in a loop) is not one we wrote.
_MAX_FORM_DEPTH = 12
POINTS_PER_INCH = 72
_DRAWS_XOBJECT = re.compile(rb"(?<![^\s\]>)/])Do(?![^\s\[<(/%])")


@dataclass(frozen=True)
class Placement:
    """An image XObject and the largest size any page draws it at."""

    image: tuple[int, int]
    """Object and generation number of the image stream."""
    pixels: tuple[int, int]
    """Width and height in pixels, as stored."""
    drawn: tuple[float, float]
    """Largest width and height it is drawn at, in points."""
    page: int
    """0-based index of the first page that draws it."""
    alt: str
    """Alternate text of the structure element it is drawn in, "" when none."""

    @property
    def dpi(self) -> float:
        """Return the resolution it prints at: the lower of the two axes', at its largest size."""
        return min(pixels / (drawn / POINTS_PER_INCH) for pixels, drawn in zip(self.pixels, self.drawn, strict=True))

    def pixels_at(self, dpi: float) -> tuple[int, int]:
        """Return the pixel size that prints at dpi on both axes, keeping the aspect ratio."""
        scale = max(drawn / POINTS_PER_INCH * dpi / pixels
                    for pixels, drawn in zip(self.pixels, self.drawn, strict=True))
        width, height = self.pixels
        return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


@dataclass(frozen=True)
class _Use:
    page: int
    drawn: tuple[float, float]
    alt: str


def find_placements(pdf: pikepdf.Pdf) -> tuple[Placement, ...]:
    """Return every image drawn by the pages, directly or in forms, in order of first use.

    Images that are also used where no page draws them at a known size (patterns, annotation
    appearances, Type 3 glyphs, soft masks) are left out: their printed size is unknown.
    """
    uses: dict[tuple[int, int], list[_Use]] = {}
    for index, page in enumerate(pdf.pages):
        # Reading the bytes is far cheaper than parsing them: most pages of a report are text.
        if _DRAWS_XOBJECT.search(_content_bytes(page.obj)) is None:
            continue
        alts = _alternate_texts(pdf, page)
        _walk(page.obj, page.obj.get(Name.Resources), Matrix(), index, alts, uses, 0)
    elsewhere = _images_outside_pages(pdf)
    placements = []
    for objgen, found in uses.items():
        if objgen in elsewhere:
            continue
        image = pdf.get_object(objgen)
        drawn = (max(use.drawn[0] for use in found), max(use.drawn[1] for use in found))
        placements.append(Placement(objgen, (int(image.Width), int(image.Height)), drawn, found[0].page,
                                    next((use.alt for use in found if use.alt), "")))
    return tuple(placements)


def _walk(content: pikepdf.Object, resources: pikepdf.Object | None, ctm: Matrix, page: int,
          alts: dict[int, str], uses: dict, depth: int) -> None:
    """Follow q/Q/cm through one content stream and note the size of every image it draws."""
    stack, marks = [ctm], []
    for operands, operator in pikepdf.parse_content_stream(content):
        match str(operator):
            case "q":
                stack.append(stack[-1])
            case "Q" if len(stack) > 1:
                stack.pop()
            case "cm" if len(operands) == 6:
                stack[-1] = Matrix(*map(float, operands)) @ stack[-1]
            case "BDC":
                mcid = operands[1].get(Name.MCID) if isinstance(operands[1], pikepdf.Dictionary) else None
                marks.append(int(mcid) if mcid is not None else None)
            case "BMC":
                marks.append(None)
            case "EMC" if marks:
                marks.pop()
            case "Do":
                xobject = _xobject(resources, operands[0])
                if xobject is None:
                    continue
                # An image drawn at no size shows nothing and says nothing about the size it needs.
                if xobject.get(Name.Subtype) == Name.Image and min(_drawn_size(stack[-1])) > 0:
                    alt = next((alts.get(mcid, "") for mcid in reversed(marks) if mcid is not None), "")
                    uses.setdefault(xobject.objgen, []).append(_Use(page, _drawn_size(stack[-1]), alt))
                elif xobject.get(Name.Subtype) == Name.Form and depth < _MAX_FORM_DEPTH:
                    matrix = Matrix(xobject.get(Name.Matrix, pikepdf.Array([1, 0, 0, 1, 0, 0])))
                    _walk(xobject, xobject.get(Name.Resources, resources), matrix @ stack[-1], page,
                          alts, uses, depth + 1)


def _content_bytes(page: pikepdf.Object) -> bytes:
    contents = page.get(Name.Contents)
    streams = contents if isinstance(contents, pikepdf.Array) else (contents,)
    return b"\n".join(stream.read_bytes() for stream in streams if isinstance(stream, pikepdf.Stream))


def _xobject(resources: pikepdf.Object | None, name: pikepdf.Object) -> pikepdf.Object | None:
    if not isinstance(resources, pikepdf.Dictionary):
        return None
    xobjects = resources.get(Name.XObject)
    if not isinstance(xobjects, pikepdf.Dictionary) or str(name) not in xobjects:
        return None
    xobject = xobjects[str(name)]
    # objgen (0, 0) is a direct object: an image stream is always indirect, anything else is junk.
    return xobject if isinstance(xobject, pikepdf.Stream) and xobject.objgen != (0, 0) else None


def _drawn_size(ctm: Matrix) -> tuple[float, float]:
    """Return the width and height in points of the unit square an image is drawn into."""
    return math.hypot(ctm.a, ctm.b), math.hypot(ctm.c, ctm.d)


def _alternate_texts(pdf: pikepdf.Pdf, page: pikepdf.Page) -> dict[int, str]:
    """Return the /Alt of the structure element each marked-content id of page belongs to."""
    tree = pdf.Root.get(Name.StructTreeRoot)
    key = page.obj.get(Name.StructParents)
    if tree is None or key is None or Name.ParentTree not in tree:
        return {}
    parents = pikepdf.NumberTree(tree.ParentTree)
    elements = parents.get(int(key)) if int(key) in parents else None
    if not isinstance(elements, pikepdf.Array):
        return {}
    return {mcid: str(element.Alt) for mcid, element in enumerate(elements)
            if isinstance(element, pikepdf.Dictionary) and Name.Alt in element}


def _images_outside_pages(pdf: pikepdf.Pdf) -> frozenset[tuple[int, int]]:
    """Return the images named by patterns, appearances, glyphs and soft masks."""
    found = set()
    for scope in pdf.content_scopes(kinds=("pattern", "appearance", "glyph", "softmask")):
        xobjects = scope.resources.get(Name.XObject) if scope.resources is not None else None
        for xobject in (xobjects or {}).values() if isinstance(xobjects, pikepdf.Dictionary) else ():
            if isinstance(xobject, pikepdf.Stream) and xobject.get(Name.Subtype) == Name.Image:
                found.add(xobject.objgen)
    return frozenset(found)
