"""Turn the rendered report and its usable annexes into one PDF with outline, labels and links."""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, Fit, NameObject, NullObject

from .errors import Diagnostics, captured_log
from .model import Annex, AnnexStatus, RenderedReport


def bundle(rendered: RenderedReport, annexes: tuple[Annex, ...], annexes_label: str,
           annex_label: str, diagnostics: Diagnostics) -> PdfWriter:
    """Insert each bundled annex after its divider page, keeping the report's structure."""
    writer = PdfWriter(clone_from=io.BytesIO(rendered.pdf))
    bundled = [annex for annex in annexes if annex.status is AnnexStatus.BUNDLED]
    starts = annex_start_pages(rendered.divider_pages, [annex.page_count for annex in bundled])
    outline_parent = None
    for annex, start in zip(bundled, starts):
        # One reader at a time, closed before the next, so annexes are never all decoded at once.
        with captured_log("pypdf", annex.section.path, diagnostics, "bundle",
                          f"annex '{annex.path.name}'"), PdfReader(annex.path) as reader:
            names_before = set(_dest_names(writer))
            writer.merge(start, reader, import_outline=False)
            _resolve_named_links(writer, reader, start, annex.page_count)
            _drop_dest_names(writer, keep=names_before)
            if outline_parent is None:
                outline_parent = writer.add_outline_item(title=annexes_label, page_number=start, fit=Fit.fit())
            annex_item = writer.add_outline_item(title=f"{annex_label} {annex.number}: {annex.title}",
                                                 page_number=start, parent=outline_parent, fit=Fit.fit())
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
        previous = writer.add_outline_item(title=str(item.title), page_number=offset + page,
                                           parent=parent, fit=_fit_of(item))


def _resolve_named_links(writer: PdfWriter, reader: PdfReader, start: int, count: int) -> None:
    """Point the annex's links at its own pages explicitly.

    Annexes made by the same tool share destination names (`page.1`, `section.2`), so links
    that go by name would land in whichever annex claimed the name first.
    """
    destinations = reader.named_destinations
    for page in writer.pages[start:start + count]:
        for annotation in page.get("/Annots", ()) or ():
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            action = action.get_object() if action is not None else None
            name = annotation.get("/Dest")
            if name is None and action is not None and action.get("/S") == "/GoTo":
                name = action.get("/D")
            if not isinstance(name, str) or str(name) not in destinations:
                continue
            destination = destinations[str(name)]
            target = reader.get_destination_page_number(destination)
            fit = _fit_of(destination)
            annotation[NameObject("/Dest")] = ArrayObject(
                [writer.pages[start + target].indirect_reference, NameObject(fit.fit_type), *fit.fit_args])
            annotation.pop("/A", None)


def _dest_names(writer: PdfWriter) -> list[str]:
    names = writer.get_named_dest_root()
    return [str(names[index]) for index in range(0, len(names) - 1, 2)]


def _drop_dest_names(writer: PdfWriter, keep: set[str]) -> None:
    names = writer.get_named_dest_root()
    kept = ArrayObject()
    for index in range(0, len(names) - 1, 2):
        if str(names[index]) in keep:
            kept.extend(names[index:index + 2])
    names[:] = kept


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
