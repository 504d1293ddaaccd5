"""Per-thread connections a forked child must not inherit.

The thread that forks lives on in the child, with its thread-local storage: a
connection kept there would be shared with the parent's, and two processes writing on
one socket interleave their commands. An owner of such storage registers here and is
told once, in the child, right after the fork (``os.register_at_fork``), instead of
comparing ``os.getpid()``, a system call, on every command.
"""

from __future__ import annotations

import os
import weakref
from typing import Protocol


class ForgetsThreads(Protocol):
    def forget_threads(self) -> None:
        """Drop every thread's connection (in a forked child: they are the parent's)."""


_owners: weakref.WeakSet[ForgetsThreads] = weakref.WeakSet()


def forget_in_child(owner: ForgetsThreads) -> None:
    """Call ``owner.forget_threads()`` in every child this process forks from now on."""
    _owners.add(owner)


def _forget() -> None:
    for owner in list(_owners):
        owner.forget_threads()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget)
