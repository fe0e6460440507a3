"""Turn a project's sources, layout and annex files into everything a build needs, or every problem.

This is the build minus rendering: `kcvs-pdf check` runs it alone and `build` runs it first, so
both report the same problems at the same places. It imports nothing of rendering (WeasyPrint,
the PDF stages), so that `check` answers in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .annexes.plan import collect_annexes
from .errors import Diagnostics
from .layout.compose import compose_html
from .layout.glyphs import check_glyphs
from .layout.labels import Labels, load_labels
from .model import AnnexPlan, ComposedReport, DraftStamp, Edition, Project, Report
from .sources.anchors import check_anchors
from .sources.approval import check_approvals
from .sources.load import load_report
from .sources.revision import draft_stamp

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Checked:
    """Everything `check` validated, ready for rendering."""

    report: Report
    labels: Labels
    annexes: AnnexPlan
    stamp: DraftStamp | None
    """What a draft prints about its sources; None for the final editions."""
    edition: Edition
    composed: ComposedReport
    """The HTML composed while checking, for that edition: the build renders it as it is."""


def check(project: Project, diagnostics: Diagnostics, edition: Edition | None = None, strict: bool = False,
          progress: Progress = lambda message: None) -> Checked | None:
    """Validate sources, layout and annex files without rendering; problems go to diagnostics.

    `build` runs exactly this first, so `check` reports everything `build` would refuse before
    rendering. With no edition (the `check` command) the full edition's annexes are inspected
    and unapproved sections are warnings; a final edition makes them errors; a draft shows them
    on its approval sheet instead.
    """
    progress("Checking sources and layout")
    report = load_report(project.sources, diagnostics)
    if report is None:
        return None
    check_anchors(report, diagnostics)
    labels = load_labels(project.layout, report.labels, diagnostics)
    check_glyphs(report, project.layout, diagnostics)
    if edition is None or edition.is_final:
        check_approvals(report, diagnostics, as_errors=edition is not None)
    progress("Inspecting annexes")
    plan = collect_annexes(report, project, edition or Edition.FULL, project.annex_cache, diagnostics, strict)
    stamp = draft_stamp(project.root, (project.sources, project.layout)) if edition is Edition.DRAFT else None
    composed = compose_html(report, plan, project.layout, edition or Edition.FULL, labels, diagnostics, stamp) \
        if labels else None
    return None if diagnostics.errors else Checked(report, labels, plan, stamp, edition or Edition.FULL, composed)
