"""Turn the command line into a project and diagnostics into lines, for every kcvs-pdf command."""

from __future__ import annotations

import dataclasses
import importlib
import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from ..errors import Diagnostics
from ..model import BuildResult, Project, RenderLimits
from ..project import MARKER as LAYOUTS
from ..project import ProjectNotFound, open_project
from .crash import EXIT_BUG, EXIT_FAILED, EXIT_INTERRUPTED, GuardedGroup

# Usage errors exit 2 through click itself.
__all__ = ["EXIT_BUG", "EXIT_FAILED", "EXIT_INTERRUPTED"]

PROJECT_OPTIONS = [
    click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Folder with report.yaml, sections/ and annexes/ [default: the report the "
                      "current folder is in, else the project's sources/]."),
    click.option("--layout", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Layout folder with report.html, style.css and fonts/ "
                      "[default: the project's layouts/default/]."),
    click.option("--strict", is_flag=True,
                 help="Treat warnings (and missing annex files) as errors: exit 1."),
]


def project_options(function):
    for option in reversed(PROJECT_OPTIONS):
        function = option(function)
    return function


RENDER_TIMEOUT_OPTION = click.option(
    "--render-timeout", type=click.FloatRange(min=1), default=RenderLimits.timeout, show_default=True,
    metavar="SECONDS", help="Stop rendering that takes longer, with an error naming the likely cause; "
                            "raise it for a report that is simply very large.")


class LazyGroup(GuardedGroup):
    """A group whose commands are imported when used, so `kcvs-pdf build` loads no review code
    and an unchanged rebuild answers before WeasyPrint is even imported."""

    COMMANDS = {"build": "authoring", "check": "authoring", "new": "authoring", "fetch": "network",
                "links": "network", "publish": "release", "diff": "review", "comments": "review",
                "preview": "preview"}

    def list_commands(self, context: click.Context) -> list[str]:
        return sorted(self.COMMANDS)

    def get_command(self, context: click.Context, name: str) -> click.Command | None:
        if name not in self.COMMANDS:
            return None
        return getattr(importlib.import_module(f"{__package__}.{self.COMMANDS[name]}"), name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kcvs-pdf")
@click.option("-C", "--project", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Project folder (the one holding layouts/ and sources/); --sources and --layout "
                   "are then folders inside it [default: the current folder or the nearest one "
                   "above it that holds layouts/].")
@click.pass_context
def main(context: click.Context, project: Path | None) -> None:
    """Build the KCVS annual report as one navigable PDF.

    \b
    Typical use, anywhere inside the project folder:
      kcvs-pdf check                 find every problem in sources/, without rendering
      kcvs-pdf fetch                 download the linked annex PDFs into sources/annexes/
      kcvs-pdf build                 report + annexes -> build/jaarverslag-2023.pdf
      kcvs-pdf build --edition web   report only, links to the published annexes
      kcvs-pdf build --edition draft watermarked draft for the management committee
      kcvs-pdf preview --open        the draft in your browser, refreshed on every save
      kcvs-pdf publish               both final editions, annexes and landing page -> build/publish/
      kcvs-pdf links                 find dead and insecure web links (uses the internet)
      kcvs-pdf diff OLD.pdf NEW.pdf  what changed, section by section -> NEW-wijzigingen.pdf
      kcvs-pdf comments DRAFT.pdf    reviewers' comments, located in sources/
      kcvs-pdf new 2024              start next year's report beside this one

    Exit codes: 0 success, 1 problems in the sources or the build (or a full disk, a read-only
    folder), 2 wrong command-line use, 70 internal error (a bug in kcvs-pdf: it names a report
    file under build/.crash/ to send to its maintainers), 130 interrupted (Ctrl-C).
    """


def stop(diagnostics: Diagnostics, message: str) -> NoReturn:
    print_diagnostics(diagnostics)
    click.secho(message, fg="red", err=True)
    sys.exit(EXIT_FAILED)


@contextmanager
def terminate_as_interrupt(message: str):
    """Let SIGTERM unwind like Ctrl-C, so temporary files are removed; report either as interrupted.

    Yields an Event that tells whether a signal came: Python drops an interruption that lands in
    a finaliser (`__del__`), so a command also checks the event before it commits anything.
    """
    interrupted = threading.Event()

    def interrupt(signum, frame):
        interrupted.set()
        raise KeyboardInterrupt

    previous = {number: signal.signal(number, interrupt) for number in (signal.SIGTERM, signal.SIGINT)
                if number == signal.SIGTERM or signal.getsignal(number) is signal.default_int_handler}
    try:
        yield interrupted
    except KeyboardInterrupt:
        click.secho(message, fg="red", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def project_from(sources: Path | None, layout: Path | None, output: Path | None,
                 render_timeout: float | None = None) -> Project:
    root = click.get_current_context().find_root().params.get("project")
    try:
        project = open_project(root, sources, layout, output)
    except ProjectNotFound as error:
        raise click.UsageError(str(error)) from None
    for name, folder in (("--sources", project.sources), ("--layout", project.layout)):
        if not folder.is_dir():
            raise click.BadParameter(f"folder '{shown(folder)}' does not exist", param_hint=name)
    _refuse_output_over_inputs(project, output)
    if render_timeout is not None:
        project = dataclasses.replace(project, render_limits=RenderLimits(timeout=render_timeout))
    return project


def _refuse_output_over_inputs(project: Project, typed: Path | None) -> None:
    """Refuse, before any work, an output file among those the build reads: it would destroy one."""
    if project.output is None:
        return
    target = Path(os.path.realpath(project.output))
    named = f"'{typed}' (a link to '{shown(target)}')" if os.path.islink(typed) else f"'{typed}'"
    # Every layout, not just this build's: another build reads the one `-o` would overwrite.
    for folder, what in ((project.sources, "the report's sources"), (project.layout, "the layout"),
                         (project.root / LAYOUTS, "a layout"), (project.cache, "the build's cache")):
        if target.is_relative_to(os.path.realpath(folder)):
            raise click.BadParameter(f"{named} is inside {shown(folder)}/, which the build reads: the PDF "
                                     f"would overwrite {what}; write it elsewhere, e.g. in "
                                     f"{shown(project.build_dir)}/", param_hint="'-o' / '--output'")


def print_diagnostics(diagnostics: Diagnostics) -> None:
    for diagnostic in diagnostics.items:
        click.echo(str(diagnostic), err=True)


def shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


SOURCES_OPTION = PROJECT_OPTIONS[0]


def weight(result: BuildResult) -> str:
    """Return a PDF's size, with its budget."""
    from ..release.budget import megabytes

    if result.size is None:
        return megabytes(result.size_bytes)
    verdict = "OVER its budget" if result.size.over else "budget"
    return f"{megabytes(result.size_bytes)} ({verdict} {megabytes(result.size.limit)})"


def claim(result: BuildResult) -> str:
    """Return the summary's words on a PDF's PDF/UA-1 claim (none when it makes none)."""
    return ", claims PDF/UA-1" if result.claims_pdf_ua else ""


def untagged_note(result: BuildResult) -> str | None:
    """Return why a PDF with untagged annex pages makes no PDF/UA-1 claim, or None."""
    if not result.untagged_annex_pages:
        return None
    return (f"{result.untagged_annex_pages} of {result.annexes.bundled_pages} annex pages carry no tags: "
            "marked as not accessible, so the PDF does not claim PDF/UA-1")


def print_resampled(result: BuildResult) -> None:
    from ..pdf.images import PRINT_DPI
    from ..release.budget import megabytes

    if result.resampled:
        before = sum(image.bytes_before for image in result.resampled)
        after = sum(image.bytes_after for image in result.resampled)
        click.echo(f"{len(result.resampled)} image(s) downsampled to {PRINT_DPI} dpi at their printed "
                   f"size: {megabytes(before)} -> {megabytes(after)}", err=True)
