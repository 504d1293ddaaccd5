"""Writing success records of ``store_result`` jobs: one round trip per batch of completions.

A job thread hands its (open) record over and moves on to the next job; one writer
thread per process sends every record that piled up meanwhile in one round trip of
``SET key record EX ttl`` commands, built by hand (redis-py's packing cost more than
the rest of a record's way), with one finish time for the batch and one question to
``result-waiters`` behind them; only jobs someone waits for cost a second round trip,
to push their wake lists (see results.py). Then it acknowledges those jobs to the
fetcher. Acknowledging only after the write keeps reliable fetch's promise: a process
that dies before the record is in Redis has the job recovered and run again, never
finished without its result.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import redis

from workhorse import results
from workhorse.dedicated import DedicatedConnection
from workhorse.keys import Keys

log = logging.getLogger("workhorse.results")
BATCH = 500  # records per round trip
# After a wake-up, wait this long for more records unless a batch is full: one call per
# few jobs cost more (GIL hand-overs, a round trip each) than 2 ms of result latency.
LINGER = 0.002
Ack = Callable[[], None] | None


class ResultRecorder:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys
        self._send = DedicatedConnection(client, decode=False)  # the writer thread's
        self._prefix_text = keys.result("")
        self._prefix = self._prefix_text.encode()
        waiters = keys.result_waiters
        self._count_waiters = f"*2\r\n$5\r\nZCARD\r\n${len(waiters.encode())}\r\n{waiters}\r\n"
        self.pending: deque[tuple[str, str, int, Ack]] = deque()
        self._wake = threading.Event()
        self._writing = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, jid: str, record: str, ttl: int, ack: Ack) -> None:
        """Queue a record (and the job's acknowledgement, sent once it is written)."""
        if self._thread is None:
            self._start()
        self.pending.append((jid, record, ttl, ack))
        if not self._wake.is_set():
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="workhorse-results", daemon=True
                )
                self._thread.start()

    def flush(self, timeout: float) -> bool:
        """Wait until every queued record is written; False if ``timeout`` passed first.
        (Shutdown only: it checks every 10 ms rather than costing each job a signal.)"""
        deadline = time.monotonic() + timeout
        self._wake.set()
        while self.pending or self._writing:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self, timeout: float) -> bool:
        written = self.flush(timeout)
        self._stopping = True
        self._wake.set()
        if not written:
            log.warning(
                "%d job result(s) were not written before shutdown; with reliable "
                "fetch those jobs run again",
                len(self.pending),
            )
        return written

    def _run(self) -> None:
        delay = 0.0
        while not self._stopping:
            self._wake.wait(1.0)
            if len(self.pending) < BATCH and not self._stopping:
                time.sleep(LINGER)
            self._wake.clear()  # before draining: a record queued after this wakes us again
            while self.pending and not self._stopping:
                self._writing = True
                batch = [self.pending.popleft() for _ in range(min(BATCH, len(self.pending)))]
                try:
                    self._write(batch)
                    delay = 0.0
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    self.pending.extendleft(reversed(batch))  # kept, in order
                    delay = min(max(delay * 2, 0.1), 5.0)
                    log.warning(
                        "could not write %d job result(s) (%s); retrying in %.1fs",
                        len(batch),
                        exc,
                        delay,
                    )
                    time.sleep(delay)
                finally:
                    self._writing = False

    def _write(self, batch: list[tuple[str, str, int, Ack]]) -> None:
        suffix = results.finished_at_suffix()
        if self._send.raw:
            anyone_waits = self._write_packed(batch, suffix)
        else:  # Redis Cluster: the ordinary pipeline (every key shares the prefix's slot)
            anyone_waits = self._write_pipelined(batch, suffix)
        if anyone_waits:
            results.wake_waiting(self.redis, self.keys, [jid for jid, _, _, _ in batch])
        for _, _, _, ack in batch:
            if ack is not None:
                try:
                    ack()
                except Exception:
                    log.exception("acknowledging a job after writing its result failed")

    def _write_packed(self, batch: list[tuple[str, str, int, Ack]], suffix: str) -> bool:
        """SET every record, then ask whether anyone waits for any result at all, in one
        round trip of commands packed by hand (as text: records are ASCII, so is a key
        with an ASCII prefix and jid, and their lengths in bytes are their lengths)."""
        prefix, plen, slen = self._prefix_text, len(self._prefix), len(suffix)
        if not self._prefix_text.isascii() or not all(jid.isascii() for jid, *_ in batch):
            return self._write_pipelined(batch, suffix)
        parts = [
            f"*5\r\n$3\r\nSET\r\n${plen + len(jid)}\r\n{prefix}{jid}\r\n"
            f"${len(record) + slen}\r\n{record}{suffix}\r\n{_expire(ttl)}"
            for jid, record, ttl, _ in batch
        ]
        parts.append(self._count_waiters)
        replies = self._send.send_packed("".join(parts).encode(), len(batch) + 1)
        return bool(replies[-1])

    def _write_pipelined(self, batch: list[tuple[str, str, int, Ack]], suffix: str) -> bool:
        pipe = self.redis.pipeline(transaction=False)
        result_key = self.keys.result
        for jid, record, ttl, _ in batch:
            pipe.set(result_key(jid), record + suffix, ex=ttl)
        pipe.zcard(self.keys.result_waiters)
        return bool(pipe.execute()[-1])


_EXPIRES: dict[int, str] = {}


def _expire(ttl: int) -> str:
    """The ``EX <ttl>`` words of a SET (a handful of distinct TTLs: kept once made)."""
    words = _EXPIRES.get(ttl)
    if words is None:
        text = str(ttl)
        words = f"$2\r\nEX\r\n${len(text)}\r\n{text}\r\n"
        if len(_EXPIRES) < 1000:
            _EXPIRES[ttl] = words
    return words
