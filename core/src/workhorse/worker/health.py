"""Liveness and readiness of one worker process, for Kubernetes probes (``--health-port``).

Liveness asks "would a restart help?": the heartbeat thread still beats (even
when Redis is down, which a restart cannot fix) and the job threads are alive.
Readiness asks "should this process get work?": live, connected to Redis and
not quiet or stopping.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import redis

from workhorse.httpd import Response, RouteServer
from workhorse.types import ProcessContext

if TYPE_CHECKING:
    from workhorse.config import Settings


class ProbedProcess(ProcessContext, Protocol):
    """What the probes read of a worker process."""

    @property
    def beat_attempted_at(self) -> float: ...

    def threads_alive(self) -> bool: ...


# A beat may be this many intervals late before the process counts as hung.
LATE_BEATS = 3.0
# Set by the -p supervisor for its children: a child that goes quiet (TSTP, or a
# dashboard's Quiet through Redis, which the supervisor never sees) leaves a file
# named by its pid there, so the supervisor's /readyz can say it is not ready.
QUIET_ENV = "WORKHORSE_QUIET_DIR"


def note_quiet() -> None:
    """Tell the -p supervisor (if any) that this process went quiet; never raises."""
    directory = os.environ.get(QUIET_ENV)
    if not directory:
        return
    # On failure the supervisor's probe is less precise; the worker itself is fine.
    with contextlib.suppress(OSError):
        (Path(directory) / str(os.getpid())).touch()


def quiet_children(directory: Path | None, pids: list[int]) -> list[int]:
    """The ``pids`` (running children) that reported going quiet."""
    if directory is None:
        return []
    return [pid for pid in pids if (directory / str(pid)).exists()]


def liveness(process: ProbedProcess, now: float | None = None) -> tuple[bool, dict[str, Any]]:
    now = time.monotonic() if now is None else now
    beat_age = now - process.beat_attempted_at
    limit = process.settings.heartbeat_interval * LATE_BEATS + 5.0
    threads_alive = process.threads_alive()
    # A stopping process is finishing its jobs: restarting it would cut them short.
    ok = process.stopping.is_set() or (beat_age <= limit and threads_alive)
    return ok, {
        "heartbeat_age": round(beat_age, 3),
        "heartbeat_limit": limit,
        "threads_alive": threads_alive,
    }


def readiness(process: ProbedProcess) -> tuple[bool, dict[str, Any]]:
    live, details = liveness(process)
    try:
        redis_ok = bool(process.redis.ping())
        details["redis"] = "ok"
    except (redis.RedisError, OSError) as exc:
        redis_ok = False
        details["redis"] = f"unreachable: {exc}"
    details["quiet"] = process.quiet
    details["stopping"] = process.stopping.is_set()
    ok = live and redis_ok and not process.quiet and not process.stopping.is_set()
    return ok, details


def _answer(ok: bool, details: dict[str, Any]) -> Response:
    body = json.dumps({"status": "ok" if ok else "fail", **details}, default=str) + "\n"
    return (200 if ok else 503), "application/json", body.encode()


def serve(process: ProbedProcess, port: int, host: str = "0.0.0.0") -> RouteServer:
    """Start ``/livez`` and ``/readyz`` for ``process`` (200 or 503 with a JSON reason)."""
    server = RouteServer(
        port,
        {
            "/livez": lambda: _answer(*liveness(process)),
            "/readyz": lambda: _answer(*readiness(process)),
        },
        host,
    )
    server.start("workhorse-health")
    return server


class SupervisorView(Protocol):
    """What the probes read of the ``-p N`` supervisor."""

    count: int
    stopping: bool
    quiet: bool

    def alive_children(self) -> int: ...

    def child_pids(self) -> list[int]: ...


def supervisor_liveness(sup: SupervisorView) -> tuple[bool, dict[str, Any]]:
    """``-p N``: the supervisor answers and has worker processes (it restarts crashed ones)."""
    alive = sup.alive_children()
    return sup.stopping or alive > 0, {"processes": alive, "wanted": sup.count}


def supervisor_readiness(
    sup: SupervisorView, client: redis.Redis | None, quiet_dir: Path | None = None
) -> tuple[bool, dict[str, Any]]:
    """``-p N``: every worker process running and none quiet, Redis answering (when a
    URL was given)."""
    live, details = supervisor_liveness(sup)
    quiet = len(quiet_children(quiet_dir, sup.child_pids()))
    details["quiet"] = quiet
    details["quiet_requested"] = sup.quiet
    redis_ok = True
    if client is not None:
        try:
            client.ping()
            details["redis"] = "ok"
        except (redis.RedisError, OSError) as exc:
            redis_ok = False
            details["redis"] = f"unreachable: {exc}"
    details["stopping"] = sup.stopping
    ok = live and redis_ok and details["processes"] == sup.count and not sup.stopping
    return ok and not quiet and not sup.quiet, details


def serve_supervisor(
    sup: SupervisorView, settings: Settings, quiet_dir: Path | None = None
) -> RouteServer:
    """The probes for ``-p N``, served by the supervisor on ``settings.health_port``."""
    client = None
    if settings.redis_url:  # no URL: the children resolve one; nothing to ping from here
        from workhorse.connection import connect

        client = connect(settings, pool_size=2)
    server = RouteServer(
        settings.health_port or 0,
        {
            "/livez": lambda: _answer(*supervisor_liveness(sup)),
            "/readyz": lambda: _answer(*supervisor_readiness(sup, client, quiet_dir)),
        },
        settings.http_host,
    )
    server.start("workhorse-health")
    return server
