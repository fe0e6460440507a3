"""Turn a Report and its annexes into one HTML document with the layout's Jinja templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from .errors import Diagnostics
from .model import AnnexPlan, Edition, Report

TEMPLATE = "report.html"
STYLESHEET = "style.css"


@dataclass(frozen=True)
class ComposedReport:
    """HTML ready for rendering, with what the renderer needs to resolve its resources."""

    html: str
    base_url: str
    """Layout folder as a file URL, so the stylesheet and fonts resolve inside it."""


def compose_html(report: Report, annexes: AnnexPlan, layout: Path, edition: Edition,
                 diagnostics: Diagnostics) -> ComposedReport | None:
    """Render the layout's template for report; record template errors with file and line."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(layout),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    try:
        html = environment.get_template(TEMPLATE).render(template_context(report, annexes, edition))
    except jinja2.TemplateSyntaxError as exc:
        diagnostics.error(Path(exc.filename or layout / TEMPLATE), exc.lineno, 1,
                          f"template syntax error: {exc.message}", "layout.syntax")
        return None
    except jinja2.TemplateNotFound as exc:
        diagnostics.error(layout / exc.name, 0, 0, f"template '{exc.name}' is missing from the layout",
                          "layout.missing-template")
        return None
    except jinja2.UndefinedError as exc:
        template, line = _template_location(exc, layout)
        diagnostics.error(template, line, 1, f"template uses a field that does not exist: {exc.message}",
                          "layout.undefined")
        return None
    return ComposedReport(html=html, base_url=layout.resolve().as_uri() + "/")


def template_context(report: Report, annexes: AnnexPlan, edition: Edition) -> dict:
    """Build the one dict templates see: the report plus link targets decided by the edition."""
    bundled = {annex.url: annex for annex in annexes.bundled}
    link_targets = {
        link.url: f"#{bundled[link.url].anchor}" if link.url in bundled else link.url
        for section in report.sections for link in section.links
    }
    return {
        "report": report,
        "labels": report.labels,
        "edition": edition.value,
        "chapters": report.chapters,
        "bodies": {section.slug: Markup(section.body_html) for section in report.sections},
        "link_targets": link_targets,
        "bundled_annexes": annexes.bundled,
        "online_annexes": annexes.online,
        "stylesheet": STYLESHEET,
    }


def _template_location(exc: Exception, layout: Path) -> tuple[Path, int]:
    traceback = exc.__traceback__
    location = (layout / TEMPLATE, 0)
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith(".html"):
            location = (Path(filename), traceback.tb_lineno)
        traceback = traceback.tb_next
    return location
