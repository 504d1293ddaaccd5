"""Swarm (issue 22): many worker processes forked from one parent that imported the
application once, so they share its memory copy-on-write.

- ``supervisor``: the parent; forks children, replaces any over their limits
  (``--max-memory``, ``--max-jobs``) without a gap in capacity, rolls all of them
  over on SIGUSR2 (``workhorse restart``) without killing a running job.
- ``child``: what runs in a forked child: a core ``WorkerProcess`` plus a watcher
  that reports limits to the parent and drains on its request.
- ``channel``: the line protocol on the pipes between parent and child.
- ``family``: the parent's records of its children and the slots they fill.
- ``handoff``: the children a re-executed parent adopts during a rolling restart.
- ``limits``: when a child should be recycled (pure).
- ``notify``: systemd ``Type=notify`` readiness, status and watchdog.
- ``cli``: ``workhorse swarm`` and ``workhorse restart``.
"""
