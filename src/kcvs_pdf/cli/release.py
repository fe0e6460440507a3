"""Turn `publish` into the folder the web team uploads."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..errors import Diagnostics, KcvsError, SourceError
from ..release.budget import megabytes
from ..release.folder import publish_release
from ..release.manifest import CHECKSUMS, MANIFEST
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
@RENDER_TIMEOUT_OPTION
def publish(sources: Path, layout: Path, strict: bool, render_timeout: float) -> None:
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
    project = project_from(sources, layout, None, render_timeout)
    diagnostics = Diagnostics(project.root)
    with terminate_as_interrupt("Interrupted: the previous publish folder is unchanged."):
        try:
            release = publish_release(project, diagnostics, strict,
                                      lambda message: click.echo(f"{message}…", err=True))
        except SourceError:
            print_diagnostics(diagnostics)
            click.secho(f"Publish stopped: {len(diagnostics.errors)} error(s), {len(diagnostics.warnings)} "
                        "warning(s). The previous publish folder is unchanged.", fg="red", err=True)
            sys.exit(EXIT_FAILED)
        except KcvsError as error:
            print_diagnostics(diagnostics)
            click.secho(f"error: {error}", fg="red", err=True)
            sys.exit(EXIT_FAILED)
    print_diagnostics(diagnostics)
    for result in (release.full, release.web):
        print_resampled(result)
        if untagged := untagged_note(result):
            click.echo(f"{result.path.name}: {untagged}", err=True)
        click.echo(f"{result.path.name}: {result.page_count} pages, {weight(result)}{claim(result)}", err=True)
    total = sum(file.size for file in release.files)
    click.echo(f"Wrote {shown(release.folder)}/: {len(release.files)} files (+ {CHECKSUMS}, {MANIFEST}), "
               f"{megabytes(total)}, {time.monotonic() - started:.1f} s")
