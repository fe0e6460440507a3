"""Turn reviewers' comments in a built report into comments located in its sources."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from ..pdf.provenance import (
    AnnexAnnotation,
    EmbeddedAnnex,
    EmbeddedParagraph,
    EmbeddedReport,
)
from .annotations import Comment

# Fewer matching characters than this around a comment could be chance: the paragraph stays open.
MIN_MATCH = 8
# How far (pt) a reader may move an annex's own annotation when it saves the file again.
RECT_TOLERANCE = 1.0
_SQUASHED = re.compile(r"[\s\-\u2010\u2011\u00ad]+")


class Group(enum.Enum):
    """Where a comment ends up in the list."""

    PLACED = "placed"
    """On a section (at a source line) or on an annex page."""
    NOT_PLACED = "not_placed"
    """On a page of no section or annex: cover, contents, chapter opener."""
    IN_ANNEX = "in_annex"
    """Carried by the annex PDF itself when it was bundled: not a reviewer's comment."""


@dataclass(frozen=True)
class LocatedComment:
    """A comment with the place in the sources it is about."""

    comment: Comment
    group: Group
    source: str
    """Section or annex file relative to the project; the reviewed PDF when not placed."""
    line: int
    """1-based line of the paragraph in the section file; 1 for the section as a whole, 0 for PDFs."""
    section: str
    """Title of the section, empty on annex and other pages."""
    annex: int
    """Number of the annex the comment is on, 0 elsewhere."""
    order: tuple
    """Sort key: reading order of sections and annexes, then line, page, top to bottom."""


def locate_comments(comments: tuple[Comment, ...], report: EmbeddedReport,
                    reviewed: str) -> tuple[LocatedComment, ...]:
    """Return each comment at its section paragraph or annex page, in reading order of the sources."""
    located = []
    for comment in comments:
        top = -comment.rect[3]
        section = report.section_at(comment.page)
        annex = report.annex_at(comment.page)
        if section is not None:
            paragraph = find_paragraph(section.paragraphs, comment)
            line = paragraph.line if paragraph else 1
            position = report.sections.index(section)
            located.append(LocatedComment(comment, Group.PLACED, section.source, line, section.title, 0,
                                          (0, position, line, comment.page, top)))
        elif annex is not None:
            group = Group.IN_ANNEX if _carried_by_annex(comment, annex) else Group.PLACED
            located.append(LocatedComment(comment, group, annex.source, 0, "", annex.number,
                                          (1, annex.number, 0, comment.page, top)))
        else:
            located.append(LocatedComment(comment, Group.NOT_PLACED, reviewed, 0, "", 0,
                                          (2, 0, 0, comment.page, top)))
    return tuple(sorted(located, key=lambda item: item.order))


def find_paragraph(paragraphs: tuple[EmbeddedParagraph, ...], comment: Comment) -> EmbeddedParagraph | None:
    """Return the paragraph a comment is about, None when none matches the text around it.

    A paragraph that contains the marked text is preferred; among the rest, the one that matches
    the longest stretch of page text running into or out of the character nearest the comment.
    """
    quoted = squash(comment.quoted)
    texts = {paragraph: squash(paragraph.text) for paragraph in paragraphs}
    candidates = [p for p in paragraphs if quoted and quoted in texts[p]] or list(paragraphs)
    if quoted and len(candidates) == 1 and quoted in texts[candidates[0]]:
        return candidates[0]
    after = squash(comment.after)
    into = squash(comment.before) + after[:1]
    scored = [(max(longest_match(after, texts[p], prefix=True), longest_match(into, texts[p], prefix=False)), p)
              for p in candidates]
    best_score, best = max(scored, key=lambda item: item[0], default=(0, None))
    return best if best_score >= MIN_MATCH else None


def squash(text: str) -> str:
    """Return text without whitespace and hyphens, case-folded: line breaks and hyphenation vanish."""
    return _SQUASHED.sub("", text).casefold()


def longest_match(text: str, paragraph: str, prefix: bool) -> int:
    """Return the length of the longest prefix (or suffix) of text found in paragraph, both squashed."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        part = text[:middle] if prefix else text[-middle:]
        if part in paragraph:
            low = middle
        else:
            high = middle - 1
    return low


def _carried_by_annex(comment: Comment, annex: EmbeddedAnnex) -> bool:
    return any(_same(comment, known) for known in annex.annotations)


def _same(comment: Comment, known: AnnexAnnotation) -> bool:
    if comment.page != known.page or comment.subtype != known.subtype:
        return False
    if comment.name and known.name:
        return comment.name == known.name
    return all(abs(a - b) <= RECT_TOLERANCE for a, b in zip(comment.rect, known.rect, strict=True))
