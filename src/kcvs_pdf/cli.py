"""Turn command-line options into a build or a check, and outcomes into messages and exit codes."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import click

from .build import build as build_report
from .build import check as check_sources
from .budget import megabytes
from .errors import Diagnostics, KcvsError, Severity, SourceError
from .images import PRINT_DPI
from .manifest import CHECKSUMS, MANIFEST
from .model import BuildResult, Edition, Project
from .release import publish_release
from .project import ProjectNotFound, open_project

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
      kcvs-pdf publish               both final editions, annexes and landing page -> build/publish/

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
    _print_resampled(result)
    click.echo(f"Wrote {_shown(result.path)}: {result.page_count} pages, {_weight(result)}, "
               f"{len(result.annexes.bundled)} annex(es) bundled, {time.monotonic() - started:.1f} s")


@main.command()
@project_options
def publish(sources: Path, layout: Path, strict: bool) -> None:
    """Build the full and web editions and write build/publish/, the folder to upload.

    \b
    The folder holds, as they go on the website (upload its contents at the site's root):
      <report>/index.html        landing page: cover, summary, downloads, annexes
      <report>/<report>.pdf      full edition, every annex bundled
      <report>/<report>-web.pdf  web edition, linearised (fast web view)
      <URL path of each annex>   each annex, untouched, where the web edition links to it
      SHA256SUMS, manifest.json  checksums (sha256sum -c SHA256SUMS) and what was published

    Every section must be approved and every annex file present. The folder is replaced only
    once the new one is complete, so a failed publish leaves the previous one as it was.
    """
    started = time.monotonic()
    project = _project(sources, layout, None)
    diagnostics = Diagnostics(project.root)
    previous_handler = signal.signal(signal.SIGTERM, lambda signum, frame: _raise_interrupt())
    try:
        release = publish_release(project, diagnostics, strict,
                                  lambda message: click.echo(f"{message}…", err=True))
    except SourceError:
        errors, warnings = _print_once(diagnostics)
        click.secho(f"Publish stopped: {errors} error(s), {warnings} warning(s). The previous "
                    "publish folder is unchanged.", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    except KcvsError as error:
        _print_once(diagnostics)
        click.secho(f"error: {error}", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    except KeyboardInterrupt:
        click.secho("Interrupted: the previous publish folder is unchanged.", fg="red", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    _print_once(diagnostics)
    for result in (release.full, release.web):
        _print_resampled(result)
        click.echo(f"{result.path.name}: {result.page_count} pages, {_weight(result)}", err=True)
    total = sum(file.size for file in release.files)
    click.echo(f"Wrote {_shown(release.folder)}/: {len(release.files)} files (+ {CHECKSUMS}, {MANIFEST}), "
               f"{megabytes(total)}, {time.monotonic() - started:.1f} s")


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


def _weight(result: BuildResult) -> str:
    if result.size is None:
        return megabytes(result.size_bytes)
    verdict = "OVER its budget" if result.size.over else "budget"
    return f"{megabytes(result.size_bytes)} ({verdict} {megabytes(result.size.limit)})"


def _print_resampled(result: BuildResult) -> None:
    if result.resampled:
        before = sum(image.bytes_before for image in result.resampled)
        after = sum(image.bytes_after for image in result.resampled)
        click.echo(f"{len(result.resampled)} image(s) downsampled to {PRINT_DPI} dpi at their printed "
                   f"size: {megabytes(before)} -> {megabytes(after)}", err=True)


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


def _print_once(diagnostics: Diagnostics) -> tuple[int, int]:
    """Print each diagnostic once; return the errors and warnings printed.

    Publishing renders the report twice, so a warning about the sources comes twice.
    """
    lines = {str(item): item.severity for item in diagnostics.items}
    for line in lines:
        click.echo(line, err=True)
    return (sum(severity is Severity.ERROR for severity in lines.values()),
            sum(severity is Severity.WARNING for severity in lines.values()))


def _print(diagnostics: Diagnostics) -> None:
    for diagnostic in diagnostics.items:
        click.echo(str(diagnostic), err=True)


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
