"""Rolling restart by re-execution: the parent ``exec``s itself so the new code is
imported once more, keeping its pid (systemd's MAINPID) and its children.

The children alive at that moment are named in ``WORKHORSE_SWARM_HANDOFF`` (pid and
the two pipe ends the parent holds, kept open across ``exec``); the new image adopts
them, forks a new generation, and drains the adopted ones once it is ready.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn

log = logging.getLogger("workhorse.swarm")
ENV = "WORKHORSE_SWARM_HANDOFF"


@dataclass(frozen=True, slots=True)
class Handed:
    pid: int
    read_fd: int
    write_fd: int


def hand_over(
    children: Iterable[Handed], block: Iterable[signal.Signals], argv: Sequence[str] | None = None
) -> NoReturn:
    """Re-execute this program with the same command line, handing ``children`` over.

    ``block`` stays blocked across ``exec`` until the new image has its handlers (the
    mask is inherited): a second SIGUSR2 in the new interpreter's first second would
    otherwise kill it with the default action, and with it the swarm."""
    handed = list(children)
    for child in handed:
        os.set_inheritable(child.read_fd, True)
        os.set_inheritable(child.write_fd, True)
    os.environ[ENV] = json.dumps([[c.pid, c.read_fd, c.write_fd] for c in handed])
    for handler in logging.getLogger().handlers:
        handler.flush()
    command = list(argv or sys.orig_argv)
    signal.pthread_sigmask(signal.SIG_BLOCK, block)
    os.execv(sys.executable, [sys.executable, *command[1:]])


def adopt(environ: dict[str, str] | None = None) -> list[Handed]:
    """The children handed over by the previous image (and forget the variable, so our
    own children do not inherit it). Anything malformed is logged and ignored."""
    env = os.environ if environ is None else environ
    raw = env.pop(ENV, "")
    if not raw:
        return []
    try:
        rows = json.loads(raw)
        handed = [Handed(*(_int(v) for v in row)) for row in rows if len(row) == 3]
    except (ValueError, TypeError) as exc:
        log.error(
            "ignoring %s=%r: not a list of [pid, read_fd, write_fd] (%s)", ENV, raw[:200], exc
        )
        return []
    return [h for h in handed if _is_our_child(h)]


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a pid or file descriptor")
    return value


def _is_our_child(handed: Handed) -> bool:
    try:
        pid, _ = os.waitpid(handed.pid, os.WNOHANG)
        os.fstat(handed.read_fd)
        os.fstat(handed.write_fd)
    except ChildProcessError:
        log.warning("handed-over pid %d is not a child of this process; ignoring it", handed.pid)
        return False
    except OSError:
        log.warning("the pipes of handed-over child %d are gone; ignoring it", handed.pid)
        return False
    return pid == 0 or _reaped(handed.pid)


def _reaped(pid: int) -> bool:
    log.info("handed-over child %d had already exited", pid)
    return False
