"""Jobs for the unique/encryption tests (imported in-process and by worker subprocesses)."""

from __future__ import annotations

import json
import threading

import workhorse
from workhorse.client import default_client


def _r():  # type: ignore[no-untyped-def]
    return default_client().redis


@workhorse.job(name="u.record", unique_for=60)
def record(tag: str) -> None:
    _r().rpush("test:ran", tag)


@workhorse.job(name="u.gate", unique_for=60)
def gate(tag: str) -> None:
    """Starts, then waits until the test pushes to ``test:go:<tag>``."""
    _r().rpush("test:started", tag)
    _r().blpop([f"test:go:{tag}"], timeout=60)
    _r().rpush("test:ran", tag)


@workhorse.job(name="u.gate_start", unique_for=60, unique_until="start")
def gate_start(tag: str) -> None:
    _r().rpush("test:started", tag)
    _r().blpop([f"test:go:{tag}"], timeout=60)
    _r().rpush("test:ran", tag)


@workhorse.job(name="u.doomed", unique_for=60, retry=0)
def doomed(tag: str) -> None:
    raise RuntimeError(f"doomed {tag}")


@workhorse.job(name="u.flaky", unique_for=60, retry=5)
def flaky(tag: str) -> None:
    raise RuntimeError(f"flaky {tag}")


@workhorse.job(name="u.by_user", unique_for=60, unique_key=lambda user, note: user)
def by_user(user: int, note: str) -> None:
    _r().rpush("test:ran", f"{user}:{note}")


@workhorse.job(name="s.show", encrypt=True)
def show(visible: str, secret: object) -> None:
    _r().rpush("test:secret", json.dumps([visible, secret]))


@workhorse.job(name="s.fail", encrypt=True, retry=3)
def fail(visible: str, secret: object) -> None:
    raise RuntimeError("failed on purpose")


@workhorse.job(name="s.show_async", encrypt=True)
async def show_async(visible: str, secret: object) -> None:
    """Runs on the worker's async lane (every installed middleware has an async form)."""
    _r().rpush("test:secret", json.dumps([visible, secret]))


@workhorse.job(name="s.fail_async", encrypt=True, retry=3)
async def fail_async(visible: str, secret: object) -> None:
    raise RuntimeError("failed on purpose")


@workhorse.job(name="s.pin_once", encrypt=True, unique_for=60)
def pin_once(account: int, pin: str) -> None:
    _r().rpush("test:ran", str(account))


@workhorse.job(name="s.hold", encrypt=True, retry=0)
def hold(visible: str, secret: object) -> None:
    """Runs until the test pushes to ``test:go``: its clear argument is in memory meanwhile."""
    _r().rpush("test:started", visible)
    _r().blpop(["test:go"], timeout=30)


@workhorse.job(name="s.stubborn", encrypt=True, timeout=0.3, retry=3)
def stubborn(visible: str, secret: object) -> None:
    """Ignores its time limit (a wait Python cannot interrupt): the watchdog gives it up."""
    _r().rpush("test:started", visible)
    threading.Event().wait(2)
