"""Turn a bundled PDF into a draft: the layout's watermark page laid over every page as an artifact."""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Name

# An artifact is skipped by screen readers and by text selection in good readers: the watermark
# says "draft" to the eye without entering the document's text.
_ARTIFACT = b"/Artifact <</Type /Pagination /Subtype /Watermark>> BDC\n"


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
