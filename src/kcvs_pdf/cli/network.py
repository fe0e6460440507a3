"""Turn `fetch` and `links`, the only commands that use the network, into downloads and link checks."""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import click

from ..errors import Diagnostics
from ..network.fetch import (
    MAX_BYTES,
    AnnexLink,
    Download,
    FetchOptions,
    Outcome,
    check_annexes,
    fetch_annexes,
    size_text,
)
from ..network.links import check_links
from ..network.lock import LOCK_FILE
from ..sources.load import ANNEXES_DIR, load_report
from .common import (
    EXIT_FAILED,
    SOURCES_OPTION,
    print_diagnostics,
    project_from,
    shown,
    stop,
    terminate_as_interrupt,
)


def _timeout_option(default: float):
    return click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=default,
                        show_default=True, metavar="SECONDS",
                        help="Give up on a server that stays silent this long.")


@click.command()
@SOURCES_OPTION
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
    project = project_from(sources, None, None)
    sources = project.sources
    diagnostics = Diagnostics(project.root)
    report = load_report(sources, diagnostics)
    if report is None:
        stop(diagnostics, "Fetch stopped: fix the sources first; nothing was downloaded.")
    if check_only:
        annexes = check_annexes(report, sources / ANNEXES_DIR, diagnostics)
        print_diagnostics(diagnostics)
        click.echo(f"{len(annexes)} annex(es) checked against {shown(sources / LOCK_FILE)}: "
                   f"{len(diagnostics.errors)} error(s), {len(diagnostics.warnings)} warning(s)")
    else:
        options = FetchOptions(max_bytes=int(max_size * 1_000_000), connect_timeout=min(timeout, 10.0),
                               read_timeout=timeout, force=force)
        with terminate_as_interrupt("Interrupted: the files in sources/annexes/ are complete; "
                                     "run the same command again to fetch the rest."):
            downloads = fetch_annexes(report, sources / ANNEXES_DIR, options, diagnostics, _FetchProgress())
        print_diagnostics(diagnostics)
        counts = {outcome: sum(d.outcome is outcome for d in downloads) for outcome in Outcome}
        click.echo(f"{len(downloads)} annex(es): {counts[Outcome.DOWNLOADED]} downloaded, "
                   f"{counts[Outcome.UNCHANGED]} unchanged, {counts[Outcome.REFUSED]} refused; "
                   f"recorded in {shown(sources / LOCK_FILE)}")
    if diagnostics.errors:
        sys.exit(EXIT_FAILED)


@click.command()
@SOURCES_OPTION
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
    project = project_from(sources, None, None)
    diagnostics = Diagnostics(project.root)
    report = load_report(project.sources, diagnostics)
    if report is None:
        stop(diagnostics, "Link check stopped: fix the sources first.")
    result = check_links(report, diagnostics, strict=strict, timeout=timeout)
    print_diagnostics(diagnostics)
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
