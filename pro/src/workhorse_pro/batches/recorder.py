"""Group commit of batch-job successes: one Lua call records every success that
arrived while the previous call was in flight (issue 8 speed target: batch jobs
at >= 70 % of plain-job throughput).

Two ways in:

- ``record`` blocks until the success is in Redis (used when nothing defers
  the job's acknowledgement);
- ``record_then`` returns at once and runs ``then`` (the fetcher's real
  acknowledge) only after the success is in Redis. A worker that dies in between
  leaves its job unacknowledged, so reliable fetch runs it again and the
  idempotent script counts it once: crash safety without a blocking round trip.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    from workhorse_pro.batches.meta import MetaCache
    from workhorse_pro.batches.scripts import BatchScripts, Ref

log = logging.getLogger(__name__)
_MAX_GROUP = 2_000
_MAX_WAITING = 20_000  # back-pressure: job threads wait when Redis falls this far behind
_IDLE_EXIT = 5.0  # the flusher thread exits when idle this long; the next success restarts it
_WAIT_LIMIT = 120.0


@dataclass(slots=True)
class _Success:
    bid: str
    jid: str
    then: Callable[[], None] | None = None
    done: threading.Event | None = None  # only for blocking ``record``
    error: BaseException | None = None


class DoneRecorder:
    def __init__(self, scripts: BatchScripts, meta: MetaCache) -> None:
        self.scripts = scripts
        self.meta = meta
        # Job threads append without the lock (a deque append is atomic); the lock
        # guards the flusher's sleeping, waking and exit (see _submit and _take).
        self._waiting: deque[_Success] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._in_flight = 0
        self._idle = False
        self._draining = 0

    def record(self, bid: str, jid: str) -> None:
        """Block until the success of ``jid`` in ``bid`` is recorded; raise what Redis raised."""
        done = threading.Event()
        item = self._submit(_Success(bid, jid, done=done))
        if not done.wait(_WAIT_LIMIT):
            raise TimeoutError(f"recording job {jid} of batch {bid} took over {_WAIT_LIMIT}s")
        if item.error is not None:
            raise item.error

    def record_then(self, bid: str, jid: str, then: Callable[[], None]) -> None:
        """Record in the background; call ``then`` once the success is in Redis."""
        self._submit(_Success(bid, jid, then))

    def _submit(self, item: _Success) -> _Success:
        while len(self._waiting) >= _MAX_WAITING:  # back-pressure: Redis fell far behind
            with self._cond:
                self._cond.wait(0.1)
        self._waiting.append(item)
        if self._thread is None or self._idle:  # the flusher is gone or asleep: the slow path
            with self._cond:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="workhorse-batch-done", daemon=True
                    )
                    self._thread.start()
                elif self._idle:
                    self._cond.notify_all()
        return item

    def drain(self, timeout: float) -> bool:
        """Wait until every submitted success is recorded (shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._draining += 1
            try:
                while self._waiting or self._in_flight:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(min(left, 0.05))
            finally:
                self._draining -= 1
        return True

    def _take(self) -> list[_Success] | None:
        with self._cond:
            self._in_flight = 0
            if self._draining:
                self._cond.notify_all()
            if not self._waiting:
                self._idle = True  # published before the re-check, so a racing append wakes us
                if not self._waiting:
                    self._cond.wait(_IDLE_EXIT)
                self._idle = False
            if not self._waiting:
                current, self._thread = self._thread, None
                if not self._waiting:  # an append that saw the old thread is caught here
                    return None
                self._thread = current
            pop = self._waiting.popleft
            group = [pop() for _ in range(min(len(self._waiting), _MAX_GROUP))]
            self._in_flight = len(group)
            return group

    def _run(self) -> None:
        delay = 0.1
        while (group := self._take()) is not None:
            try:
                self._flush(group)
                delay = 0.1
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                self._failed(group, exc, delay)
                delay = min(delay * 2, 5.0)
                continue
            except Exception as exc:
                log.exception("recording batch job successes failed")
                self._failed(group, exc, delay)
                continue
            for item in group:
                self._finish(item)

    def _failed(self, group: list[_Success], exc: BaseException, delay: float) -> None:
        retry = []
        for item in group:
            if item.done is not None:
                item.error = exc
                item.done.set()
            else:
                retry.append(item)  # its job stays unacknowledged until this succeeds
        if retry:
            log.warning(
                "Redis unavailable while recording %d batch job success(es) (%s); "
                "retrying in %.1fs",
                len(retry),
                exc,
                delay,
            )
            time.sleep(delay)
            with self._cond:
                self._waiting.extendleft(reversed(retry))

    @staticmethod
    def _finish(item: _Success) -> None:
        if item.then is not None:
            try:
                item.then()
            except Exception:
                log.exception("acknowledging job %s after recording its batch success", item.jid)
        if item.done is not None:
            item.done.set()

    def _flush(self, group: list[_Success]) -> None:
        by_batch: dict[str, list[str]] = defaultdict(list)
        for item in group:
            by_batch[item.bid].append(item.jid)
        groups: list[tuple[Ref, list[str]]] = []
        for bid, jids in by_batch.items():
            ref = self.meta.ref(bid)
            if ref is None:
                log.warning(
                    "%d job(s) of batch %s finished, but the batch no longer exists "
                    "(expired?); not recorded",
                    len(jids),
                    bid,
                )
                continue
            groups.append((ref, jids))
        if groups:
            self.scripts.jobs_done(groups)
