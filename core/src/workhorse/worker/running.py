"""The jobs one capsule runs now, by slot: a job thread's id, or an async job's number.

Written by job threads and the async lane; read by the executor, the launcher, the
heartbeat, ``current_job()`` and the cancel watcher. Each change is one dict
operation and each copy one ``dict()`` call of int keys, all atomic under the GIL
(and under free-threaded CPython's per-dict locks), so no lock of ours is taken on
the per-job path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from workhorse.types import UnitOfWork

Entry = tuple[UnitOfWork[object], float]  # the fetched job, and when it started (epoch s)


class RunningRegistry(Mapping[int, Entry]):
    """Read as a mapping (slot -> entry); changed only through ``register``/``finish``."""

    def __init__(self) -> None:
        self._jobs: dict[int, Entry] = {}

    def register(self, slot: int, unit: UnitOfWork[object], started: float) -> None:
        self._jobs[slot] = (unit, started)

    def finish(self, slot: int) -> Entry | None:
        """Forget the job in ``slot``; its entry, or None if it was already gone."""
        return self._jobs.pop(slot, None)

    def __getitem__(self, slot: int) -> Entry:
        return self._jobs[slot]

    def snapshot(self) -> dict[int, Entry]:
        """A copy: what the heartbeat writes and shutdown requeues."""
        return dict(self._jobs)

    def oldest_first(self) -> list[UnitOfWork[object]]:
        """The running jobs, the longest-running first (the order a requeue restores)."""
        return [unit for unit, _ in sorted(self.snapshot().values(), key=lambda e: e[1])]

    def __contains__(self, slot: object) -> bool:
        return slot in self._jobs

    def __len__(self) -> int:
        return len(self._jobs)

    def __bool__(self) -> bool:
        return bool(self._jobs)

    def __iter__(self) -> Iterator[int]:
        return iter(self.snapshot())
