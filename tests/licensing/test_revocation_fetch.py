"""Fetching a revocation list over HTTP: a total deadline and a size cap (issue 16).

Real local servers: one drips its body a byte at a time (each read is quick,
so httpx's per-read timeout never fires), others send more than the cap. The
fetch must give up on its own; nothing here measures time.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from workhorse_testkeys import SigningKey

from workhorse_licensing import InvalidLicense
from workhorse_licensing.keyring import Keyring
from workhorse_licensing.revocation import MAX_LIST_CHARS, fetch_url, load_revocations

DRIP_BYTES = 40  # one every 0.1 s: the whole body would take 4 s
BIG = 16 * MAX_LIST_CHARS


class Server:
    """An HTTP server on 127.0.0.1 whose handler writes the response by hand."""

    def __init__(self, respond: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.sent = 0
        self.done = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                try:
                    respond(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up: what these tests want
                finally:
                    outer.done.set()

            def log_message(self, *args: object) -> None:
                pass

            def send_body(self, data: bytes) -> None:
                self.wfile.write(data)
                self.wfile.flush()
                outer.sent += len(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/revocations.wh"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], Server]]:
    servers: list[Server] = []

    def start(respond: Callable[[BaseHTTPRequestHandler], None]) -> Server:
        servers.append(Server(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _headers(handler: BaseHTTPRequestHandler, length: int) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", str(length))
    handler.end_headers()


def drip(handler: BaseHTTPRequestHandler) -> None:
    _headers(handler, DRIP_BYTES)
    stop = threading.Event()
    for _ in range(DRIP_BYTES):
        handler.send_body(b"x")  # type: ignore[attr-defined]
        stop.wait(0.1)


def endless(handler: BaseHTTPRequestHandler) -> None:
    # No Content-Length: the size is only known by reading.
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = b"x" * 65536
    for _ in range(BIG // len(chunk)):
        handler.send_body(chunk)  # type: ignore[attr-defined]


def declared_huge(handler: BaseHTTPRequestHandler) -> None:
    _headers(handler, BIG)
    handler.send_body(b"x" * 65536)  # type: ignore[attr-defined]
    handler.rfile.read(1)  # then wait for the client to hang up


def test_a_server_that_drips_its_body_is_abandoned_at_the_total_deadline(
    serve: Callable[..., Server],
) -> None:
    server = serve(drip)
    with pytest.raises(httpx.TimeoutException, match=r"no complete answer within 0\.5s"):
        fetch_url(server.url, deadline=0.5)
    assert server.sent < DRIP_BYTES, "the client waited for the whole drip"


def test_a_body_past_the_cap_stops_the_download_instead_of_reading_it_all(
    serve: Callable[..., Server],
) -> None:
    server = serve(endless)
    with pytest.raises(InvalidLicense, match="larger than"):
        fetch_url(server.url, deadline=60)
    assert server.done.wait(30)
    assert server.sent < BIG // 2, f"{server.sent} bytes were sent before the client stopped"


def test_a_declared_length_past_the_cap_is_refused_before_reading_the_body(
    serve: Callable[..., Server],
) -> None:
    server = serve(declared_huge)
    with pytest.raises(InvalidLicense, match="larger than"):
        fetch_url(server.url, deadline=60)


def test_a_slow_list_server_leaves_a_valid_license_valid_and_says_why(
    serve: Callable[..., Server], tmp_path: Path
) -> None:
    key = SigningKey.generate("k1")
    server = serve(drip)
    check = load_revocations(
        server.url,
        Keyring({key.key_id: key.public_key}),
        tmp_path,
        fetch=partial(fetch_url, deadline=0.5),
    )
    assert check.revoked == frozenset()
    assert check.problem is not None
    assert "no complete answer within 0.5s" in check.problem
    assert "revocations are not checked" in check.problem


def test_a_list_served_normally_is_fetched(serve: Callable[..., Server]) -> None:
    key = SigningKey.generate("k1")
    text = key.sign_revocations(["lic_1"], datetime(2026, 1, 1, tzinfo=UTC)).encode()

    def ok(handler: BaseHTTPRequestHandler) -> None:
        _headers(handler, len(text))
        handler.send_body(text)  # type: ignore[attr-defined]

    assert fetch_url(serve(ok).url) == text.decode()


def test_nothing_listens_is_an_http_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(httpx.HTTPError):
        fetch_url(f"http://127.0.0.1:{port}/r.wh", deadline=5)
