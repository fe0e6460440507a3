"""Turn composed HTML into a PDF with WeasyPrint, in a bounded child, reading only files the report may read."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from ..errors import Diagnostics, SettingError, SourceError, UnsafeResourceError
from ..model import ComposedReport, RenderedReport, RenderLimits
from .bounded import Breach, Submitted, Task, Worker

# What the render's child runs; the module imports WeasyPrint, so only the child loads it.
_TYPESET = "kcvs_pdf.layout.typeset"
# Up to year 9999: what dates in fonts and PDFs can hold.
_LATEST_EPOCH = 253402300799


def start_renderer() -> Worker:
    """Return the child that will render, loading WeasyPrint while this process checks the sources.

    This process never loads WeasyPrint itself: its memory belongs to the child, which is gone
    by the time this process bundles and writes. Close the worker when the build is done.
    """
    return Worker((_TYPESET,))


def render_pdf(composed: ComposedReport, allowed: tuple[Path, ...], stylesheet: Path,
               source_date: datetime.date, diagnostics: Diagnostics, tagged: bool = True,
               limits: RenderLimits = RenderLimits(), renderer: Worker | None = None) -> RenderedReport:
    """Render composed HTML to PDF bytes in a child process; WeasyPrint's warnings become diagnostics.

    The child is `renderer` when given, else one forked for this render. Fonts come from the
    `fonts/` folder beside the stylesheet and from nowhere else. A render that breaks its
    limits or fails is a located error on the stylesheet (raised as SourceError).
    """
    return Rendering(composed, allowed, stylesheet, source_date, tagged, limits, renderer).result(diagnostics)


class Rendering:
    """A render started in `renderer`, going on while this process works; `result` waits for it.

    Without a usable renderer the render happens when its result is asked for.
    """

    def __init__(self, composed: ComposedReport, allowed: tuple[Path, ...], stylesheet: Path,
                 source_date: datetime.date, tagged: bool = True, limits: RenderLimits = RenderLimits(),
                 renderer: Worker | None = None) -> None:
        self.composed = composed
        """What is being rendered."""
        self._stylesheet, self._limits = stylesheet, limits
        work = Task(f"{_TYPESET}:typeset", (composed, allowed, stylesheet, source_date_epoch(source_date), tagged))
        self._submitted = Submitted(work, limits.timeout, limits.memory, renderer)

    def result(self, diagnostics: Diagnostics) -> RenderedReport:
        """Return the rendered report; raise SourceError or UnsafeResourceError as render_pdf does."""
        try:
            rendered, refused = self._submitted.result(diagnostics)
        except Breach as breach:
            code, message = _explained(breach, self._limits)
            diagnostics.error(self._stylesheet, 1, 1, message, f"render.{code}")
            raise SourceError(diagnostics.items) from None
        if refused:
            raise UnsafeResourceError(f"the report asked for files outside sources/ and layouts/ or on "
                                      f"the network, which is not allowed: {', '.join(refused)}")
        return rendered


def source_date_epoch(date: datetime.date) -> str:
    """Return the SOURCE_DATE_EPOCH the render uses: the environment's, else midnight UTC of date.

    It fixes the timestamps fontTools writes into embedded fonts, so rebuilds are byte-identical.
    """
    given = os.environ.get("SOURCE_DATE_EPOCH")
    if given is None:
        return str(int(datetime.datetime.combine(date, datetime.time(), datetime.UTC).timestamp()))
    if not (given.isascii() and given.isdigit() and int(given) <= _LATEST_EPOCH):
        raise SettingError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not "
                           f"{given!r}: unset it (the report's publication date is then used) or "
                           "correct it")
    return given


def _explained(breach: Breach, limits: RenderLimits) -> tuple[str, str]:
    """Return the code and message of a render that did not finish: what happened, what to look for."""
    sizes = "look for very large sizes in the layout's CSS (a page size, font-size or width)"
    if breach.kind == "memory":
        return "memory", f"rendering needed more than {_amount(limits.memory)} of memory: {sizes}"
    if breach.kind == "timeout":
        return "timeout", (f"rendering took more than {limits.timeout:g} s and was stopped: look "
                           "for very large sizes or very long tables in the layout and the sources; "
                           "a report that is simply large can be given more time with --render-timeout")
    if breach.kind == "died":
        return "failed", f"rendering stopped abruptly ({breach.detail}), most likely for lack of memory: {sizes}"
    return "failed", (f"rendering failed ({breach.detail}): the likely cause is an extreme value in "
                      "the layout's CSS, such as a huge font-size, size or margin; undo the last change "
                      "to the layout")


def _amount(size: int) -> str:
    return f"{size / 1024**3:g} GiB" if size >= 1024**3 else f"{size // 1024**2} MiB"
