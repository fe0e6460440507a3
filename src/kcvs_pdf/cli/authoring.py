"""Turn `build`, `check` and `new` into builds, checks and next year's sources."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import click

from .. import cache
from ..errors import Diagnostics, KcvsError, SourceError
from ..layout.bounded import Worker
from ..model import AnnexPlan, BuildResult, Edition, Project
from .common import (
    EXIT_FAILED,
    RENDER_TIMEOUT_OPTION,
    claim,
    print_diagnostics,
    print_resampled,
    project_from,
    project_options,
    shown,
    terminate_as_interrupt,
    untagged_note,
    weight,
)


@click.command()
@project_options
@click.option("--edition", type=click.Choice([e.value for e in Edition]), default=Edition.FULL.value,
              show_default=True,
              help="full: the report followed by every annex found in sources/annexes/. "
                   "web: the report alone, calls to action link to the published URLs. "
                   "draft: the full edition for reviewers, watermarked, with an approval sheet; "
                   "full and web need every section approved.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF to write [default: build/<title>.pdf, build/<title>-web.pdf for web]; "
                   "never inside sources/ or the layout.")
@RENDER_TIMEOUT_OPTION
@click.option("--no-cache", is_flag=True,
              help="Build even when nothing changed since the last build (which otherwise takes a "
                   "fraction of a second and gives the same PDF).")
def build(sources: Path, layout: Path, strict: bool, edition: str, output: Path | None,
          render_timeout: float, no_cache: bool) -> None:
    """Check the sources, render the report and write the PDF.

    The PDF is written to a temporary file and only replaces the previous one once it is
    complete and checked, so a failed or interrupted build never loses the last good PDF.
    When nothing the build reads has changed since the last build of the same edition, the
    PDF is already right: it is only confirmed (kept in build/.cache/, safe to delete).
    """
    from ..layout.render import start_renderer

    started = time.monotonic()
    project = project_from(sources, layout, output, render_timeout)
    # Forked before the fingerprint is taken and the build's own modules are imported, so that
    # WeasyPrint loads meanwhile; a build the cache answers stops it unused.
    with start_renderer() as renderer:
        key = cache.build_key(project, Edition(edition), strict)
        unchanged = None if no_cache else cache.replay(project, Edition(edition), key)
        if unchanged is None:
            result, warnings = _build(project, Edition(edition), strict, renderer)
    if unchanged is not None:
        for note in unchanged.notes:
            click.echo(note, err=True)
        click.echo(f"Wrote {shown(Path(unchanged.path))}: {unchanged.summary}, unchanged since the last "
                   f"build (nothing it reads changed), {time.monotonic() - started:.1f} s")
        return
    notes = (*warnings, *_notes(project, result))
    summary = f"{result.page_count} pages, {weight(result)}, {len(result.annexes.bundled)} annex(es) bundled" \
              f"{claim(result)}"
    cache.remember(project, Edition(edition), cache.CachedBuild(
        key, str(result.path), hashlib.sha256(result.path.read_bytes()).hexdigest(), result.page_count,
        summary, notes))
    print_resampled(result)
    click.echo(f"Wrote {shown(result.path)}: {summary}, {time.monotonic() - started:.1f} s")


def _build(project: Project, edition: Edition, strict: bool, renderer: Worker) -> tuple[BuildResult, tuple[str, ...]]:
    """Run the build in renderer with a line per stage; return what it wrote and the warnings it printed.

    On failure print why and exit.
    """
    # Imported here: an unchanged rebuild answers without loading the build's modules.
    from ..build import build as build_report
    diagnostics = Diagnostics(project.root)
    stages = iter(range(1, 7))

    with terminate_as_interrupt("Interrupted: no PDF was written; the previous one is unchanged.") as interrupted:
        def progress(message: str) -> None:
            # Each stage starts only if no interruption was lost on the way (the last one writes).
            if interrupted.is_set():
                raise KeyboardInterrupt
            click.echo(f"[{next(stages)}/6] {message}…", err=True)

        try:
            result = build_report(project, edition, diagnostics, strict, progress,
                                  waiting=lambda message: click.echo(message, err=True), renderer=renderer)
        except SourceError:
            print_diagnostics(diagnostics)
            click.secho(f"Build stopped: {len(diagnostics.errors)} error(s), {len(diagnostics.warnings)} "
                        "warning(s). No PDF was written; the previous one is unchanged.", fg="red", err=True)
            sys.exit(EXIT_FAILED)
        except KcvsError as error:
            print_diagnostics(diagnostics)
            click.secho(f"error: {error}", fg="red", err=True)
            sys.exit(EXIT_FAILED)
    print_diagnostics(diagnostics)
    return result, tuple(str(item) for item in diagnostics.items)


def _notes(project: Project, result: BuildResult) -> tuple[str, ...]:
    """Print and return the notices a successful build ends with; a cached rebuild repeats them."""
    notes = [_missing_annexes(project, result.annexes)] if result.annexes.missing else []
    if untagged := untagged_note(result):
        notes.append(untagged)
    for note in notes:
        click.echo(note, err=True)
    return tuple(notes)


def _missing_annexes(project: Project, annexes: AnnexPlan) -> str:
    return (f"{len(annexes.missing)} annex file(s) not found in {shown(project.annexes)}/: listed as "
            "online in the table of contents (--strict makes this an error)")


@click.command()
@project_options
def check(sources: Path, layout: Path, strict: bool) -> None:
    """Report every problem in the sources, the layout and the annex files, without rendering.

    Each problem is one line, `file:line:column: error|warning: message [code]`, followed by
    a count. Exits 1 when there are errors (or warnings, with --strict).
    """
    from ..check import check as check_sources
    project = project_from(sources, layout, None)
    diagnostics = Diagnostics(project.root)
    checked = check_sources(project, diagnostics, strict=strict)
    print_diagnostics(diagnostics)
    if checked is not None and checked.annexes.missing:
        click.echo(_missing_annexes(project, checked.annexes), err=True)  # as the build will say
    errors, warnings = len(diagnostics.errors), len(diagnostics.warnings)
    click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    if errors or (strict and warnings):
        sys.exit(EXIT_FAILED)


@click.command()
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
    from ..sources.load import load_report
    from ..sources.scaffold import ScaffoldError, new_report, next_folder
    project = project_from(sources, None, None)
    diagnostics = Diagnostics(project.root)
    report = load_report(project.sources, diagnostics)
    if report is None:
        print_diagnostics(diagnostics)
        click.secho(f"error: {shown(project.sources)} has errors; fix them first (kcvs-pdf check)",
                    fg="red", err=True)
        sys.exit(EXIT_FAILED)
    target = (target or next_folder(project.sources, year)).resolve()
    try:
        written = new_report(report, year, target)
    except ScaffoldError as error:
        click.secho(f"error: {error}", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    folder = target.relative_to(project.root).as_posix() if target.is_relative_to(project.root) else target
    click.echo(f"Wrote {folder}/: report.yaml and {len(written) - 1} section stubs.")
    click.echo(f"Next: write the sections, then, in {project.root}:\n"
               f"  kcvs-pdf build --sources {folder} --edition draft   (or: make draft SOURCES={folder})")
