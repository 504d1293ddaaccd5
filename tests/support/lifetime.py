"""Processes of a test session end with it: a killed session (SIGKILL, a crashed CI
runner, a dead xdist controller) leaves no redis-server or xdist worker behind.

Linux's parent-death signal does it: the kernel sends SIGKILL to a process whose
parent dies, however that parent died. Elsewhere nothing is armed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    return ctypes.CDLL(None, use_errno=True).prctl  # type: ignore[no-any-return]


def killed_with_this_process() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child gets SIGKILL when this process
    dies. (The kernel ties it to the starting thread, so start servers from the main
    thread, as fixtures do.)"""
    prctl, parent = _prctl(), os.getpid()
    if prctl is None:
        return None

    def arm() -> None:  # in the child, between fork and exec
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def end_with_parent() -> None:
    """Have the kernel kill this process when its parent dies (an xdist worker when
    its controller is killed: otherwise it would run on, holding its servers)."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent is already gone
        os._exit(1)
