"""Turn command-line options into a build or a check, and outcomes into messages and exit codes."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import click

from .annotations import read_comments
from .build import build as build_report
from .build import check as check_sources
from .change_report import change_labels, section_lines, summary, write_change_report
from .comment_list import FORMATS, comment_labels
from .comment_list import summary as comment_summary
from .comments import locate_comments
from .diff import compare
from .errors import Diagnostics, KcvsError, SourceError
from .model import Edition, Project
from .provenance import read as read_embedded

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
      kcvs-pdf diff OLD.pdf NEW.pdf  what changed, section by section -> NEW-wijzigingen.pdf
      kcvs-pdf comments DRAFT.pdf    reviewers' comments, located in sources/

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


_pdf_argument = click.Path(exists=True, dir_okay=False, path_type=Path)
_layout_option = click.option(
    "--layout", type=click.Path(file_okay=False, path_type=Path), default=Path("layouts/default"),
    show_default=True, help="Layout folder with labels.yaml (and changes.html for diff).")


@main.command()
@click.argument("old", type=_pdf_argument)
@click.argument("new", type=_pdf_argument)
@_layout_option
def diff(old: Path, new: Path, layout: Path) -> None:
    """Tell what changed from OLD to NEW, section by section, and write a change report.

    Compares the section texts both PDFs carry, so new page numbers and reflowed lines are no
    change. Prints a line per changed section and a count, and writes NEW-wijzigingen.pdf beside
    NEW: each changed section's text with deletions struck through and insertions underlined,
    beside pictures of its first page before and after. Exits 1 when a PDF was not built by
    kcvs-pdf.
    """
    layout = _folder(layout, "--layout")
    diagnostics = Diagnostics(Path.cwd())
    try:
        labels = change_labels(layout)
        changes = compare(read_embedded(old), read_embedded(new))
        target = write_change_report(changes, old.resolve(), new.resolve(), layout, labels, diagnostics)
    except KcvsError as error:
        _stop(error, diagnostics)
    _print(diagnostics)
    for line in (*section_lines(changes, labels), summary(changes, labels)):
        click.echo(line)
    click.echo(labels["written"].format(path=_shown(target)))


@main.command()
@click.argument("reviewed", type=_pdf_argument)
@_layout_option
@click.option("--format", "output_format", type=click.Choice(tuple(FORMATS)), default="text", show_default=True,
              help="text: a line per comment, file:line:column: note: …, as editors read them. "
                   "csv, md: a table for the review meeting.")
def comments(reviewed: Path, layout: Path, output_format: str) -> None:
    """List the comments reviewers added to REVIEWED in their PDF reader, at their source lines.

    Reads sticky notes, highlights, underlines, strike-outs, text boxes and drawings with their
    replies, and points each at the paragraph of the section file it is about; comments on annex
    pages name the annex and page. Comments on other pages are listed as not placed, and the
    annexes' own annotations apart, as not a reviewer's. Exits 1 when REVIEWED was not built by
    kcvs-pdf.
    """
    layout = _folder(layout, "--layout")
    try:
        labels = comment_labels(layout)
        embedded = read_embedded(reviewed)
        located = locate_comments(read_comments(reviewed), embedded, _shown(reviewed))
    except KcvsError as error:
        _stop(error, Diagnostics())
    click.echo(FORMATS[output_format](located, labels), nl=False)
    click.echo(comment_summary(located, labels), err=True)


def _stop(error: KcvsError, diagnostics: Diagnostics) -> None:
    """Print what stopped a command and exit 1."""
    _print(diagnostics)
    if isinstance(error, SourceError):
        click.echo(str(error), err=True)
    else:
        click.secho(f"error: {error}", fg="red", err=True)
    sys.exit(EXIT_FAILED)


def _folder(folder: Path, name: str) -> Path:
    if not folder.is_dir():
        raise click.BadParameter(f"folder '{folder}' does not exist", param_hint=name)
    return folder.resolve()


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
