"""Turn `diff` and `comments`, the commands that read built PDFs, into change reports and comment lists."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import Diagnostics, KcvsError, SourceError
from ..pdf.provenance import read as read_embedded
from ..project import LAYOUT, ProjectNotFound, find_root
from ..review.annotations import read_comments
from ..review.change_report import (
    change_labels,
    section_lines,
    summary,
    write_change_report,
)
from ..review.comment_list import FORMATS, comment_labels
from ..review.comment_list import summary as comment_summary
from ..review.comments import locate_comments
from ..review.diff import compare
from .common import EXIT_FAILED, print_diagnostics, shown

_pdf_argument = click.Path(exists=True, dir_okay=False, path_type=Path)
_layout_option = click.option(
    "--layout", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
    help="Layout folder with labels.yaml (and changes.html for diff) [default: the project's "
         "layouts/default/].")


@click.command()
@click.argument("old", type=_pdf_argument)
@click.argument("new", type=_pdf_argument)
@_layout_option
def diff(old: Path, new: Path, layout: Path | None) -> None:
    """Tell what changed from OLD to NEW, section by section, and write a change report.

    \b
    Example:
      kcvs-pdf diff concept-maart.pdf build/jaarverslag-2023-concept.pdf

    Compares the section texts both PDFs carry, so new page numbers and reflowed lines are no
    change. Prints a line per changed section and a count, and writes NEW-wijzigingen.pdf beside
    NEW: each changed section's text with deletions struck through and insertions underlined,
    beside pictures of its first page before and after. Exits 1 when a PDF was not built by
    kcvs-pdf.
    """
    layout = _layout(layout)
    diagnostics = Diagnostics(Path.cwd())
    try:
        labels = change_labels(layout)
        changes = compare(read_embedded(old), read_embedded(new))
        target = write_change_report(changes, old.resolve(), new.resolve(), layout, labels, diagnostics)
    except KcvsError as error:
        _stop(error, diagnostics)
    print_diagnostics(diagnostics)
    for line in (*section_lines(changes, labels), summary(changes, labels)):
        click.echo(line)
    click.echo(labels["written"].format(path=shown(target)))


@click.command()
@click.argument("reviewed", type=_pdf_argument)
@_layout_option
@click.option("--format", "output_format", type=click.Choice(tuple(FORMATS)), default="text", show_default=True,
              help="text: a line per comment, file:line:column: note: …, as editors read them. "
                   "csv, md: a table for the review meeting.")
def comments(reviewed: Path, layout: Path | None, output_format: str) -> None:
    """List the comments reviewers added to REVIEWED in their PDF reader, at their source lines.

    \b
    Example:
      kcvs-pdf comments nagelezen/jaarverslag-2023-concept-An.pdf --format csv > opmerkingen.csv

    Reads sticky notes, highlights, underlines, strike-outs, text boxes and drawings with their
    replies, and points each at the paragraph of the section file it is about; comments on annex
    pages name the annex and page. Comments on other pages are listed as not placed, and the
    annexes' own annotations apart, as not a reviewer's. Exits 1 when REVIEWED was not built by
    kcvs-pdf.
    """
    layout = _layout(layout)
    try:
        labels = comment_labels(layout)
        embedded = read_embedded(reviewed)
        located = locate_comments(read_comments(reviewed), embedded, shown(reviewed))
    except KcvsError as error:
        _stop(error, Diagnostics())
    click.echo(FORMATS[output_format](located, labels), nl=False)
    click.echo(comment_summary(located, labels), err=True)


def _layout(layout: Path | None) -> Path:
    """Return the layout given, or the project's when the command runs inside a project."""
    if layout is not None:
        return layout.resolve()
    root = click.get_current_context().find_root().params.get("project")
    try:
        return ((root or find_root(Path.cwd())) / LAYOUT).resolve()
    except ProjectNotFound as error:
        raise click.UsageError(f"{error}; or give the layout with --layout") from None


def _stop(error: KcvsError, diagnostics: Diagnostics) -> None:
    """Print what stopped a command and exit 1."""
    print_diagnostics(diagnostics)
    if isinstance(error, SourceError):
        click.echo(str(error), err=True)
    else:
        click.secho(f"error: {error}", fg="red", err=True)
    sys.exit(EXIT_FAILED)
