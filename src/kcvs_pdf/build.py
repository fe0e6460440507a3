"""Turn a project's sources, layout and annexes into the report PDF: the spine of every build.

`check` (check.py) validates everything first; this module renders and finishes what it passed.
The render starts as soon as the sources are checked and goes on while the annex files are inspected.
"""

from __future__ import annotations

import dataclasses
import io
import os
from contextlib import ExitStack

import pikepdf

from .check import Checked, Progress, check_annexes, check_sources
from .errors import Diagnostics
from .layout.bounded import Worker
from .layout.compose import STYLESHEET, compose_html, compose_watermark, link_descriptions
from .layout.labels import Labels
from .layout.render import Rendering, render_pdf, start_renderer
from .model import BuildResult, ComposedReport, Edition, Project, RenderedReport, Report
from .pdf.bundle import bundle
from .pdf.images import IMAGE_CACHE, downsample_images
from .pdf.provenance import embed
from .pdf.tagging import make_accessible
from .pdf.watermark import watermark
from .pdf.webview import save_linearised
from .pdf.write import write_atomically
from .release.budget import check_size


def build(project: Project, edition: Edition, diagnostics: Diagnostics, strict: bool = False,
          progress: Progress = lambda message: None, waiting: Progress = lambda message: None,
          renderer: Worker | None = None) -> BuildResult:
    """Build one edition of the report; raise SourceError with every problem found.

    `waiting` hears when the build waits for another one writing the same file. `renderer` is
    the worker to render in, started by the caller as early as it could (`start_renderer`);
    without one, it is started now. Either way it is stopped when the build ends.
    """
    # WeasyPrint loads in the renderer's own process while this one checks.
    with renderer or start_renderer() as renderer:
        drafted = check_sources(project, diagnostics, edition, progress)
        if drafted is None:
            diagnostics.raise_if_errors(strict)
        rendering = None
        if drafted.composed is not None and not diagnostics.failed(strict):
            rendering = _start_render(project, drafted.report, drafted.composed, progress, renderer)
        progress("Inspecting annexes")
        # The render needs only to know which annexes are bundled, which a refused file cannot
        # change without failing the build: so the files are inspected while it runs, on the
        # cores it leaves free.
        parallel = max(1, (os.cpu_count() or 1) - 1) if rendering else 0
        checked = check_annexes(project, drafted, diagnostics, strict, parallel)
        diagnostics.raise_if_errors(strict)
        if rendering is not None and rendering.composed != checked.composed:
            # The layout prints what only inspection knows (an annex's pages): that render is
            # stopped, and the HTML as it is now is rendered in a child of its own.
            renderer.close()
            rendering = _rendering(project, checked.report, checked.composed, renderer)
        return build_checked(project, checked, edition, diagnostics, strict, progress, waiting, renderer,
                             rendering)


def _start_render(project: Project, report: Report, composed: ComposedReport, progress: Progress,
                  renderer: Worker | None) -> Rendering:
    progress("Composing HTML")
    progress(f"Rendering {len(report.sections)} sections with WeasyPrint")
    return _rendering(project, report, composed, renderer)


def _rendering(project: Project, report: Report, composed: ComposedReport, renderer: Worker | None) -> Rendering:
    return Rendering(composed, (project.sources, project.layout), project.layout / STYLESHEET, report.published,
                     limits=project.render_limits, renderer=renderer)


def build_checked(project: Project, checked: Checked, edition: Edition, diagnostics: Diagnostics,
                  strict: bool = False, progress: Progress = lambda message: None,
                  waiting: Progress = lambda message: None, renderer: Worker | None = None,
                  rendering: Rendering | None = None) -> BuildResult:
    """Render, finish and write one edition from what `check` validated; raise SourceError on problems.

    A long-running caller (the preview) checks once and builds from the result; progress may
    raise to abandon the build between stages, before anything is written. `rendering` is the
    render of checked's HTML when already started. Renders run in `renderer` when given (closed
    after the last one, so that its memory is given back before bundling), else each in a
    child forked for it.
    """
    report, labels, plan = checked.report, checked.labels, checked.annexes
    if rendering is None:
        composed = checked.composed if checked.edition is edition else \
            compose_html(report, plan, project.layout, edition, labels, diagnostics, checked.stamp)
        rendering = _start_render(project, report, composed, progress, renderer)
    rendered = rendering.result(diagnostics)
    mark = _watermark_page(project, report, labels, diagnostics, renderer) if edition is Edition.DRAFT else None
    if renderer is not None:
        renderer.close()
    diagnostics.raise_if_errors(strict)
    resized, resampled = downsample_images(rendered.pdf, project.cache / IMAGE_CACHE)
    rendered = dataclasses.replace(rendered, pdf=resized)
    progress(f"Bundling {len(plan.bundled)} annexes" if plan.bundled else "Finishing PDF")
    with ExitStack() as open_files:
        pdf = open_files.enter_context(pikepdf.open(io.BytesIO(rendered.pdf)))
        make_accessible(pdf, link_descriptions(report, plan, labels, rendered.anchors))
        bundled = bundle(pdf, rendered, plan, labels, diagnostics, open_files)
        if mark is not None:
            watermark(pdf, mark.pdf)
        embed(pdf, report, plan, edition, project)
        diagnostics.raise_if_errors(strict)
        # The web edition is read in browsers: linearised, page 1 shows before the rest arrives.
        data = save_linearised(pdf) if edition is Edition.WEB else _saved(pdf)
    weighed = check_size(data, rendered.pdf, plan.bundled, report, edition, diagnostics)
    diagnostics.raise_if_errors(strict)
    target = project.output_for(report, labels["files"].get(edition.value, ""))
    progress(f"Writing {target.name}")
    expected = rendered.page_count + plan.bundled_pages
    size = write_atomically(data, target, expected_pages=expected, waiting=waiting)
    return BuildResult(path=target, page_count=expected, size_bytes=size, annexes=plan,
                       untagged_annex_pages=bundled.untagged_annex_pages, claims_pdf_ua=bundled.claims_pdf_ua,
                       size=weighed, resampled=resampled)


def _watermark_page(project: Project, report: Report, labels: Labels, diagnostics: Diagnostics,
                    renderer: Worker | None) -> RenderedReport:
    mark = compose_watermark(project.layout, labels["draft"]["watermark"], diagnostics)
    return render_pdf(mark, (project.layout,), project.layout / STYLESHEET, report.published, diagnostics,
                      tagged=False, limits=project.render_limits, renderer=renderer)


def _saved(pdf: pikepdf.Pdf) -> bytes:
    """Return pdf's bytes; the same document gives the same bytes (a fixed /ID)."""
    output = io.BytesIO()
    pdf.save(output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return output.getvalue()
