"""Turn a Report and its annexes into one HTML document with the layout's Jinja templates."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from ..errors import Diagnostics
from ..model import AnnexPlan, ApprovalStatus, DraftStamp, Edition, RenderLimits, Report
from ..sources.markdown import footnote_target
from .bounded import Breach, run_bounded
from .hyphenate import hyphenate
from .labels import Labels
from .loader import ConfinedLoader, TemplateRefused

TEMPLATE = "report.html"
WATERMARK_TEMPLATE = "watermark.html"
STYLESHEET = "style.css"
COMPOSE_LIMITS = RenderLimits(timeout=60.0)
"""Composing HTML takes well under a second; a layout that needs a minute loops without end."""


@dataclass(frozen=True)
class ComposedReport:
    """HTML ready for rendering, with what the renderer needs to resolve its resources."""

    html: str
    base_url: str
    """Layout folder as a file URL, so the stylesheet and fonts resolve inside it."""


def compose_html(report: Report, annexes: AnnexPlan, layout: Path, edition: Edition, labels: Labels,
                 diagnostics: Diagnostics, stamp: DraftStamp | None = None,
                 bounded: bool = True) -> ComposedReport | None:
    """Render the layout's template for report; record template errors with file and line.

    `bounded=False` composes in this process: for the preview's one section, shown while the
    bounded build of the whole draft follows and would report a template that runs away.
    """
    environment = template_environment(layout)
    locale = report.language.replace("-", "_")
    environment.filters.update(
        month_year=lambda date: format_date(date, "MMMM y", locale=locale),
        long_date=lambda date: format_date(date, "long", locale=locale),
        number=lambda value, decimals=0: _number(value, decimals, locale),
        amount=lambda value: _number(value, 2, locale),
        hyphenate=lambda value: hyphenate(value, report.language),
    )
    context = template_context(report, annexes, edition, labels, stamp)
    if not bounded:
        return _render_here(environment, TEMPLATE, context, layout, diagnostics)
    _warm(report, locale)
    return render_template(environment, TEMPLATE, context, layout, diagnostics)


def _warm(report: Report, locale: str) -> None:
    """Load the language's data and hyphenate the report's words here, so each bounded child starts warm.

    Both belong to the report and its language, not to the layout: done in the child, they would
    start cold at every composition, several times slower than the templates themselves.
    """
    format_date(report.published, "long", locale=locale)
    _number(0, 2, locale)
    for section in report.sections:
        hyphenate(section.title, report.language)
        hyphenate(Markup(section.body_html), report.language)


def compose_watermark(layout: Path, text: str, diagnostics: Diagnostics) -> ComposedReport | None:
    """Render the layout's watermark page, laid over every page of a draft."""
    return render_template(template_environment(layout), WATERMARK_TEMPLATE,
                           {"text": text, "stylesheet": STYLESHEET}, layout, diagnostics)


def template_environment(layout: Path) -> jinja2.Environment:
    """Return the sandboxed Jinja environment every template of the layout is rendered in."""
    # A sandbox: a layout is content someone may send us, and must not run code while rendering.
    return ImmutableSandboxedEnvironment(loader=ConfinedLoader(layout), autoescape=True,
                                         undefined=jinja2.StrictUndefined, trim_blocks=True,
                                         lstrip_blocks=True)


def render_template(environment: jinja2.Environment, name: str, context: dict, layout: Path,
            diagnostics: Diagnostics) -> ComposedReport | None:
    """Render the template in a bounded child: a sandboxed template can still loop or grow without end."""
    work = functools.partial(_render_here, environment, name, context, layout)
    try:
        return run_bounded(work, diagnostics, COMPOSE_LIMITS.timeout, COMPOSE_LIMITS.memory)
    except Breach as breach:
        look = "look for loops in the templates that run very often, or text repeated very many times"
        problem = {"timeout": f"took more than {COMPOSE_LIMITS.timeout:g} s and was stopped",
                   "memory": f"needed more than {COMPOSE_LIMITS.memory // 1024**3} GiB of memory"
                   }.get(breach.kind, f"failed ({breach.detail})")
        code = breach.kind if breach.kind in ("timeout", "memory") else "failed"
        diagnostics.error(layout / name, 1, 1, f"composing the layout's templates {problem}: {look}",
                          f"layout.{code}")
        return None


def _render_here(environment: jinja2.Environment, name: str, context: dict, layout: Path,
                 diagnostics: Diagnostics) -> ComposedReport | None:
    try:
        html = environment.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        diagnostics.error(Path(exc.filename or layout / name), exc.lineno, 1,
                          f"template syntax error: {exc.message}", "layout.syntax")
        return None
    except jinja2.TemplateNotFound as exc:
        diagnostics.error(layout / exc.name, 0, 0, f"template '{exc.name}' is missing from the layout",
                          "layout.missing-template")
        return None
    except TemplateRefused as exc:
        # Located where the template is included; the first template has no includer.
        template, line = _template_location(exc, layout, default=(layout / name, 1))
        diagnostics.error(template, line, 1, exc.message, exc.code)
        return None
    except SecurityError as exc:
        template, line = _template_location(exc, layout)
        diagnostics.error(template, line, 1, f"template tries something a layout may not do: {exc}",
                          "layout.unsafe")
        return None
    except jinja2.UndefinedError as exc:
        template, line = _template_location(exc, layout)
        diagnostics.error(template, line, 1, f"template uses a field that does not exist: {exc.message}",
                          "layout.undefined")
        return None
    except MemoryError as exc:
        template, line = _template_location(exc, layout, default=(layout / name, 1))
        diagnostics.error(template, line, 1, f"template needs more than {COMPOSE_LIMITS.memory // 1024**3} GiB "
                          "of memory here: look for text repeated very many times", "layout.memory")
        return None
    except Exception as exc:  # noqa: BLE001 (whatever a template's expression raises is the template's)
        template, line = _template_location(exc, layout, default=(layout / name, 1))
        diagnostics.error(template, line, 1, f"template fails here: {type(exc).__name__}: {exc}",
                          "layout.error")
        return None
    return ComposedReport(html=html, base_url=layout.resolve().as_uri() + "/")


def template_context(report: Report, annexes: AnnexPlan, edition: Edition, labels: Labels,
                     stamp: DraftStamp | None = None) -> dict:
    """Build the one dict templates see: the report plus link targets decided by the edition."""
    bundled = {annex.url: annex for annex in annexes.bundled}
    link_targets = {
        link.url: f"#{bundled[link.url].anchor}" if link.url in bundled else link.url
        for section in report.sections for link in section.links
    }
    approved = sum(s.approval.status is ApprovalStatus.APPROVED for s in report.sections)
    return {
        "report": report,
        "labels": labels,
        "edition": edition.value,
        "draft": edition is Edition.DRAFT,
        "stamp": stamp,
        "approved_count": labels["draft"]["approved_count"].format(
            approved=approved, total=len(report.sections)),
        "chapters": report.chapters,
        "bodies": {section.slug: Markup(section.body_html) for section in report.sections},
        "link_targets": link_targets,
        "bundled_annexes": annexes.bundled,
        "online_annexes": annexes.online,
        "stylesheet": STYLESHEET,
    }


def link_descriptions(report: Report, annexes: AnnexPlan, labels: Labels,
                      anchors: dict[str, int]) -> dict[str, str]:
    """Return the words a screen reader says for each link target: where the link leads.

    Internal targets get their title and page ("Werkgroep GDPR, pagina 10"), a footnote's number
    and page ("Voetnoot 1, pagina 12"); calls to action get their label; `anchors` gives the
    0-based page of each id in the rendered report.
    """
    page = labels["page"]
    words = {link.url: link.label.capitalize() for section in report.sections for link in section.links}
    for chapter in report.chapters:
        target = f"chapter-{chapter.number}"
        if target in anchors:
            words[f"#{target}"] = f"{labels['chapter']} {chapter.number}: {chapter.title}, {page} " \
                                  f"{anchors[target] + 1}"
        for section in chapter.sections:
            if section.slug in anchors:
                words[f"#{section.slug}"] = f"{section.title}, {page} {anchors[section.slug] + 1}"
            for anchor in section.anchors:
                note = footnote_target(anchor)
                if note is not None and anchor in anchors:
                    is_note, number = note
                    text = labels["footnote" if is_note else "footnote_back"].format(number=number)
                    words[f"#{anchor}"] = f"{text}, {page} {anchors[anchor] + 1}"
    for annex in annexes.bundled:
        words[f"#{annex.anchor}"] = f"{labels['annex']} {annex.number}: {annex.title}, {page} {annex.first_label}"
    return words


def _number(value: object, decimals: int, locale: str) -> str:
    """Return value with the locale's grouping and decimal marks: 1.383.572,80 in nl-BE."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(Decimal(str(value)), format=pattern, locale=locale)


def _template_location(exc: Exception, layout: Path,
                       default: tuple[Path, int] | None = None) -> tuple[Path, int]:
    traceback = exc.__traceback__
    location = default or (layout / TEMPLATE, 0)
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith(".html"):
            location = (Path(filename), traceback.tb_lineno)
        traceback = traceback.tb_next
    return location
