"""Turn located comments into the list a review works from: diagnostics, CSV or Markdown."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import Diagnostic, Severity
from ..layout.labels import label_group
from .annotations import Reply
from .comments import Group, LocatedComment

LABELS = ("attribution", "attribution_undated", "reply", "unknown_author", "no_text", "annex_page",
          "page", "not_placed", "in_annex", "summary", "comment_one", "comment_many", "reply_one",
          "reply_many", "groups", "columns", "types")


def comment_labels(layout: Path) -> dict:
    """Return the words of the comment list."""
    return label_group(layout, "comments", LABELS)


def as_text(located: tuple[LocatedComment, ...], labels: dict) -> str:
    """Return a diagnostic line per comment and reply, grouped: placed, not placed, in the annex."""
    lines = []
    for group, heading in ((Group.PLACED, None), (Group.NOT_PLACED, labels["not_placed"]),
                           (Group.IN_ANNEX, labels["in_annex"])):
        members = [item for item in located if item.group is group]
        if members and heading:
            lines.append(heading)
        for item in members:
            lines += [str(diagnostic) for diagnostic in diagnostics(item, labels)]
    return "".join(f"{line}\n" for line in lines)


def diagnostics(item: LocatedComment, labels: dict) -> tuple[Diagnostic, ...]:
    """Return the comment as a note at its source line, then a note per reply at the same place."""
    comment = item.comment
    column = 1 if item.line else 0
    where = _where(item, labels)
    parts = [f"{where}:" if where else "", f"\"{comment.quoted}\"" if comment.quoted else "",
             comment.text or ("" if comment.quoted else labels["no_text"])]
    message = " ".join(part for part in parts if part)
    first = Diagnostic(item.source, item.line, column, Severity.NOTE, message,
                       _attribution(_type(comment.subtype, labels), comment.author, comment.date, labels))
    replies = tuple(Diagnostic(item.source, item.line, column, Severity.NOTE,
                               reply.text or labels["no_text"],
                               _attribution(labels["reply"], reply.author, reply.date, labels))
                    for reply in comment.replies)
    return (first, *replies)


def as_rows(located: tuple[LocatedComment, ...], labels: dict) -> tuple[tuple[str, ...], ...]:
    """Return a header and a row per comment, for the meeting's list."""
    rows = [tuple(labels["columns"])]
    for item in located:
        comment = item.comment
        rows.append((item.source, str(item.line) if item.line else "", item.section or _where(item, labels),
                     comment.page_label, _type(comment.subtype, labels), comment.author, comment.date,
                     comment.quoted, comment.text, " | ".join(_reply_cell(r, labels) for r in comment.replies),
                     labels["groups"][item.group.value]))
    return tuple(rows)


def as_csv(located: tuple[LocatedComment, ...], labels: dict) -> str:
    """Return the list as CSV, one comment per row."""
    output = io.StringIO()
    csv.writer(output, lineterminator="\n").writerows(as_rows(located, labels))
    return output.getvalue()


def as_markdown(located: tuple[LocatedComment, ...], labels: dict) -> str:
    """Return the list as a Markdown table, one comment per row."""
    header, *rows = as_rows(located, labels)
    lines = [_markdown_row(header), "|" + "---|" * len(header)]
    lines += [_markdown_row(row) for row in rows]
    return "".join(f"{line}\n" for line in lines)


def summary(located: tuple[LocatedComment, ...], labels: dict) -> str:
    """Return the count line: comments, replies, not placed, already in the annexes."""
    comments = sum(1 for item in located if item.group is not Group.IN_ANNEX)
    replies = sum(len(item.comment.replies) for item in located if item.group is not Group.IN_ANNEX)
    return labels["summary"].format(
        comments=comments, noun=labels["comment_one" if comments == 1 else "comment_many"],
        replies=replies, reply_noun=labels["reply_one" if replies == 1 else "reply_many"],
        not_placed=sum(1 for item in located if item.group is Group.NOT_PLACED),
        in_annex=sum(1 for item in located if item.group is Group.IN_ANNEX))


def _where(item: LocatedComment, labels: dict) -> str:
    """Return the page a comment outside the sections is on, e.g. `Bijlage 4, pagina B4-2`."""
    if item.annex:
        return labels["annex_page"].format(number=item.annex, label=item.comment.page_label)
    if item.group is Group.NOT_PLACED:
        return labels["page"].format(label=item.comment.page_label)
    return ""


def _type(subtype: str, labels: dict) -> str:
    return labels["types"].get(subtype, subtype)


def _attribution(kind: str, author: str, date: str, labels: dict) -> str:
    author = author or labels["unknown_author"]
    if date:
        return labels["attribution"].format(type=kind, author=author, date=date)
    return labels["attribution_undated"].format(type=kind, author=author)


def _reply_cell(reply: Reply, labels: dict) -> str:
    return f"{_attribution(labels['reply'], reply.author, reply.date, labels)}: {reply.text}"


def _markdown_row(cells: tuple[str, ...]) -> str:
    escaped = (cell.replace("|", "\\|").replace("\n", "<br>") for cell in cells)
    return "| " + " | ".join(escaped) + " |"


FORMATS = {"text": as_text, "csv": as_csv, "md": as_markdown}
"""The list formats of `kcvs-pdf comments --format`."""
