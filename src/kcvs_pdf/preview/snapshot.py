"""Turn rendered PDFs and diagnostics into snapshots: what the browser shows at one moment."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import Diagnostic
from .pages import PageText


class Stage(enum.Enum):
    """How far the preview got with the sources as they are now."""

    BUILDING = "building"
    """Nothing to show yet, or the pages shown are being rebuilt."""
    SECTION = "section"
    """The edited section is shown as rendered alone; the whole draft is being built."""
    DRAFT = "draft"
    """The whole draft is shown, as `kcvs-pdf build --edition draft` would write it."""
    FAILED = "failed"
    """The sources have errors: the pages are the last good ones."""


@dataclass(frozen=True)
class Page:
    """One page of a snapshot: where its picture comes from and what it says."""

    document: str
    """Name of the rendered PDF the page is in (a whole draft or one section rendered alone)."""
    index: int
    """0-based page index in that PDF."""
    text: PageText
    section: str | None
    """Slug of the section the page belongs to; None for the cover, contents, openers, annexes."""


@dataclass(frozen=True)
class Snapshot:
    """Everything the browser shows at one moment."""

    generation: int
    """Counts up with every snapshot, so that the browser knows when it is behind."""
    stage: Stage
    title: str = ""
    """The report's title, once one was read."""
    language: str = ""
    """The report's language, which its pages' text is in."""
    pages: tuple[Page, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    failure: str = ""
    """Why the build stopped when no diagnostic says it (an unreadable annex, a bug)."""
    edit: int = 0
    """Counts the saves the preview acted on; the browser scrolls to `focus` when it changes."""
    focus: int | None = None
    """0-based index in `pages` of the first page of the section just edited."""
    note: str = ""
    """One line about what is shown, such as how long the build took."""

    @property
    def documents(self) -> frozenset[str]:
        """Return the names of the PDFs whose pages this snapshot shows."""
        return frozenset(page.document for page in self.pages)


def section_range(pages: tuple[Page, ...], slug: str | None) -> range | None:
    """Return the indexes of the section's pages among pages, None when it has none there."""
    indexes = [index for index, page in enumerate(pages) if slug is not None and page.section == slug]
    return range(indexes[0], indexes[-1] + 1) if indexes else None


def document_pages(document: str, texts: tuple[PageText, ...],
                   section_at: Callable[[int], str | None]) -> tuple[Page, ...]:
    """Return the pages of one rendered PDF, each with the section section_at gives its index."""
    return tuple(Page(document, index, text, section_at(index)) for index, text in enumerate(texts))


def splice(pages: tuple[Page, ...], slug: str, new: tuple[Page, ...]) -> tuple[Page, ...] | None:
    """Return pages with the section's pages replaced by new; None when pages lack the section.

    The section's new pages take the labels its old pages had, and count on from the last one
    when there are more: report pages are numbered like the pages of a book.
    """
    old = section_range(pages, slug)
    if old is None:
        return None
    labels = [pages[index].text.label for index in old]
    if labels[0].isdigit():
        labels += [str(int(labels[0]) + offset) for offset in range(len(labels), len(new))]
    relabelled = tuple(dataclasses.replace(page, text=dataclasses.replace(
        page.text, label=labels[offset] if offset < len(labels) else "")) for offset, page in enumerate(new))
    return pages[:old.start] + relabelled + pages[old.stop:]
