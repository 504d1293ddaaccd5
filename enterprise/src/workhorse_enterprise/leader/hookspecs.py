"""The ``leader`` lifecycle event as a plugin hook (added to core's specs at worker startup).

Core's ``hookspecs`` has no leader event, so Enterprise adds this spec when
its plugin starts. A plugin loaded from an entry point must mark its
implementation ``@hookimpl(optionalhook=True)``: core validates every plugin
before Enterprise can add the spec.
"""

from __future__ import annotations

from workhorse.hookspecs import hookspec


@hookspec
def workhorse_leader(process: object, elected: bool) -> None:
    """This process became the leader (``elected`` True) or stopped being it (False).

    Runs on the leader-events thread, never on the lease thread. ``process``
    is the worker's ``ProcessContext``.
    """
