"""Turn the links written to places in the report (`#name`) into errors for those that lead nowhere."""

from __future__ import annotations

import difflib
from urllib.parse import unquote

from ..errors import Diagnostics
from ..model import Report


def check_anchors(report: Report, diagnostics: Diagnostics) -> None:
    """Record an error at each body link `#name` that names no place the report has."""
    known = report_ids(report)
    example = f"#{report.sections[0].slug}" if report.sections else "#toc"
    for section in report.sections:
        for link in section.web_links:
            if not link.url.startswith("#") or unquote(link.url[1:]) in known:
                continue
            name = unquote(link.url[1:])
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean '#{close[0]}'?)" if close else ""
            diagnostics.error(section.path, link.line, link.column,
                              f"link to '{link.url}' leads nowhere: the report has no place named "
                              f"'{name}'{hint}; link to a section by its file name without number and "
                              f"'.md' ({example}), to a chapter (#chapter-1) or to "
                              "the contents (#toc)", "markdown.missing-anchor")


def report_ids(report: Report) -> frozenset[str]:
    """Return the ids every edition of the report has: contents, chapters, sections, footnotes.

    Computed from the report, as the layout names them, so that a link is checked before the
    slow render, at the line it is written on.
    """
    return frozenset({"toc", *(f"chapter-{chapter.number}" for chapter in report.chapters),
                      *(section.slug for section in report.sections),
                      *(anchor for section in report.sections for anchor in section.anchors)})
