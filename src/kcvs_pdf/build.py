"""Turn a project's sources, layout and annexes into the report PDF: the spine of every build."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

from .annexes import collect_annexes
from .approval import check_approvals
from .budget import check_size
from .bundle import bundle
from .compose import STYLESHEET, compose_html, compose_watermark
from .errors import Diagnostics
from .images import IMAGE_CACHE, downsample_images
from .labels import Labels, load_labels
from .model import NO_ANNEXES, BuildResult, Edition, Project, Report
from .publish import write_atomically
from .render import render_pdf
from .revision import draft_stamp
from .sources import load_report
from .watermark import watermark
from .webview import linearise

Progress = Callable[[str], None]


def check(project: Project, diagnostics: Diagnostics, edition: Edition | None = None
          ) -> tuple[Report, Labels] | None:
    """Validate sources and layout without rendering; problems go to diagnostics.

    With no edition (the `check` command), unapproved sections are warnings; a final edition
    makes them errors.
    """
    report = load_report(project.sources, diagnostics)
    if report is None:
        return None
    labels = load_labels(project.layout, report.labels, diagnostics)
    check_approvals(report, diagnostics, as_errors=edition is not None and edition.is_final)
    if labels:
        compose_html(report, NO_ANNEXES, project.layout, Edition.FULL, labels, diagnostics)
    return None if diagnostics.errors else (report, labels)


def build(project: Project, edition: Edition, diagnostics: Diagnostics, strict: bool = False,
          progress: Progress = lambda message: None) -> BuildResult:
    """Build one edition of the report; raise SourceError with every problem found."""
    progress("Checking sources and layout")
    checked = check(project, diagnostics, edition)
    diagnostics.raise_if_errors(strict)
    report, labels = checked
    stamp = draft_stamp(project.root, (project.sources, project.layout)) \
        if edition is Edition.DRAFT else None
    with tempfile.TemporaryDirectory(prefix="kcvs-pdf-") as workdir:
        progress("Inspecting annexes")
        plan = collect_annexes(report, project.annexes, edition, Path(workdir), diagnostics, strict)
        diagnostics.raise_if_errors(strict)
        progress("Composing HTML")
        composed = compose_html(report, plan, project.layout, edition, labels, diagnostics, stamp)
        progress(f"Rendering {len(report.sections)} sections with WeasyPrint")
        rendered = render_pdf(composed, (project.sources, project.layout),
                              project.layout / STYLESHEET, report.published, diagnostics)
        diagnostics.raise_if_errors(strict)
        resized, resampled = downsample_images(rendered.pdf, project.cache / IMAGE_CACHE)
        rendered = dataclasses.replace(rendered, pdf=resized)
        progress(f"Bundling {len(plan.bundled)} annexes" if plan.bundled else "Finishing PDF")
        pdf = bundle(rendered, plan, labels["annexes"], labels["annex"], diagnostics)
        if edition is Edition.DRAFT:
            mark = compose_watermark(project.layout, labels["draft"]["watermark"], diagnostics)
            pdf = watermark(pdf, render_pdf(mark, (project.layout,), project.layout / STYLESHEET,
                                            report.published, diagnostics, tagged=False).pdf)
        if edition is Edition.WEB:
            pdf = linearise(pdf)
        weighed = check_size(pdf, rendered.pdf, plan.bundled, report, edition, diagnostics)
        diagnostics.raise_if_errors(strict)
        target = project.output_for(report, labels["files"].get(edition.value, ""))
        progress(f"Writing {target.name}")
        expected = rendered.page_count + plan.bundled_pages
        size = write_atomically(pdf, target, expected_pages=expected)
    return BuildResult(path=target, page_count=expected, size_bytes=size, annexes=plan, size=weighed,
                       resampled=resampled)
