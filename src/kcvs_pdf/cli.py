"""Turn command-line options into a build or a check, and outcomes into messages and exit codes."""

from __future__ import annotations

import itertools
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click

from .build import build as build_report
from .build import check as check_sources
from .errors import Diagnostics, KcvsError, SourceError
from .fetch import (MAX_BYTES, AnnexLink, Download, FetchOptions, Outcome, check_annexes, fetch_annexes,
                    size_text)
from .links import check_links
from .lock import LOCK_FILE
from .model import Edition, Project
from .sources import ANNEXES_DIR, load_report

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
      kcvs-pdf fetch                 download the linked annex PDFs into sources/annexes/
      kcvs-pdf build                 report + annexes -> build/jaarverslag-2023.pdf
      kcvs-pdf build --edition web   report only, links to the published annexes
      kcvs-pdf links                 find dead and insecure web links (uses the internet)

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


_sources_option = _project_options[0]


def _timeout_option(default: float):
    return click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=default,
                        show_default=True, metavar="SECONDS",
                        help="Give up on a server that stays silent this long.")


@main.command()
@_sources_option
@click.option("--check", "check_only", is_flag=True,
              help="Download nothing (no internet): compare sources/annexes/ with the links and "
                   "the lock file.")
@click.option("--force", is_flag=True,
              help="Download every annex again, even those that match the lock file.")
@click.option("--max-size", type=click.FloatRange(min=0, min_open=True), default=MAX_BYTES // 1_000_000,
              show_default=True, metavar="MB", help="Refuse an annex larger than this many megabytes.")
@_timeout_option(30)
def fetch(sources: Path, check_only: bool, force: bool, max_size: float, timeout: float) -> None:
    """Download the annex PDFs the sections link to into sources/annexes/.

    \b
    Examples:
      kcvs-pdf fetch            download what is missing or changed since the last time
      kcvs-pdf fetch --check    no internet: is every annex there, as it was downloaded?
      kcvs-pdf fetch --force    download every annex again

    Each annex is saved under the file name the build looks for, and recorded in
    sources/annexes.lock (address, size, checksum): commit that file with the sections. Annexes
    that still match it are not downloaded again. A download that fails, is cut off, is too
    large, is a web page instead of a PDF or is redirected to another website is refused, and
    the file already in sources/annexes/ stays as it was. Failed requests are tried again up to
    3 times.

    Exit codes: 0 every annex is in place, 1 a download was refused or --check found an error.
    """
    if check_only and force:
        raise click.UsageError("--check downloads nothing, so --force cannot be used with it")
    sources = _sources_folder(sources)
    diagnostics = Diagnostics(Path.cwd().resolve())
    report = load_report(sources, diagnostics)
    if report is None:
        _stop(diagnostics, "Fetch stopped: fix the sources first; nothing was downloaded.")
    if check_only:
        annexes = check_annexes(report, sources / ANNEXES_DIR, diagnostics)
        _print(diagnostics)
        click.echo(f"{len(annexes)} annex(es) checked against {_shown(sources / LOCK_FILE)}: "
                   f"{len(diagnostics.errors)} error(s), {len(diagnostics.warnings)} warning(s)")
    else:
        options = FetchOptions(max_bytes=int(max_size * 1_000_000), connect_timeout=min(timeout, 10.0),
                               read_timeout=timeout, force=force)
        with _terminate_as_interrupt("Interrupted: the files in sources/annexes/ are complete; "
                                     "run the same command again to fetch the rest."):
            downloads = fetch_annexes(report, sources / ANNEXES_DIR, options, diagnostics, _FetchProgress())
        _print(diagnostics)
        counts = {outcome: sum(d.outcome is outcome for d in downloads) for outcome in Outcome}
        click.echo(f"{len(downloads)} annex(es): {counts[Outcome.DOWNLOADED]} downloaded, "
                   f"{counts[Outcome.UNCHANGED]} unchanged, {counts[Outcome.REFUSED]} refused; "
                   f"recorded in {_shown(sources / LOCK_FILE)}")
    if diagnostics.errors:
        sys.exit(EXIT_FAILED)


@main.command()
@_sources_option
@click.option("--strict", is_flag=True, help="Treat dead and insecure links as errors: exit 1.")
@_timeout_option(10)
def links(sources: Path, strict: bool, timeout: float) -> None:
    """Check every web link of the report: find dead ones and plain http:// ones.

    \b
    Examples:
      kcvs-pdf links            list dead and insecure links as warnings
      kcvs-pdf links --strict   the same, as errors: exit 1 if there is one (for CI)

    Checks the calls to action and the links in the section texts; each address is asked
    once (HEAD, or GET when the server refuses HEAD), four at a time. A link is dead when the
    server answers with an error (404, 500…), does not exist, refuses the connection or stays
    silent for --timeout seconds. Each problem is reported at every place the link is written.
    """
    diagnostics = Diagnostics(Path.cwd().resolve())
    report = load_report(_sources_folder(sources), diagnostics)
    if report is None:
        _stop(diagnostics, "Link check stopped: fix the sources first.")
    result = check_links(report, diagnostics, strict=strict, timeout=timeout)
    _print(diagnostics)
    click.echo(f"{len(result.uses)} link(s) to {len(result.checks)} address(es) checked: "
               f"{len(result.dead)} dead, {len(result.insecure)} not secure (http://)")
    if diagnostics.errors:
        sys.exit(EXIT_FAILED)


class _FetchProgress:
    """Print a line per annex, and a progress bar while a large or slow one downloads."""

    LARGE, SLOW = 10_000_000, 2.0

    def __init__(self) -> None:
        self._bar = None
        self._started = time.monotonic()
        self._shown = 0

    def advance(self, annex: AnnexLink, done: int, total: int | None) -> None:
        if self._bar is None:
            if (total or 0) < self.LARGE and time.monotonic() - self._started < self.SLOW:
                return
            bar = click.progressbar(itertools.count() if total is None else None, length=total,
                                    label=annex.file, file=sys.stderr,
                                    item_show_func=lambda size: size_text(size) if size else None)
            self._bar = bar.__enter__()
        self._bar.update(done - self._shown, current_item=done)
        self._shown = done

    def finished(self, download: Download) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
        self._bar, self._shown, self._started = None, 0, time.monotonic()
        entry, detail = download.entry, ""
        if download.outcome is Outcome.DOWNLOADED:
            detail = f" ({size_text(entry.bytes)}, {download.seconds:.1f} s)"
        elif download.outcome is Outcome.REFUSED:
            detail = " (see below)"
        click.echo(f"{download.outcome.value:<10} {download.annex.file}{detail}", err=True)


def _sources_folder(sources: Path) -> Path:
    if not sources.is_dir():
        raise click.BadParameter(f"folder '{sources}' does not exist", param_hint="--sources")
    return sources.resolve()


def _stop(diagnostics: Diagnostics, message: str) -> NoReturn:
    _print(diagnostics)
    click.secho(message, fg="red", err=True)
    sys.exit(EXIT_FAILED)


@contextmanager
def _terminate_as_interrupt(message: str):
    """Let SIGTERM unwind like Ctrl-C, so temporary files are removed; report either as interrupted."""
    previous_handler = signal.signal(signal.SIGTERM, lambda signum, frame: _raise_interrupt())
    try:
        yield
    except KeyboardInterrupt:
        click.secho(message, fg="red", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)


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
