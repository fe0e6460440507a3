"""Turn command-line options into a build or a check, and outcomes into messages and exit codes."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import click

from .build import build as build_report
from .build import check as check_sources
from .errors import Diagnostics, KcvsError, SourceError
from .model import Edition, Project
from .project import ProjectNotFound, open_project
from .scaffold import ScaffoldError, new_report
from .sources import load_report

# Usage errors exit 2 through click itself.
EXIT_FAILED, EXIT_INTERRUPTED = 1, 130

_project_options = [
    click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Folder with report.yaml, sections/ and annexes/ [default: the project's sources/]."),
    click.option("--layout", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Layout folder with report.html, style.css and fonts/ "
                      "[default: the project's layouts/default/]."),
    click.option("--strict", is_flag=True,
                 help="Treat warnings (and missing annex files) as errors: exit 1."),
]


def project_options(function):
    for option in reversed(_project_options):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kcvs-pdf")
@click.option("-C", "--project", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Project folder (the one holding layouts/ and sources/) [default: the current "
                   "folder or the nearest one above it that holds layouts/].")
@click.pass_context
def main(context: click.Context, project: Path | None) -> None:
    """Build the KCVS annual report as one navigable PDF.

    \b
    Typical use, anywhere inside the project folder:
      kcvs-pdf check                 find every problem in sources/, without rendering
      kcvs-pdf build                 report + annexes -> build/jaarverslag-2023.pdf
      kcvs-pdf build --edition web   report only, links to the published annexes
      kcvs-pdf build --edition draft watermarked draft for the management committee

    Exit codes: 0 success, 1 problems in the sources or the build, 2 wrong command-line use,
    130 interrupted (Ctrl-C).
    """


@main.command()
@project_options
@click.option("--edition", type=click.Choice([e.value for e in Edition]), default=Edition.FULL.value,
              show_default=True,
              help="full: the report followed by every annex found in sources/annexes/. "
                   "web: the report alone, calls to action link to the published URLs. "
                   "draft: the full edition for reviewers, watermarked, with an approval sheet; "
                   "full and web need every section approved.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF to write [default: build/<title>.pdf, build/<title>-web.pdf for web].")
def build(sources: Path, layout: Path, strict: bool, edition: str, output: Path | None) -> None:
    """Check the sources, render the report and write the PDF.

    The PDF is written to a temporary file and only replaces the previous one once it is
    complete and checked, so a failed or interrupted build never loses the last good PDF.
    """
    started = time.monotonic()
    project = _project(sources, layout, output)
    diagnostics = Diagnostics(project.root)
    stages = iter(range(1, 7))
    # SIGTERM (kill, CI timeouts) unwinds like Ctrl-C, so temporary files are removed.
    previous_handler = signal.signal(signal.SIGTERM, lambda signum, frame: _raise_interrupt())

    def progress(message: str) -> None:
        click.echo(f"[{next(stages)}/6] {message}…", err=True)

    try:
        result = build_report(project, Edition(edition), diagnostics, strict, progress)
    except SourceError:
        _print(diagnostics)
        click.secho(f"Build stopped: {len(diagnostics.errors)} error(s), {len(diagnostics.warnings)} "
                    "warning(s). No PDF was written; the previous one is unchanged.", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    except KcvsError as error:
        _print(diagnostics)
        click.secho(f"error: {error}", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    except KeyboardInterrupt:
        click.secho("Interrupted: no PDF was written; the previous one is unchanged.", fg="red", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    _print(diagnostics)
    if result.annexes.missing:
        click.echo(f"{len(result.annexes.missing)} annex file(s) not found in {_shown(project.annexes)}/: "
                   "listed as online in the table of contents (--strict makes this an error)", err=True)
    click.echo(f"Wrote {_shown(result.path)}: {result.page_count} pages, "
               f"{result.size_bytes / 1_000_000:.1f} MB, {len(result.annexes.bundled)} annex(es) bundled, "
               f"{time.monotonic() - started:.1f} s")


@main.command()
@project_options
def check(sources: Path, layout: Path, strict: bool) -> None:
    """Report every problem in the sources and the layout, without rendering.

    Each problem is one line, `file:line:column: error|warning: message [code]`, followed by
    a count. Exits 1 when there are errors (or warnings, with --strict).
    """
    project = _project(sources, layout, None)
    diagnostics = Diagnostics(project.root)
    check_sources(project, diagnostics)
    _print(diagnostics)
    errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
    click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(EXIT_FAILED)


@main.command()
@click.argument("year", type=click.IntRange(1900, 2999))
@click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The report to start from [default: the project's sources/].")
@click.option("--to", "target", type=click.Path(path_type=Path), default=None,
              help="Folder for the new report [default: sources-YEAR beside the current one].")
def new(year: int, sources: Path | None, target: Path | None) -> None:
    """Start next year's report from this year's: same chapters, every section a stub.

    \b
    Example:
      kcvs-pdf new 2024              writes sources-2024/ beside sources/
      kcvs-pdf build --sources sources-2024 --edition draft

    Every section keeps its title and place, with no text, no links and status "concept";
    annexes/ starts empty. The current report is not changed and still builds.
    """
    project = _project(sources, None, None)
    diagnostics = Diagnostics(project.root)
    report = load_report(project.sources, diagnostics)
    if report is None:
        _print(diagnostics)
        click.secho(f"error: {_shown(project.sources)} has errors; fix them first (kcvs-pdf check)",
                    fg="red", err=True)
        sys.exit(EXIT_FAILED)
    target = (target or project.sources.with_name(f"{project.sources.name}-{year}")).resolve()
    try:
        written = new_report(report, year, target)
    except ScaffoldError as error:
        click.secho(f"error: {error}", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    shown = target.relative_to(project.root).as_posix() if target.is_relative_to(project.root) else target
    click.echo(f"Wrote {shown}/: report.yaml and {len(written) - 1} section stubs.")
    click.echo(f"Next: write the sections, then, in {project.root}:\n"
               f"  kcvs-pdf build --sources {shown} --edition draft   (or: make draft SOURCES={shown})")


def _raise_interrupt():
    raise KeyboardInterrupt


def _project(sources: Path | None, layout: Path | None, output: Path | None) -> Project:
    root = click.get_current_context().find_root().params.get("project")
    try:
        project = open_project(root, sources, layout, output)
    except ProjectNotFound as error:
        raise click.UsageError(str(error)) from None
    for name, folder in (("--sources", project.sources), ("--layout", project.layout)):
        if not folder.is_dir():
            raise click.BadParameter(f"folder '{_shown(folder)}' does not exist", param_hint=name)
    return project


def _print(diagnostics: Diagnostics) -> None:
    for diagnostic in diagnostics.items:
        click.echo(str(diagnostic), err=True)


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
