"""Turn a project's sources, layout and annex files into everything a build needs, or every problem.

This is the build minus rendering: `kcvs-pdf check` runs it alone and `build` runs it first, so
both report the same problems at the same places. It imports nothing of rendering (WeasyPrint,
the PDF stages), so that `check` answers in well under a second.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from .annexes.plan import collect_annexes, expected_annexes
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


@dataclass(frozen=True)
class Drafted:
    """What `check` finds before it inspects annex files, with the report composed early if asked."""

    report: Report
    labels: Labels
    stamp: DraftStamp | None
    edition: Edition
    expected: AnnexPlan | None = None
    """The annexes as they will be if every file yet to be inspected passes (expected_annexes);
    None when the report is composed only once they are inspected."""
    composed: ComposedReport | None = None
    """The report composed with the expected annexes; None when not composed early, or when the
    layout's templates failed (the problems are then in the diagnostics)."""


def check(project: Project, diagnostics: Diagnostics, edition: Edition | None = None, strict: bool = False,
          progress: Progress = lambda message: None) -> Checked | None:
    """Validate sources, layout and annex files without rendering; problems go to diagnostics.

    `build` runs exactly this first, so `check` reports everything `build` would refuse before
    rendering. With no edition (the `check` command) the full edition's annexes are inspected
    and unapproved sections are warnings; a final edition makes them errors; a draft shows them
    on its approval sheet instead.
    """
    drafted = check_sources(project, diagnostics, edition, progress, compose=False)
    if drafted is None:
        return None
    progress("Inspecting annexes")
    return check_annexes(project, drafted, diagnostics, strict)


def check_sources(project: Project, diagnostics: Diagnostics, edition: Edition | None = None,
                  progress: Progress = lambda message: None, compose: bool = True) -> Drafted | None:
    """Validate sources and layout, inspecting no annex file; None when the sources cannot be read
    at all. `check_annexes` finishes the check.

    With `compose`, the report is composed now with the annexes expected, so that a build can
    render it while the annex files are inspected; else it is composed once they are.
    """
    progress("Checking sources and layout")
    report = load_report(project.sources, diagnostics)
    if report is None:
        return None
    edition_checked = edition or Edition.FULL
    check_anchors(report, diagnostics)
    labels = load_labels(project.layout, report.labels, diagnostics)
    check_glyphs(report, project.layout, diagnostics)
    if edition is None or edition.is_final:
        check_approvals(report, diagnostics, as_errors=edition is not None)
    stamp = draft_stamp(project.root, (project.sources, project.layout)) if edition is Edition.DRAFT else None
    drafted = Drafted(report, labels, stamp, edition_checked)
    if not compose:
        return drafted
    expected = expected_annexes(report, project, edition_checked, project.annex_cache)
    return dataclasses.replace(drafted, expected=expected, composed=_composed(project, drafted, expected, diagnostics))


def check_annexes(project: Project, drafted: Drafted, diagnostics: Diagnostics, strict: bool = False,
                  parallel: int = 0) -> Checked | None:
    """Inspect the annex files `drafted` expects (`parallel` at a time, 0: one per core) and
    return everything checked, composed with the annexes as they are; None on any error."""
    plan = collect_annexes(drafted.report, project, drafted.edition, project.annex_cache, diagnostics, strict,
                           parallel)
    if drafted.expected is None:
        composed = _composed(project, drafted, plan, diagnostics)
    elif diagnostics.errors:
        return None  # the early composition reported its own problems
    else:
        composed = drafted.composed if plan == drafted.expected else _composed(project, drafted, plan, diagnostics)
    return None if diagnostics.errors else Checked(drafted.report, drafted.labels, plan, drafted.stamp,
                                                   drafted.edition, composed)


def _composed(project: Project, drafted: Drafted, annexes: AnnexPlan, diagnostics: Diagnostics) -> ComposedReport | None:
    """Return the report composed with annexes; None when the labels or the templates failed."""
    return compose_html(drafted.report, annexes, project.layout, drafted.edition, drafted.labels, diagnostics,
                        drafted.stamp) if drafted.labels else None
