"""Turn the browser's requests into the preview page, page pictures and news of newer snapshots."""

from __future__ import annotations

import re
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files

from .session import Session
from .view import page_html, view_html

HOST = "127.0.0.1"
"""Only this machine: the draft is not for the network."""
_STATIC = {"preview.js": "text/javascript; charset=utf-8", "preview.css": "text/css; charset=utf-8"}
_PICTURE = re.compile(r"/page/(?P<document>[0-9a-f]+-\d+)/(?P<index>\d+)\.png")
# Everything comes from this server; nothing inline, nothing from elsewhere.
_POLICY = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
KEEP_ALIVE = 15.0
"""Seconds between comments on an idle event stream, so that a stopped browser is noticed."""


class PreviewServer(ThreadingHTTPServer):
    """Serve one session's snapshots to any number of browser tabs."""

    daemon_threads = True

    def __init__(self, session: Session, port: int) -> None:
        self.session = session
        self.stopping = threading.Event()
        self._serving: threading.Thread | None = None
        super().__init__((HOST, port), _Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    def start(self) -> None:
        """Answer requests on a thread of its own."""
        self._serving = threading.Thread(target=self.serve_forever, name="kcvs-preview-http", daemon=True)
        self._serving.start()

    def stop(self) -> None:
        """Stop answering and release the port; event streams end at once."""
        self.stopping.set()
        if self._serving is not None:
            self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address) -> None:
        """Pass over a browser that went away mid-answer (a picture scrolled past); report the rest."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "kcvs-pdf-preview"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server looks for)
        if not self._from_this_machine():
            self.send_error(HTTPStatus.FORBIDDEN, "only http://127.0.0.1 or http://localhost may ask")
            return
        path = self.path.split("?", 1)[0]
        session = self.server.session
        if path == "/":
            self._send(page_html(session.snapshot, session.instance).encode(), "text/html; charset=utf-8")
        elif path == "/view":
            self._send(view_html(session.snapshot, session.instance).encode(), "text/html; charset=utf-8")
        elif path == "/events":
            self._stream_events()
        elif path == "/draft.pdf":
            self._send_draft()
        elif path.startswith("/static/") and path.removeprefix("/static/") in _STATIC:
            name = path.removeprefix("/static/")
            self._send((files(__package__) / "static" / name).read_bytes(), _STATIC[name])
        elif match := _PICTURE.fullmatch(path):
            self._send_picture(match["document"], int(match["index"]))
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _from_this_machine(self) -> bool:
        """Refuse pages of other sites that reach this server through a name of theirs (DNS rebinding)."""
        port = self.server.server_address[1]
        return self.headers.get("Host", "") in {f"{HOST}:{port}", f"localhost:{port}"}

    def _send(self, body: bytes, content_type: str, cache: str = "no-store") -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Security-Policy", _POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _send_picture(self, document: str, index: int) -> None:
        picture = self.server.session.picture(document, index)
        if picture is None:
            self.send_error(HTTPStatus.NOT_FOUND, "that page is no longer shown")
            return
        # A document's name is never used again, so its pictures never change.
        self._send(picture, "image/png", cache="public, max-age=31536000, immutable")
        self.server.session.delivered(document, index)

    def _send_draft(self) -> None:
        draft = self.server.session.project.output
        if not draft.is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "the draft has not been built yet")
            return
        self._send(draft.read_bytes(), "application/pdf")

    def _stream_events(self) -> None:
        """Tell the browser the newest snapshot's generation now and whenever there is a newer one."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        session, generation = self.server.session, None
        try:
            with session.watching():
                self.wfile.write(b"retry: 1000\n\n")
                while not self.server.stopping.is_set() and not session.closing:
                    snapshot = session.wait(generation, KEEP_ALIVE) if generation is not None else session.snapshot
                    if snapshot.generation == generation:
                        self.wfile.write(b": still here\n\n")
                    else:
                        generation = snapshot.generation
                        self.wfile.write(f"event: snapshot\ndata: {session.instance} {generation}\n\n".encode())
                    self.wfile.flush()
        except ConnectionError:
            pass  # the tab was closed or reloaded

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's name)
        """Keep quiet: the terminal is for the build's news."""
