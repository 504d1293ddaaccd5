"""The demo's dashboard: uvicorn in a thread, on the port asked for or, when another program
holds that port, on a free one; the line the demo prints says which (issue 17)."""

from __future__ import annotations

import errno
import importlib.util
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from workhorse.api import Inspector

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Dashboard:
    """What became of the dashboard: ``line`` is what the demo prints about it."""

    url: str | None
    line: str
    stop: Callable[[], None] = lambda: None


def bind(port: int) -> tuple[socket.socket, bool]:
    """A socket bound to ``port`` on localhost, else to a free port: (socket, port was taken).

    Binding here, before uvicorn starts, means the port the demo prints is the one it holds."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        return sock, False
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE or port == 0:
            sock.close()
            raise
    sock.bind((HOST, 0))
    return sock, True


def start_dashboard(api: Inspector, port: int) -> Dashboard:
    if (
        importlib.util.find_spec("workhorse.web") is None
        or importlib.util.find_spec("uvicorn") is None
    ):
        return Dashboard(None, "dashboard: not installed (pip install 'workhorse[web]' to get it)")
    try:
        sock, taken = bind(port)
    except OSError as exc:
        return Dashboard(
            None,
            f"dashboard: cannot listen on {HOST}:{port} ({exc.strerror}); "
            "pass --port with another port, or --port 0 for any free one",
        )
    url = f"http://{HOST}:{sock.getsockname()[1]}/"
    stop = _serve(api, sock)
    if stop is None:
        sock.close()
        return Dashboard(
            None, "dashboard: did not start (see the log above); the demo runs without it"
        )
    if taken:
        return Dashboard(
            url,
            f"dashboard: {url} (port {port} is in use by another program, so "
            "the dashboard took a free port; --port chooses one)",
            stop,
        )
    return Dashboard(url, f"dashboard: {url}", stop)


def _serve(api: Inspector, sock: socket.socket) -> Callable[[], None] | None:
    """Serve the dashboard on ``sock`` in a thread: its stopper, or None if it did not start."""
    import uvicorn

    from workhorse.web.app import create_app

    # log_config=None: uvicorn's records go through the demo's handler, which draws them
    # above the live view instead of across it.
    config = uvicorn.Config(
        create_app(api, poll_interval=2.0), log_level="warning", lifespan="off", log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="workhorse-dashboard", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        return None

    def stop() -> None:
        server.should_exit = True
        thread.join(5)

    return stop
