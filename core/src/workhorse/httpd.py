"""A tiny HTTP server on a daemon thread for probes and scrapes (``--health-port``,
``--metrics-port``): standard library only, so it works without any extra installed.

Each route is a callable returning ``(status, content type, body)``; it runs on
the server's own thread, never on a job thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger("workhorse.httpd")
Response = tuple[int, str, bytes]
Route = Callable[[], Response]


class RouteServer:
    """Serves ``routes`` (path -> handler) on ``host:port``; port 0 picks a free one."""

    def __init__(self, port: int, routes: Mapping[str, Route], host: str = "0.0.0.0") -> None:
        self.routes = dict(routes)
        self._server = ThreadingHTTPServer((host, port), _handler_for(self.routes))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(routes: Mapping[str, Route]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                known = ", ".join(sorted(routes))
                self._send(404, "text/plain", f"not found; try {known}\n".encode())
                return
            try:
                status, content_type, body = route()
            except Exception as exc:  # a failing check is an answer, not a dead server
                log.exception("%s failed", self.path)
                status, content_type, body = 500, "text/plain", f"error: {exc}\n".encode()
            self._send(status, content_type, body)

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # probes every few seconds would flood the log

    return Handler
