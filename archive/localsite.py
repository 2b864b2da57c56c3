"""A real HTTP server on 127.0.0.1 serving pages you can change while it runs.

Used by ``make demo``, the test suite and the benchmarks: readout is always
exercised against real sockets and real HTTP, never against a mock of itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Page:
    """One response: status, headers and body (a callable body is rendered per request)."""

    body: bytes | Callable[[], bytes] = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    send_length: bool = True  # False: no Content-Length, body ends when the connection closes
    etag: str | None = None  # sent, and honoured in If-None-Match with a 304
    last_modified: str | None = None  # sent, and honoured in If-Modified-Since with a 304


class _QuietServer(ThreadingHTTPServer):
    """A server that does not print a traceback when a client hangs up mid-response.

    Clients that stop reading (a body over --max-bytes, a timeout) are normal
    here; the default ``handle_error`` would write to whatever ``sys.stderr``
    is at that moment, which may be a test's captured output.
    """

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class LocalSite:
    """A threaded HTTP/1.1 server whose pages live in ``self.pages`` (path -> Page)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.pages: dict[str, Page | list[Page]] = {}
        self.hits: dict[str, int] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, request headers)
        self.posts: list[tuple[str, bytes]] = []  # (path, body) of every POST
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests this server was answering at once
        self.bytes_sent = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without TCP_NODELAY,
            # Nagle plus delayed ACKs stall every response by ~40 ms.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                site._serve(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                with site._lock:
                    site.posts.append((self.path, self.rfile.read(length)))
                site._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _QuietServer((host, port), Handler)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> LocalSite:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._answer(handler)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            found = self.pages.get(path)
            if isinstance(found, list):  # successive responses: the last one repeats
                found = found[min(self.hits[path], len(found)) - 1]
            page = found
            self.requests.append((path, dict(handler.headers.items())))
        if page is None:
            page = Page(b"<html><body><p>Not found</p></body></html>", status=404)
        if page.delay:
            threading.Event().wait(page.delay)
        body = page.body() if callable(page.body) else page.body
        status = page.status
        validators = {"ETag": page.etag, "Last-Modified": page.last_modified}
        if (page.etag and handler.headers.get("If-None-Match") == page.etag) or (
            page.last_modified and handler.headers.get("If-Modified-Since") == page.last_modified
        ):
            status, body = 304, b""
        with self._lock:
            self.bytes_sent += len(body)
        try:
            handler.send_response(status)
            for name, value in validators.items():
                if value:
                    handler.send_header(name, value)
            handler.send_header("Content-Type", page.content_type)
            if page.send_length:
                handler.send_header("Content-Length", str(len(body)))
            else:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            for name, value in page.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
