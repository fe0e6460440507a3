"""Turn the rendered report and its usable annexes into one PDF with outline, labels and links."""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, Fit, NameObject, NullObject

from .model import Annex, AnnexStatus, RenderedReport


def bundle(rendered: RenderedReport, annexes: tuple[Annex, ...], annexes_label: str,
           annex_label: str) -> PdfWriter:
    """Insert each bundled annex after its divider page, keeping the report's structure."""
    writer = PdfWriter(clone_from=io.BytesIO(rendered.pdf))
    bundled = [annex for annex in annexes if annex.status is AnnexStatus.BUNDLED]
    starts = annex_start_pages(rendered.divider_pages, [annex.page_count for annex in bundled])
    outline_parent = None
    for annex, start in zip(bundled, starts):
        # One reader at a time, closed before the next, so annexes are never all decoded at once.
        with PdfReader(annex.path) as reader:
            writer.merge(start, reader, import_outline=False)
            if outline_parent is None:
                outline_parent = writer.add_outline_item(annexes_label, start, fit=Fit.fit())
            annex_item = writer.add_outline_item(f"{annex_label} {annex.number}: {annex.title}", start,
                                                 parent=outline_parent, fit=Fit.fit())
            _copy_outline(reader, reader.outline, writer, annex_item, start)
        _point_destination(writer, annex.anchor, start)
    _label_pages(writer, rendered.divider_pages, starts, bundled)
    return writer


def annex_start_pages(divider_pages: tuple[int, ...], page_counts: list[int]) -> list[int]:
    """Return the 0-based page where each annex starts once all annexes are inserted."""
    starts, inserted = [], 0
    for divider, count in zip(divider_pages, page_counts, strict=True):
        starts.append(divider + inserted + 1)
        inserted += count
    return starts


def page_labels(report_pages: int, divider_pages: tuple[int, ...],
                page_counts: list[int]) -> list[str]:
    """Return the label of every page of the bundle, as a viewer will show it."""
    labels = [str(n) for n in range(1, (divider_pages[0] if divider_pages else report_pages) + 1)]
    for number, count in enumerate(page_counts, start=1):
        labels.append(f"B{number}")
        labels.extend(f"B{number}-{page}" for page in range(1, count + 1))
    return labels


def _label_pages(writer: PdfWriter, dividers: tuple[int, ...], starts: list[int],
                 annexes: list[Annex]) -> None:
    last_report_page = (dividers[0] if dividers else len(writer.pages)) - 1
    writer.set_page_label(0, last_report_page, style="/D")
    for annex, start in zip(annexes, starts):
        writer.set_page_label(start - 1, start - 1, prefix=f"B{annex.number}")
        writer.set_page_label(start, start + annex.page_count - 1, style="/D",
                              prefix=f"B{annex.number}-")


def _copy_outline(reader: PdfReader, items: list, writer: PdfWriter, parent, offset: int) -> None:
    previous = None
    for item in items:
        if isinstance(item, list):
            if previous is not None:
                _copy_outline(reader, item, writer, previous, offset)
            continue
        page = reader.get_destination_page_number(item)
        if page is None or page < 0:
            previous = None
            continue
        previous = writer.add_outline_item(str(item.title), offset + page, parent=parent,
                                           fit=_fit_of(item))


def _fit_of(destination) -> Fit:
    if destination.typ == "/XYZ":
        def number(value):
            return None if isinstance(value, NullObject) or value is None else float(value)
        return Fit.xyz(number(destination.left), number(destination.top), number(destination.zoom))
    return Fit.fit()


def _point_destination(writer: PdfWriter, name: str, page_index: int) -> None:
    """Make the named destination `name` (a divider's id) land on page_index instead."""
    target = ArrayObject([writer.pages[page_index].indirect_reference, NameObject("/Fit")])
    for names in _name_arrays(writer.root_object.get("/Names", DictionaryObject()).get("/Dests")):
        for index in range(0, len(names) - 1, 2):
            if names[index] == name:
                names[index + 1] = target


def _name_arrays(node) -> Iterator[ArrayObject]:
    if node is None:
        return
    node = node.get_object()
    if "/Names" in node:
        yield node["/Names"].get_object()
    for kid in node.get("/Kids", ()):
        yield from _name_arrays(kid)
