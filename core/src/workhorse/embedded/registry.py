"""Who uses the embedded server: a lock file and one file per client process.

Clients register their pid (plus the process start time, so a recycled pid is
not mistaken for a live client); the watchdog drops entries whose process is
gone, so a client killed with SIGKILL still lets the server stop.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "embedded.lock"
CLIENTS_DIR = "clients"


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the data directory's lock: starting, adopting and stopping never interleave."""
    with open(directory / LOCK_FILE, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stat(pid: int) -> list[str]:
    """Fields 3.. of /proc/<pid>/stat (Linux); [] where that is not available."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def start_token(pid: int) -> str:
    """The process start time from /proc (Linux), or "" where that is not available."""
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else ""  # field 22: starttime in clock ticks


def alive(pid: int, token: str = "") -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    fields = _stat(pid)
    if fields and fields[0] in ("Z", "X"):
        return False  # exited, not yet reaped by its parent (or by init, which may be slow)
    return not token or not fields or fields[19] == token


def register(directory: Path, pid: int) -> None:
    clients = directory / CLIENTS_DIR
    clients.mkdir(exist_ok=True)
    (clients / str(pid)).write_text(start_token(pid), encoding="ascii")


def unregister(directory: Path, pid: int) -> None:
    (directory / CLIENTS_DIR / str(pid)).unlink(missing_ok=True)


def live_clients(directory: Path) -> list[int]:
    """Pids of registered clients still running; stale entries are removed."""
    clients = directory / CLIENTS_DIR
    if not clients.is_dir():
        return []
    live = []
    for entry in clients.iterdir():
        try:
            pid, token = int(entry.name), entry.read_text(encoding="ascii").strip()
        except (ValueError, OSError):
            entry.unlink(missing_ok=True)
            continue
        if alive(pid, token):
            live.append(pid)
        else:
            entry.unlink(missing_ok=True)
    return sorted(live)


def write_pid(path: Path, pid: int) -> None:
    # Write then rename: a reader polling the file (ensure_server's readiness
    # wait) must never see it empty or half-written and take the writer for dead.
    partial = path.with_name(f".{path.name}.{pid}.tmp")
    partial.write_text(f"{pid} {start_token(pid)}\n", encoding="ascii")
    os.replace(partial, path)


def read_pid(path: Path) -> int | None:
    """The pid recorded in ``path`` if that process is still the one that wrote it."""
    try:
        pid_text, _, token = path.read_text(encoding="ascii").strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    return pid if alive(pid, token) else None
