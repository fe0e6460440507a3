"""Turn one edited section into its draft pages, rendered alone with the report's own layout."""

from __future__ import annotations

import dataclasses
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import weasyprint
from markupsafe import escape

from ..confine import RESOURCE_MAX_BYTES, RefusedFile, read_confined
from ..errors import Diagnostics, captured_log
from ..layout.compose import STYLESHEET, compose_html, compose_watermark
from ..layout.labels import Labels
from ..layout.typeset import ConfinedFetcher, hermetic_fonts, lay_out
from ..model import (
    AnnexPlan,
    ApprovalStatus,
    ComposedReport,
    DraftStamp,
    Edition,
    Project,
    Report,
)
from ..pdf.watermark import watermark

PREVIEW_STYLESHEET = "preview.css"
"""The layout's rules for a section rendered alone; a layout without it gets no section preview."""


@dataclass(frozen=True)
class SectionDraft:
    """What a section is rendered with, besides the layout."""

    report: Report
    labels: Labels
    annexes: AnnexPlan
    """The annexes of the last whole draft: the calls to action link to them as there."""
    stamp: DraftStamp
    """Printed in the foot of every page."""


class SectionRenderer:
    """Render single sections, keeping the layout's fonts and watermark loaded between edits.

    One font configuration serves every section until something in layouts/ changes. That is
    safe because WeasyPrint keeps a font it loaded for an @font-face rule by the rule's text, not
    the file's: `forget_layout` drops the configuration when the layout changes, so no edited
    or removed font file lives on. These pages are only ever shown until the whole draft
    replaces them, and the whole draft is rendered by the build with fonts of its own.
    """

    def __init__(self, project: Project) -> None:
        self._project = project
        self._fonts = None
        # The copies of the layout's fonts fontconfig reads; they live as long as the fonts are used.
        self._font_folder: tempfile.TemporaryDirectory | None = None
        self._marks: dict[str, bytes] = {}

    @property
    def available(self) -> bool:
        """Tell whether the layout says how to render a section alone."""
        return (self._project.layout / PREVIEW_STYLESHEET).is_file()

    def warm_up(self, draft: SectionDraft) -> None:
        """Render the first section once, for nothing, while nobody waits: what loads on first use
        (fonts, the watermark, WeasyPrint's and the hyphenation's caches) is there for the first edit."""
        if self._fonts is None and draft.report.sections:
            self.render(draft, draft.report.sections[0].slug, first_page=1)

    def forget_layout(self) -> None:
        """Drop the fonts and watermark loaded from the layout, which has changed."""
        self._fonts = None
        if self._font_folder is not None:
            self._font_folder.cleanup()
            self._font_folder = None
        self._marks = {}

    def render(self, draft: SectionDraft, slug: str, first_page: int) -> bytes | None:
        """Return the section's pages as in the draft, numbered from first_page.

        Returns None when the section cannot be rendered alone; the whole draft then tells why.
        """
        composed = self._compose(draft, slug, first_page)
        if composed is None:
            return None
        pdf = self._render(composed)
        mark = self._watermark(draft.labels["draft"]["watermark"])
        if pdf is None or mark is None:
            return None
        with pikepdf.open(io.BytesIO(pdf)) as document:
            watermark(document, mark)
            output = io.BytesIO()
            document.save(output)
        return output.getvalue()

    def _compose(self, draft: SectionDraft, slug: str, first_page: int) -> ComposedReport | None:
        chapter = next((c for c in draft.report.chapters if any(s.slug == slug for s in c.sections)), None)
        if chapter is None or not self.available:
            return None
        section = next(s for s in chapter.sections if s.slug == slug)
        alone = dataclasses.replace(draft.report, chapters=(dataclasses.replace(chapter, sections=(section,)),))
        composed = compose_html(alone, draft.annexes, self._project.layout, Edition.DRAFT, draft.labels,
                                Diagnostics(), draft.stamp, bounded=False)
        if composed is None or "</head>" not in composed.html:
            return None
        try:
            rules = read_confined(self._project.layout / PREVIEW_STYLESHEET, (self._project.layout,),
                                  RESOURCE_MAX_BYTES).decode("utf-8")
        except (RefusedFile, UnicodeDecodeError):
            return None  # the whole draft follows, rendered without this stylesheet
        # The page counter is what the folios print: the section's pages keep their numbers.
        style = f"<style>{rules}\n@page :first {{ counter-reset: page {first_page} }}</style>"
        html = _count_every_section(composed.html, draft.report, alone, draft.labels)
        return dataclasses.replace(composed, html=html.replace("</head>", style + "</head>", 1))

    def _render(self, composed: ComposedReport) -> bytes | None:
        if self._fonts is None:
            self._font_folder = tempfile.TemporaryDirectory(prefix="kcvs-preview-fonts-")
            self._fonts = hermetic_fonts(self._project.layout, Path(self._font_folder.name), Diagnostics())
        fetcher = ConfinedFetcher((self._project.sources, self._project.layout),
                                  self._project.layout / STYLESHEET, Diagnostics())
        # The whole draft reports what WeasyPrint has to say; here it would only be said twice.
        with captured_log("weasyprint", self._project.layout / STYLESHEET, Diagnostics(), "render"):
            document = lay_out(weasyprint.HTML(string=composed.html, base_url=composed.base_url,
                                               url_fetcher=fetcher), self._fonts)
            pdf = document.write_pdf()
        return None if fetcher.refused else pdf

    def _watermark(self, text: str) -> bytes | None:
        if text not in self._marks:
            composed = compose_watermark(self._project.layout, text, Diagnostics())
            if composed is None:
                return None
            self._marks[text] = self._render(composed)
        return self._marks[text]


def _count_every_section(html: str, report: Report, alone: Report, labels: Labels) -> str:
    """Return html with the draft stamp's count of approved sections taken over the whole report.

    The stamp counts the sections of the report it is composed from, here just the one.
    """
    template = labels["draft"]["approved_count"]

    def counted(over: Report) -> str:
        approved = sum(s.approval.status is ApprovalStatus.APPROVED for s in over.sections)
        return str(escape(template.format(approved=approved, total=len(over.sections))))
    return html.replace(counted(alone), counted(report))
