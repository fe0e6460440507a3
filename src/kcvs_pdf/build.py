"""Turn a project's sources, layout and annexes into the report PDF: the spine of every build."""

from __future__ import annotations

from collections.abc import Callable

from .annexes import collect_annexes
from .bundle import bundle
from .compose import STYLESHEET, compose_html
from .errors import Diagnostics
from .model import NO_ANNEXES, BuildResult, Edition, Project, Report
from .publish import write_atomically
from .render import render_pdf
from .sources import load_report

Progress = Callable[[str], None]


def check(project: Project, diagnostics: Diagnostics) -> Report | None:
    """Validate sources, layout and the annex files present without rendering; problems go to diagnostics."""
    report = _validate(project, diagnostics)
    if report is not None:
        collect_annexes(report, project, Edition.FULL, project.annex_cache, diagnostics)
    return None if diagnostics.errors else report


def _validate(project: Project, diagnostics: Diagnostics) -> Report | None:
    report = load_report(project.sources, diagnostics)
    if report is not None:
        compose_html(report, NO_ANNEXES, project.layout, Edition.FULL, diagnostics)
    return None if diagnostics.errors else report


def build(project: Project, edition: Edition, diagnostics: Diagnostics, strict: bool = False,
          progress: Progress = lambda message: None) -> BuildResult:
    """Build one edition of the report; raise SourceError with every problem found."""
    progress("Checking sources and layout")
    report = _validate(project, diagnostics)
    diagnostics.raise_if_errors(strict)
    progress("Inspecting annexes")
    plan = collect_annexes(report, project, edition, project.annex_cache, diagnostics, strict)
    diagnostics.raise_if_errors(strict)
    progress("Composing HTML")
    composed = compose_html(report, plan, project.layout, edition, diagnostics)
    progress(f"Rendering {len(report.sections)} sections with WeasyPrint")
    rendered = render_pdf(composed, (project.sources, project.layout),
                          project.layout / STYLESHEET, report.published, diagnostics)
    diagnostics.raise_if_errors(strict)
    progress(f"Bundling {len(plan.bundled)} annexes" if plan.bundled else "Finishing PDF")
    bundled = bundle(rendered, plan, report.labels["annexes"], report.labels["annex"], diagnostics)
    diagnostics.raise_if_errors(strict)
    target = project.output_for(report, edition)
    progress(f"Writing {target.name}")
    expected = rendered.page_count + plan.bundled_pages
    size = write_atomically(bundled.pdf, target, expected_pages=expected)
    return BuildResult(path=target, page_count=expected, size_bytes=size, annexes=plan,
                       untagged_annex_pages=bundled.untagged_annex_pages,
                       claims_pdf_ua=bundled.claims_pdf_ua)
