"""Turn the changes between two builds into a designed change-report PDF beside the new one."""

from __future__ import annotations

import base64
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdfium2

from ..errors import Diagnostics
from ..layout.compose import STYLESHEET, render_template, template_environment
from ..layout.labels import label_group
from ..layout.render import render_pdf
from ..pdf.provenance import EmbeddedSection
from ..pdf.tagging import make_accessible
from ..pdf.write import write_atomically
from .comments import longest_match, squash
from .diff import PILCROW, Mark, ReportChanges, Run, SectionChange

TEMPLATE = "changes.html"
LABELS = ("file_suffix", "title", "summary", "section_one", "section_many", "no_changes", "written",
          "old_version", "new_version", "editions", "revision", "legend", "inserted", "deleted",
          "overview", "section", "chapter", "change", "page", "page_number", "kinds", "unchanged", "none_unchanged",
          "moved_to", "moved_order", "source", "pages_title", "page_of_old", "page_of_new")
# 100 dpi shows a page's layout and headings; the text itself is in the report above the pictures.
PICTURE_DPI = 100


@dataclass(frozen=True)
class Picture:
    """A page of one of the compared PDFs, as an image for the change report."""

    uri: str
    """PNG as a data: URL, so the renderer reads nothing outside the layout."""
    alt: str
    """Alternative text and caption, e.g. `Pagina 12 van de vorige versie`."""


def change_labels(layout: Path) -> dict:
    """Return the words of the change report and the terminal summary."""
    return label_group(layout, "changes", LABELS)


def summary(changes: ReportChanges, labels: dict) -> str:
    """Return the one-line count of changes, e.g. `3 secties gewijzigd, 1 toegevoegd, …`."""
    if not changes.any:
        return labels["no_changes"]
    edited = len(changes.edited)
    return labels["summary"].format(
        edited=edited, sections=labels["section_one" if edited == 1 else "section_many"],
        added=len(changes.added), removed=len(changes.removed), moved=len(changes.moved))


def section_lines(changes: ReportChanges, labels: dict) -> tuple[str, ...]:
    """Return a line per section that changed: what happened to it, its title and source."""
    return tuple(f"{', '.join(labels['kinds'][kind] for kind in _kinds(change))}: "
                 f"{change.section.title} ({change.section.source})"
                 for change in changes.sections if not change.unchanged)


def _kinds(change: SectionChange) -> tuple[str, ...]:
    return tuple(kind for kind in ("added", "removed", "edited", "moved") if getattr(change, kind))


def report_path(new: Path, labels: dict) -> Path:
    """Return where the change report of new is written: beside it, `<stem>-wijzigingen.pdf`."""
    return new.with_name(f"{new.stem}-{labels['file_suffix']}.pdf")


def write_change_report(changes: ReportChanges, old: Path, new: Path, layout: Path, labels: dict,
                        diagnostics: Diagnostics) -> Path:
    """Render the change report with the layout's template and write it beside new."""
    context = {"labels": labels, "changes": changes, "summary": summary(changes, labels),
               "old_name": old.name, "new_name": new.name,
               "pictures": _pictures(changes, old, new, labels), "stylesheet": STYLESHEET}
    composed = render_template(template_environment(layout), TEMPLATE, context, layout, diagnostics)
    diagnostics.raise_if_errors()
    rendered = render_pdf(composed, (layout,), layout / STYLESHEET,
                          datetime.date.fromisoformat(changes.new.published), diagnostics)
    # Tagged as the report is, so that it passes the same PDF/UA and WCAG checks.
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        make_accessible(pdf, _link_descriptions(changes, rendered.anchors, labels))
        saved = io.BytesIO()
        pdf.save(saved, deterministic_id=True)
    target = report_path(new, labels)
    write_atomically(saved.getvalue(), target, expected_pages=rendered.page_count)
    return target


def _link_descriptions(changes: ReportChanges, anchors: dict[str, int], labels: dict) -> dict[str, str]:
    """Return what a screen reader says for each link of the overview: the section and its page here."""
    described = {}
    for change in changes.sections:
        anchor = f"change-{change.section.slug}"
        if anchor in anchors:
            page = labels["page_number"].format(label=anchors[anchor] + 1)
            described[f"#{anchor}"] = f"{change.section.title}, {page}"
    return described


def _pictures(changes: ReportChanges, old: Path, new: Path, labels: dict) -> dict[str, tuple[Picture, ...]]:
    """Return the page of each edited, added or removed section where it first changed, old beside new."""
    shown = [change for change in changes.sections if change.edited or change.added or change.removed]
    old_pictures = _render_pages(old, [(c, c.old) for c in shown if c.old], (Mark.KEPT, Mark.DELETED),
                                 labels["page_of_old"])
    new_pictures = _render_pages(new, [(c, c.new) for c in shown if c.new], (Mark.KEPT, Mark.INSERTED),
                                 labels["page_of_new"])
    return {change.section.slug: _side_by_side(change, old_pictures, new_pictures) for change in shown}


def _side_by_side(change: SectionChange, old: dict[str, Picture],
                  new: dict[str, Picture]) -> tuple[Picture, ...]:
    slug = change.section.slug
    return tuple(pictures[slug] for pictures in (old, new) if slug in pictures)


def _render_pages(path: Path, shown: list[tuple[SectionChange, EmbeddedSection]], version: tuple[Mark, ...],
                  alt: str) -> dict[str, Picture]:
    """Render to PNG, from the PDF at path, the page where each section first changed.

    shown pairs each change with its section in this PDF; version is the marks of the words this
    PDF holds: kept and deleted ones for the old PDF, kept and inserted ones for the new.
    """
    document = pypdfium2.PdfDocument(path)
    try:
        pictures = {}
        for change, section in shown:
            index = _changed_page(document, section, change, version)
            label = section.page_labels[index - section.first_page]
            page = document[index]
            image = page.render(scale=PICTURE_DPI / 72).to_pil()
            page.close()
            png = io.BytesIO()
            image.save(png, format="PNG", optimize=True)
            uri = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
            pictures[section.slug] = Picture(uri=uri, alt=alt.format(label=label))
        return pictures
    finally:
        document.close()


def _changed_page(document: pypdfium2.PdfDocument, section: EmbeddedSection, change: SectionChange,
                  version: tuple[Mark, ...]) -> int:
    """Return the page of section on which its first changed word stands in this version.

    That is the page holding the longest start of the text from the change on; when the change
    is a deletion at the very end, the page holding the longest end of the text before it.
    """
    runs = [run for paragraph in change.paragraphs for run in paragraph]
    first = next((i for i, run in enumerate(runs) if run.mark is not Mark.KEPT), None)
    if first is None or section.first_page == section.last_page or change.added or change.removed:
        return section.first_page

    def text(part: list[Run]) -> str:
        return squash(" ".join(run.text for run in part if run.mark in version).replace(PILCROW, ""))
    before, after = text(runs[:first]), text(runs[first:])
    pages = range(section.first_page, section.last_page + 1)
    found = {index: squash(document[index].get_textpage().get_text_range()) for index in pages}
    return max(pages, key=lambda index: (longest_match(after, found[index], prefix=True),
                                         longest_match(before, found[index], prefix=False)))
