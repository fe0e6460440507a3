"""Turn `preview` into a local web page that shows the draft and follows every save."""

from __future__ import annotations

import errno
import sys
import threading
import webbrowser
from pathlib import Path

import click

from ..preview.server import PreviewServer
from ..preview.session import PreviewBusy, Session
from ..preview.watch import Watcher
from .common import (
    EXIT_FAILED,
    PROJECT_OPTIONS,
    project_from,
    shown,
    terminate_as_interrupt,
)

DEFAULT_PORT = 8765


@click.command()
@PROJECT_OPTIONS[0]
@PROJECT_OPTIONS[1]
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port on 127.0.0.1 to serve the preview on; 0 picks a free one.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in the web browser.")
def preview(sources: Path | None, layout: Path | None, port: int, open_browser: bool) -> None:
    """Show the draft in the web browser, updated each time a file in sources/ or layouts/ is saved.

    \b
    The page shows the draft edition, page by page, and moves to the section you saved. Its
    pages show within a moment, rendered alone; the whole draft follows a few seconds later.
    When a save breaks something, the problems are listed above the last good pages; saving the
    fix brings the draft back. The preview writes only build/.preview/draft.pdf: your PDFs in
    build/ are not touched. Ctrl-C stops it.
    """
    project = project_from(sources, layout, None)
    session = Session(project, log=lambda line: click.echo(line, err=True))
    try:
        server = PreviewServer(session, port)
    except OSError as error:
        reason = "it is in use: choose another with --port" if error.errno == errno.EADDRINUSE else error.strerror
        click.secho(f"error: cannot serve on port {port}: {reason}", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    watcher = Watcher((project.sources, project.layout), session.saved)
    with terminate_as_interrupt("Preview stopped."):
        try:
            _serve(session, server, watcher, open_browser, project.sources)
        finally:
            server.stop()
            watcher.stop()
            # A build in the middle of rendering is not waited for: it writes nothing until its
            # last stage, and a file it leaves half written is removed by the next preview.
            session.close(timeout=1.0)


def _serve(session: Session, server: PreviewServer, watcher: Watcher, open_browser: bool, sources: Path) -> None:
    try:
        session.start()
    except PreviewBusy as error:
        click.secho(f"error: {error}", fg="red", err=True)
        sys.exit(EXIT_FAILED)
    watcher.start()
    server.start()
    click.echo(f"Draft preview of {shown(sources)} at {server.url} (Ctrl-C stops it)", err=True)
    if open_browser:
        webbrowser.open(server.url)
    # The main thread only waits, so that Ctrl-C reaches it at once.
    threading.Event().wait()
