"""Which fetched jobs have finished, kept per fetch (the layout is in lua/fetch.lua).

A worker thread reports a finished job by appending its offset to its fetch's
``done`` list (a list append is atomic, so no lock and nothing else per job).
Before each round trip the fetch thread looks over the open fetches, a handful,
and writes each one that changed once: a finished fetch is deleted, a partly
finished one gets its list of done offsets. A failed round trip leaves them
unwritten, and writing them again is harmless (HDEL and HSET of a list are
idempotent).
"""

from __future__ import annotations


class FetchList:
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
        """This fetch's entry in fetch.lua's ack list, for a snapshot of ``done``."""
        if complete:
            return self.field
        return f"{self.field}={','.join(map(str, done))}"


Token = tuple[FetchList, int]  # (fetch, 1-based offset): a UnitOfWork's fetcher state
Change = tuple[FetchList, list[int], bool]  # a fetch, a snapshot of its done list, complete?


def finished(token: Token) -> None:
    """Any thread: this job finished (or was discarded, or pushed back to its queue)."""
    fetch, offset = token
    fetch.done.append(offset)


class AckBook:
    """The fetch thread's view of its open fetches (the shutdown thread's once the
    fetch thread stopped)."""

    def __init__(self) -> None:
        self._open: dict[FetchList, int] = {}  # fetch -> how many done offsets Redis has
        self._expired = 0

    def opened(self, fetch: FetchList) -> None:
        self._open[fetch] = 0

    def expired(self, token: Token) -> None:
        """This job was discarded because its deadline passed."""
        self._expired += 1
        finished(token)

    def take(self) -> tuple[list[Change], int]:
        """The fetches to write and the expired count to add. Call ``written`` when
        the round trip carrying them succeeded, ``failed`` when it did not."""
        changes = []
        for fetch, known in self._open.items():
            if len(fetch.done) != known:
                done = fetch.done[:]
                changes.append((fetch, done, fetch.complete(done)))
        expired, self._expired = self._expired, 0
        return changes, expired

    def written(self, changes: list[Change]) -> None:
        for fetch, done, complete in changes:
            if complete:
                self._open.pop(fetch, None)
            else:
                self._open[fetch] = len(done)

    def failed(self, expired: int) -> None:
        self._expired += expired
