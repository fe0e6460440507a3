"""A scripted web server on 127.0.0.1 for tests: each path answers as told, every request counted."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/pdf"),)
    length: int | None = None
    """Content-Length to announce; None announces len(body), -1 announces none."""
    stall: float = 0.0
    """Seconds to wait before answering at all."""
    delay: float = 0.0
    """Seconds to wait after the headers, before the body."""
    endless: bool = False
    """Send the body over and over, without Content-Length, until the client stops reading."""


@dataclass
class LocalServer:
    """Serve scripted replies; a path's replies are used in turn, the last one repeatedly."""

    routes: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(method, path) of every request received, in order."""
    endless_stopped: threading.Event = field(default_factory=threading.Event)
    """Set when the client hung up on an endless body (it stopped reading)."""
    most_at_once: int = 0
    """The largest number of requests that were being answered at the same time."""

    def __post_init__(self) -> None:
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """Return the address of path; host `localhost` reaches the same server under another name."""
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> str:
        """Script the replies of path; return its URL."""
        self.routes[path] = list(replies)
        return self.url(path)

    def count(self, path: str | None = None) -> int:
        """Return how many requests arrived (for path, or in all)."""
        return sum(1 for _, requested in self.requests if path is None or requested == path)

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def next_reply(self, method: str, path: str) -> Reply | None:
        with self._lock:
            self.requests.append((method, path))
            replies = self.routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def entered(self, change: int) -> None:
        with self._lock:
            self._in_flight += change
            self.most_at_once = max(self.most_at_once, self._in_flight)

    def wait(self, seconds: float) -> None:
        self._closing.wait(seconds)


def _handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, send_body: bool) -> None:
            server.entered(+1)
            try:
                self._reply(send_body)
            finally:
                server.entered(-1)

        def _reply(self, send_body: bool) -> None:
            reply = server.next_reply(self.command, self.path)
            if reply is None:
                reply = Reply(status=404, body=b"<html><body>Not Found</body></html>",
                              headers=(("Content-Type", "text/html"),))
            server.wait(reply.stall)
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            length = len(reply.body) if reply.length is None else reply.length
            if length >= 0 and not reply.endless:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.flush()
            server.wait(reply.delay)
            if send_body:
                self._send_body(reply)

        def _send_body(self, reply: Reply) -> None:
            try:
                self.wfile.write(reply.body)
                # 64 MB at most, so a client that never stops cannot hang the suite.
                for _ in range(64 * 1024 * 1024 // max(len(reply.body), 1) if reply.endless else 0):
                    self.wfile.write(reply.body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                if reply.endless:
                    server.endless_stopped.set()

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler
