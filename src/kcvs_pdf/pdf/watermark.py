"""Turn a bundled PDF into a draft: the layout's watermark page laid over every page as an artifact;
and a reviewed draft back into pages without it, for reading the text under comments."""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Dictionary, Name, Operator

# An artifact is skipped by screen readers and by text selection in good readers: the watermark
# says "draft" to the eye without entering the document's text.
_ARTIFACT = b"/Artifact <</Type /Pagination /Subtype /Watermark>> BDC\n"
_MARKS_OPENED = (Operator("BDC"), Operator("BMC"))


def watermark(document: pikepdf.Pdf, mark: bytes) -> None:
    """Draw the first page of mark over every page of document, scaled to fit and upright."""
    with pikepdf.open(io.BytesIO(mark)) as source:
        form = document.copy_foreign(source.pages[0].as_form_xobject())
        for page in document.pages:
            page.contents_add(b"q\n", prepend=True)
            name = _free_name(page)
            page.add_resource(form, Name.XObject, name)
            # The placement undoes the page's /Rotate and fits the form into the visible box,
            # so the mark reads the same on landscape and rotated annex pages.
            placement = page.calc_form_xobject_placement(form, name, pikepdf.Rectangle(page.trimbox),
                                                         invert_transformations=True,
                                                         allow_shrink=True, allow_expand=True)
            page.contents_add(b"Q\n" + _ARTIFACT + placement + b"\nEMC\n")


def _free_name(page: pikepdf.Page) -> Name:
    """Return a resource name the page does not use yet, the same on every build.

    pikepdf's `prefix=` picks a random one, and a draft must give the same bytes every time.
    """
    taken = set(page.obj.get("/Resources", pikepdf.Dictionary()).get("/XObject", pikepdf.Dictionary()).keys())
    number = 0
    while f"/KcvsWatermark{number}" in taken:
        number += 1
    return Name(f"/KcvsWatermark{number}")


def remove_watermarks(document: pikepdf.Pdf, page: pikepdf.Page) -> bool:
    """Drop what page draws as a watermark artifact, ours or a reader's; return whether it drew any.

    Readers extract the watermark's letters with the text they lie over: a highlight on a draft
    would quote "informatieveiligheid P T".
    """
    operations = pikepdf.parse_content_stream(page)
    kept, depth = [], 0
    for operands, operator in operations:
        # depth counts the marked-content sequences open inside a watermark, itself included.
        if depth and operator in _MARKS_OPENED:
            depth += 1
        elif depth and operator == Operator("EMC"):
            depth -= 1
        elif not depth and operator == Operator("BDC") and _is_watermark(operands):
            depth = 1
        elif not depth:
            kept.append((operands, operator))
    if len(kept) == len(operations):
        return False
    page.obj.Contents = pikepdf.Stream(document, pikepdf.unparse_content_stream(kept))
    return True


def _is_watermark(operands) -> bool:
    return len(operands) == 2 and operands[0] == Name.Artifact and isinstance(operands[1], Dictionary) \
        and operands[1].get("/Subtype") == Name.Watermark
