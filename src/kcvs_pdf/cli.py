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

# Usage errors exit 2 through click itself.
EXIT_FAILED, EXIT_INTERRUPTED = 1, 130

_project_options = [
    click.option("--sources", type=click.Path(file_okay=False, path_type=Path), default=Path("sources"),
                 show_default=True, help="Folder with report.yaml, sections/ and annexes/."),
    click.option("--layout", type=click.Path(file_okay=False, path_type=Path),
                 default=Path("layouts/default"), show_default=True,
                 help="Layout folder with report.html, style.css and fonts/."),
    click.option("--strict", is_flag=True,
                 help="Treat warnings (and missing annex files) as errors: exit 1."),
]


def project_options(function):
    for option in reversed(_project_options):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kcvs-pdf")
def main() -> None:
    """Build the KCVS annual report as one navigable PDF.

    \b
    Typical use, from the project folder:
      kcvs-pdf check                 find every problem in sources/, without rendering
      kcvs-pdf build                 report + annexes -> build/jaarverslag-2023.pdf
      kcvs-pdf build --edition web   report only, links to the published annexes

    Exit codes: 0 success, 1 problems in the sources or the build, 2 wrong command-line use,
    130 interrupted (Ctrl-C).
    """


@main.command()
@project_options
@click.option("--edition", type=click.Choice([e.value for e in Edition]), default=Edition.FULL.value,
              show_default=True,
              help="full: the report followed by every annex found in sources/annexes/. "
                   "web: the report alone, calls to action link to the published URLs.")
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
    if result.untagged_annex_pages:
        click.echo(f"{result.untagged_annex_pages} of {result.annexes.bundled_pages} annex pages carry no "
                   "tags: marked as not accessible, so the PDF does not claim PDF/UA-1", err=True)
    click.echo(f"Wrote {_shown(result.path)}: {result.page_count} pages, "
               f"{result.size_bytes / 1_000_000:.1f} MB, {len(result.annexes.bundled)} annex(es) bundled, "
               f"{'claims PDF/UA-1, ' if result.claims_pdf_ua else ''}"
               f"{time.monotonic() - started:.1f} s")


@main.command()
@project_options
def check(sources: Path, layout: Path, strict: bool) -> None:
    """Report every problem in the sources, the layout and the annex files, without rendering.

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


def _raise_interrupt():
    raise KeyboardInterrupt


def _project(sources: Path, layout: Path, output: Path | None) -> Project:
    for name, folder in (("--sources", sources), ("--layout", layout)):
        if not folder.is_dir():
            raise click.BadParameter(f"folder '{folder}' does not exist", param_hint=name)
    root = Path.cwd().resolve()
    return Project(root=root, sources=sources.resolve(), layout=layout.resolve(),
                   output=output.resolve() if output else None)


def _print(diagnostics: Diagnostics) -> None:
    for diagnostic in diagnostics.items:
        click.echo(str(diagnostic), err=True)


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
