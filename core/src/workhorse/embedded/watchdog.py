"""The watchdog that owns the embedded server: starts it, and stops it after the last client.

Run as ``python -m workhorse.embedded.watchdog DIR BINARY LINGER [ADOPT_PID]`` by
:func:`workhorse.embedded.ensure_server`. It detaches (double fork), so it
outlives the process that started it and is never a zombie of a worker. Every
quarter second it counts live clients; once none has been alive for ``LINGER``
seconds it takes the directory lock, checks again, and stops Redis (which
flushes its append-only file), so queued jobs are there at the next start.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from workhorse.embedded import registry
from workhorse.embedded.server import ServerProcess

WATCHDOG_PID = "watchdog.pid"
SERVER_INFO = "server.json"
TICK = 0.25

log = logging.getLogger("workhorse.embedded.watchdog")


class _Adopted:
    """A server whose watchdog died (e.g. SIGKILL): watched and stopped by pid."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def running(self) -> bool:
        return registry.alive(self.pid)

    def stop(self, timeout: float = 10.0) -> None:
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while registry.alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if registry.alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)


class _Owned:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.pid = server.pid

    def running(self) -> bool:
        return self.server.process.poll() is None

    def stop(self) -> None:
        self.server.stop()


def run(directory: Path, binary: str, linger: float, adopt_pid: int = 0) -> int:
    stop_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
    signal.signal(signal.SIGINT, lambda *_: stop_requested.set())
    registry.write_pid(directory / WATCHDOG_PID, os.getpid())
    if adopt_pid:
        server: _Owned | _Adopted = _Adopted(adopt_pid)
        log.info("adopted the running server (pid %d) in %s", adopt_pid, directory)
    else:
        server = _Owned(ServerProcess.spawn(binary, directory, persistent=True))
        log.info("started %s (pid %d) in %s", binary, server.pid, directory)
    (directory / SERVER_INFO).write_text(
        json.dumps(
            {
                "pid": server.pid,
                "binary": binary,
                "started_at": time.time(),
                "watchdog_pid": os.getpid(),
            }
        ),
        encoding="utf-8",
    )
    try:
        _watch(directory, server, linger, stop_requested)
    finally:
        _cleanup(directory)
    return 0


def _watch(
    directory: Path, server: _Owned | _Adopted, linger: float, stop: threading.Event
) -> None:
    last_client = time.monotonic()
    while not stop.wait(TICK):
        if not server.running():
            log.error("Redis exited unexpectedly; see %s/redis.log", directory)
            return
        if registry.live_clients(directory):
            last_client = time.monotonic()
            continue
        if time.monotonic() - last_client < linger:
            continue
        with registry.locked(directory):
            # A client may have registered since the check above; it holds the lock to do so.
            if registry.live_clients(directory):
                last_client = time.monotonic()
                continue
            log.info("no workhorse process uses the embedded Redis any more; stopping it")
            server.stop()
            _cleanup(directory)
            return
    log.info("stop requested; stopping the embedded Redis")
    with registry.locked(directory):
        server.stop()


def _cleanup(directory: Path) -> None:
    for name in (WATCHDOG_PID, SERVER_INFO):
        (directory / name).unlink(missing_ok=True)


def _detach() -> None:
    """Double fork: the starter reaps our first half at once; the second runs on alone."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)


def main(argv: list[str]) -> int:
    directory, binary, linger = Path(argv[0]), argv[1], float(argv[2])
    adopt_pid = int(argv[3]) if len(argv) > 3 else 0
    _detach()
    logging.basicConfig(
        filename=str(directory / "watchdog.log"),
        level=logging.INFO,
        format="%(asctime)s pid=%(process)d %(levelname)s %(message)s",
    )
    try:
        return run(directory, binary, linger, adopt_pid)
    except Exception:
        log.exception("watchdog failed")
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
