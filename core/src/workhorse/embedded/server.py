"""Spawning one redis-server/valkey-server child and waiting until it answers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from workhorse.errors import RedisUnavailable

SOCKET_NAME = "redis.sock"
LOG_NAME = "redis.log"
# sun_path is 104 bytes on macOS and 108 on Linux, including the terminating NUL.
MAX_SOCKET_PATH = 100


def socket_path(directory: Path) -> Path:
    return directory / SOCKET_NAME


def socket_url(directory: Path, db: int = 0) -> str:
    return f"unix://{socket_path(directory)}?db={db}"


def check_socket_path(directory: Path) -> None:
    path = str(socket_path(directory))
    if len(path.encode()) > MAX_SOCKET_PATH:
        from workhorse.errors import ConfigError

        raise ConfigError(
            f"the embedded Redis socket path {path} is longer than {MAX_SOCKET_PATH} bytes, the "
            "limit of unix sockets: set WORKHORSE_DATA_DIR to a shorter directory"
        )


def answers(sock: Path, timeout: float = 1.0) -> bool:
    """True if a server on ``sock`` replies to PING (a server still loading its AOF does not)."""
    if not sock.exists():
        return False
    client = redis.Redis(
        unix_socket_path=str(sock), socket_timeout=timeout, socket_connect_timeout=timeout
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """A child redis-server: persistent (AOF, unix socket only) or throwaway (tests)."""

    process: subprocess.Popen[bytes]
    directory: Path
    port: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def socket(self) -> Path:
        return socket_path(self.directory)

    def url(self, db: int = 0, tcp: bool = False) -> str:
        if tcp and self.port:
            return f"redis://127.0.0.1:{self.port}/{db}"
        return socket_url(self.directory, db)

    @classmethod
    def spawn(
        cls,
        binary: str,
        directory: Path,
        *,
        persistent: bool,
        tcp: bool = False,
        databases: int = 16,
        start_new_session: bool = False,
    ) -> ServerProcess:
        directory.mkdir(parents=True, exist_ok=True)
        check_socket_path(directory)
        port = free_port() if tcp else 0
        argv = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--unixsocket",
            str(socket_path(directory)),
            "--unixsocketperm",
            "700",
            "--dir",
            str(directory),
            "--logfile",
            str(directory / LOG_NAME),
            "--save",
            "",
            "--databases",
            str(databases),
            "--daemonize",
            "no",
            "--appendonly",
            "yes" if persistent else "no",
            "--appendfsync",
            "everysec",
        ]
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=directory,
            start_new_session=start_new_session,
        )
        return cls(process, directory, port)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not answers(self.socket):
            if self.process.poll() is not None:
                raise RedisUnavailable(
                    f"the Redis server exited with code {self.process.returncode} at startup; "
                    f"see {self.directory / LOG_NAME}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RedisUnavailable(
                    f"the Redis server did not answer within {timeout:.0f}s; "
                    f"see {self.directory / LOG_NAME}"
                )
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: Redis flushes the AOF and exits; SIGKILL if it takes too long."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(OSError):
            os.unlink(self.socket)
