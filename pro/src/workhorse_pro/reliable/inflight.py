"""Which fetched jobs have finished, kept per fetch batch (the layout is in lua/fetch.lua).

A worker thread reports a finished job by appending its offset to its batch's
``done`` list (a list append is atomic, so no lock and nothing else per job).
Before each round trip the fetch thread looks over the open batches, a handful,
and writes each one that changed once: a finished batch is deleted, a partly
finished one gets its list of done offsets. A failed round trip leaves them
unwritten, and writing them again is harmless (HDEL and HSET of a list are
idempotent).
"""

from __future__ import annotations


class FetchBatch:
    """The jobs one fetch took from one queue, stored as one in-progress field."""

    __slots__ = ("done", "field", "queue", "size")

    def __init__(self, queue: str, first_seq: int, size: int) -> None:
        self.queue = queue
        self.size = size
        self.field = f"{first_seq}+{size}"
        self.done: list[int] = []  # 1-based offsets of finished jobs; threads append

    def complete(self, done: list[int]) -> bool:
        # Distinct offsets: a job pushed back at a hard shutdown may still finish after.
        return len(done) >= self.size and len(set(done)) >= self.size

    def ack_entry(self, done: list[int], complete: bool) -> str:
        """This batch's entry in fetch.lua's ack list, for a snapshot of ``done``."""
        if complete:
            return self.field
        return f"{self.field}={','.join(map(str, done))}"


Token = tuple[FetchBatch, int]  # (batch, 1-based offset): a UnitOfWork's fetcher state
Change = tuple[FetchBatch, list[int], bool]  # a batch, a snapshot of its done list, complete?


def finished(token: Token) -> None:
    """Any thread: this job finished (or was discarded, or pushed back to its queue)."""
    batch, offset = token
    batch.done.append(offset)


class AckBook:
    """The fetch thread's view of its open batches (the shutdown thread's once the
    fetch thread stopped)."""

    def __init__(self) -> None:
        self._open: dict[FetchBatch, int] = {}  # batch -> how many done offsets Redis has
        self._expired = 0

    def opened(self, batch: FetchBatch) -> None:
        self._open[batch] = 0

    def expired(self, token: Token) -> None:
        """This job was discarded because its deadline passed."""
        self._expired += 1
        finished(token)

    def take(self) -> tuple[list[Change], int]:
        """The batches to write and the expired count to add. Call ``written`` when
        the round trip carrying them succeeded, ``failed`` when it did not."""
        changes = []
        for batch, known in self._open.items():
            if len(batch.done) != known:
                done = batch.done[:]
                changes.append((batch, done, batch.complete(done)))
        expired, self._expired = self._expired, 0
        return changes, expired

    def written(self, changes: list[Change]) -> None:
        for batch, done, complete in changes:
            if complete:
                self._open.pop(batch, None)
            else:
                self._open[batch] = len(done)

    def failed(self, expired: int) -> None:
        self._expired += expired
