"""Turn the section data of two built reports into their changes, section by section."""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass
from difflib import SequenceMatcher

from ..pdf.provenance import EmbeddedParagraph, EmbeddedReport, EmbeddedSection

# Ends every paragraph in the word stream, so that splitting and joining paragraphs is a change
# like any other, and the marked words fall back into the new paragraphs.
_BREAK = "\n"
PILCROW = "\u00b6"
"""Stands for a paragraph break that was inserted or deleted."""


class Mark(enum.Enum):
    """What happened to a run of words."""

    KEPT = "kept"
    INSERTED = "inserted"
    DELETED = "deleted"


@dataclass(frozen=True)
class Run:
    """Consecutive words with the same mark."""

    mark: Mark
    text: str


@dataclass(frozen=True)
class SectionChange:
    """One section in the old report, the new one, or both, with its text marked word by word."""

    old: EmbeddedSection | None
    """The section in the old report; None when it was added."""
    new: EmbeddedSection | None
    """The section in the new report; None when it was removed."""
    moved: bool
    """Whether it stands in another chapter, or out of order with the sections around it."""
    title: tuple[Run, ...]
    paragraphs: tuple[tuple[Run, ...], ...]
    """The body as paragraphs of the new text, with deleted words where they stood."""

    @property
    def section(self) -> EmbeddedSection:
        """Return the newest version of the section."""
        return self.new or self.old

    @property
    def added(self) -> bool:
        return self.old is None

    @property
    def removed(self) -> bool:
        return self.new is None

    @property
    def edited(self) -> bool:
        """Return whether both versions exist and their title or text differ."""
        return not (self.added or self.removed) and any(
            run.mark is not Mark.KEPT for runs in (self.title, *self.paragraphs) for run in runs)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.edited or self.moved)


@dataclass(frozen=True)
class ReportChanges:
    """What changed between two builds of the report."""

    old: EmbeddedReport
    new: EmbeddedReport
    sections: tuple[SectionChange, ...]
    """Sections in the new reading order, removed sections after them in the old order."""

    @property
    def edited(self) -> tuple[SectionChange, ...]:
        return tuple(change for change in self.sections if change.edited)

    @property
    def added(self) -> tuple[SectionChange, ...]:
        return tuple(change for change in self.sections if change.added)

    @property
    def removed(self) -> tuple[SectionChange, ...]:
        return tuple(change for change in self.sections if change.removed)

    @property
    def moved(self) -> tuple[SectionChange, ...]:
        return tuple(change for change in self.sections if change.moved)

    @property
    def unchanged(self) -> tuple[SectionChange, ...]:
        return tuple(change for change in self.sections if change.unchanged)

    @property
    def any(self) -> bool:
        """Return whether anything changed."""
        return len(self.unchanged) < len(self.sections)


def compare(old: EmbeddedReport, new: EmbeddedReport) -> ReportChanges:
    """Return the changes from old to new; page numbers and line breaks are not changes."""
    old_sections = {section.slug: section for section in old.sections}
    new_slugs = {section.slug for section in new.sections}
    moved = _moved(old, new)
    changes = [_change(old_sections.get(section.slug), section, section.slug in moved)
               for section in new.sections]
    changes += [_change(section, None, False) for section in old.sections if section.slug not in new_slugs]
    return ReportChanges(old=old, new=new, sections=tuple(changes))


def _moved(old: EmbeddedReport, new: EmbeddedReport) -> set[str]:
    """Return the slugs of sections in both reports that moved.

    A section moved when it changed chapter, or when it left the longest run of sections that
    kept their order: adding or removing a section does not move the ones after it.
    """
    old_by_slug = {section.slug: section for section in old.sections}
    new_by_slug = {section.slug: section for section in new.sections}
    old_order = [section.slug for section in old.sections if section.slug in new_by_slug]
    new_order = [section.slug for section in new.sections if section.slug in old_by_slug]
    matcher = SequenceMatcher(None, old_order, new_order, autojunk=False)
    in_order = {slug for block in matcher.get_matching_blocks()
                for slug in new_order[block.b:block.b + block.size]}
    return {slug for slug in new_order
            if slug not in in_order or _other_chapter(old_by_slug[slug], new_by_slug[slug])}


def _other_chapter(old: EmbeddedSection, new: EmbeddedSection) -> bool:
    # Renaming a chapter keeps its number, inserting one before keeps its title: neither moves
    # the sections in it. Only when both differ is it another chapter.
    return old.chapter != new.chapter and old.chapter_title != new.chapter_title


def _change(old: EmbeddedSection | None, new: EmbeddedSection | None, moved: bool) -> SectionChange:
    old_paragraphs = old.paragraphs if old else ()
    new_paragraphs = new.paragraphs if new else ()
    title = mark_words(_as_paragraphs(old.title if old else ""), _as_paragraphs(new.title if new else ""))
    return SectionChange(old=old, new=new, moved=moved, title=title[0] if title else (),
                         paragraphs=mark_words(old_paragraphs, new_paragraphs))


def _as_paragraphs(text: str) -> tuple[EmbeddedParagraph, ...]:
    return (EmbeddedParagraph(0, text),) if text else ()


def mark_words(old: tuple[EmbeddedParagraph, ...],
               new: tuple[EmbeddedParagraph, ...]) -> tuple[tuple[Run, ...], ...]:
    """Return new's paragraphs with the words kept, inserted and (where they stood) deleted."""
    # Whole paragraphs are matched first, so a paragraph added or removed stays one block;
    # only paragraphs that changed are compared word by word.
    marked: list[tuple[Mark, str]] = []
    matcher = SequenceMatcher(None, [" ".join(p.text.split()) for p in old],
                              [" ".join(p.text.split()) for p in new],
                              autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        old_words, new_words = _words(old[old_start:old_end]), _words(new[new_start:new_end])
        if operation == "replace":
            marked += _marked_words(old_words, new_words)
        else:
            marked += [(Mark.DELETED, word) for word in old_words if operation == "delete"]
            marked += [(Mark.INSERTED if operation == "insert" else Mark.KEPT, word) for word in new_words]
    return _paragraphs(marked)


def _marked_words(old_words: list[str], new_words: list[str]) -> list[tuple[Mark, str]]:
    marked = []
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            marked += [(Mark.KEPT, word) for word in new_words[new_start:new_end]]
            continue
        marked += [(Mark.DELETED, word) for word in old_words[old_start:old_end]]
        marked += [(Mark.INSERTED, word) for word in new_words[new_start:new_end]]
    return marked


def _words(paragraphs: tuple[EmbeddedParagraph, ...]) -> list[str]:
    return [word for paragraph in paragraphs for word in (*paragraph.text.split(), _BREAK)]


def _paragraphs(marked: list[tuple[Mark, str]]) -> tuple[tuple[Run, ...], ...]:
    """Cut the marked words into paragraphs where the new text has a break, and merge runs.

    A paragraph break inserted into a paragraph, or deleted between two, shows as a marked `¶`;
    a paragraph inserted or deleted as a whole is a block of its own.
    """
    paragraphs, current = [], []
    for mark, word in marked:
        if word != _BREAK:
            current.append((mark, word))
            continue
        whole = all(m is mark for m, _ in current)
        if mark is not Mark.KEPT and not whole:
            current.append((mark, PILCROW))
        if mark is not Mark.DELETED or whole:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return tuple(tuple(Run(mark, " ".join(word for _, word in group))
                       for mark, group in itertools.groupby(words, key=lambda item: item[0]))
                 for words in paragraphs if words)
