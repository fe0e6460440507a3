"""Turn the rendered report and its usable annexes into one PDF with outline, labels and links."""

from __future__ import annotations

import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, OutlineItem, String

from ..errors import Diagnostics
from ..layout.labels import Labels
from ..model import Annex, AnnexPlan, RenderedReport
from .structure import append_annex


@dataclass(frozen=True)
class Bundled:
    """What bundling the annexes means for the finished PDF's accessibility."""

    untagged_annex_pages: int
    """Annex pages that carry no tags, marked as artifacts."""
    claims_pdf_ua: bool
    """Whether the PDF's metadata claims PDF/UA-1 (withdrawn when an annex page is untagged)."""


def bundle(pdf: pikepdf.Pdf, rendered: RenderedReport, annexes: AnnexPlan, labels: Labels,
           diagnostics: Diagnostics, open_files: ExitStack) -> Bundled:
    """Append each bundled annex to pdf, the rendered report, after its divider page, named with `labels`.

    Annex files are opened on `open_files` and must stay open until pdf is saved: qpdf copies
    their streams lazily, so no annex is ever held decoded in memory.
    """
    bundled = annexes.bundled
    dividers = [pdf.pages[index] for index in rendered.divider_pages]
    # Pages after the last divider (a draft's approval sheet) stay at the very end.
    tail = [pdf.pages[index] for index in range(rendered.divider_pages[-1] + 1, len(pdf.pages))] \
        if dividers else []
    if dividers:
        del pdf.pages[rendered.divider_pages[0]:]
    annexes_label, annex_label = labels["annexes"], labels["annex"]
    starts, outlines, untagged = [], [], 0
    for annex, divider in zip(bundled, dividers, strict=True):
        with _warnings_as_diagnostics(annex, diagnostics):
            source = open_files.enter_context(pikepdf.open(annex.path))
            pdf.pages.append(divider)
            starts.append(len(pdf.pages))
            if not append_annex(pdf, source, divider, f"{annex_label} {annex.number}: {annex.title}",
                                labels["annex_untagged"]):
                untagged += annex.page_count
            outlines.append(_outline_entries(source))
        _point_destination(pdf, annex.anchor, pdf.pages[starts[-1]])
    for page in tail:
        pdf.pages.append(page)
    _add_annex_outline(pdf, bundled, starts, outlines, annexes_label, annex_label)
    _label_pages(pdf, starts, bundled, rendered.divider_pages[0] if dividers else 0, len(tail))
    # Conformance claimed for the report cannot hold for pages that carry no tags.
    if untagged:
        _withdraw_pdf_ua_claim(pdf)
    return Bundled(untagged_annex_pages=untagged, claims_pdf_ua=_claims_pdf_ua(pdf))


def _claims_pdf_ua(pdf: pikepdf.Pdf) -> bool:
    """Tell whether pdf's XMP metadata claims conformance to PDF/UA-1."""
    return "/Metadata" in pdf.Root and str(pdf.open_metadata().get("pdfuaid:part", "")).strip() == "1"


def _withdraw_pdf_ua_claim(pdf: pikepdf.Pdf) -> None:
    if "/Metadata" not in pdf.Root:
        return
    # No editor mark and no DocInfo sync: the metadata must stay as the report set it.
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as metadata:
        if "pdfuaid:part" in metadata:
            del metadata["pdfuaid:part"]


@contextmanager
def _warnings_as_diagnostics(annex: Annex, diagnostics: Diagnostics):
    """Report what pikepdf warns about while copying an annex, on the section that links it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        diagnostics.warning(annex.section.path, 0, 0, f"annex '{annex.path.name}': {warning.message}",
                            "bundle.warning")


def _label_pages(pdf: pikepdf.Pdf, starts: list[int], annexes: tuple[Annex, ...], report_pages: int,
                 tail: int) -> None:
    """Label report pages as printed, divider n `Bn`, and annex n's pages `Bn-1`, `Bn-2`, …

    Report pages moved behind the annexes go on with the report's numbers.
    """
    numbers = Array([0, Dictionary(S=Name.D)])
    for annex, start in zip(annexes, starts, strict=True):
        numbers.extend([start - 1, Dictionary(P=String(f"B{annex.number}"))])
        numbers.extend([start, Dictionary(S=Name.D, P=String(f"B{annex.number}-"))])
    if tail and annexes:
        numbers.extend([len(pdf.pages) - tail, Dictionary(S=Name.D, St=report_pages + 1)])
    pdf.Root.PageLabels = Dictionary(Nums=numbers)


def _point_destination(pdf: pikepdf.Pdf, name: str, page: pikepdf.Page) -> None:
    """Make the named destination `name` (a divider's id) land on page instead."""
    destinations = NameTree(pdf.Root.Names.Dests)
    destinations[name] = Array([page.obj, Name.Fit])


def _add_annex_outline(pdf: pikepdf.Pdf, annexes: tuple[Annex, ...], starts: list[int],
                       outlines: list[list], annexes_label: str, annex_label: str) -> None:
    if not annexes:
        return
    with pdf.open_outline() as outline:
        parent = OutlineItem(annexes_label, starts[0])
        for annex, start, entries in zip(annexes, starts, outlines, strict=True):
            item = OutlineItem(f"{annex_label} {annex.number}: {annex.title}", start)
            item.children.extend(_shifted(entries, start))
            parent.children.append(item)
        outline.root.append(parent)


def _shifted(entries: list, start: int) -> list[OutlineItem]:
    items = []
    for title, page, children in entries:
        item = OutlineItem(title, start + page) if page is not None else OutlineItem(title)
        item.children.extend(_shifted(children, start))
        items.append(item)
    return items


def _outline_entries(source: pikepdf.Pdf) -> list:
    """Return the annex's outline as (title, page index or None, children), read before copying."""
    pages = {page.obj.objgen: index for index, page in enumerate(source.pages)}
    names = NameTree(source.Root.Names.Dests) if "/Names" in source.Root and \
        "/Dests" in source.Root.Names else {}

    def target(item: OutlineItem) -> int | None:
        destination = item.destination
        if destination is None and item.action is not None and item.action.get("/S") == Name.GoTo:
            destination = item.action.get("/D")
        if isinstance(destination, (String, Name, str)):
            destination = names.get(str(destination)) if str(destination) in names else None
        if isinstance(destination, Dictionary):
            destination = destination.get("/D")
        if isinstance(destination, Array) and len(destination) and isinstance(destination[0], Dictionary):
            return pages.get(destination[0].objgen)
        return None

    def walk(items) -> list:
        return [(str(item.title), target(item), walk(item.children)) for item in items]

    with source.open_outline() as outline:
        return walk(outline.root)
