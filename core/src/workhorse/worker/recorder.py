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
from collections.abc import Callable, Mapping
from typing import Any

import redis

from workhorse import results
from workhorse.dedicated import DedicatedConnection
from workhorse.keys import Keys
from workhorse.memo import remembered

log = logging.getLogger("workhorse.results")
BATCH = 500  # records per round trip
# Before each batch (after a wake-up and after each round trip), wait this long for more
# records unless a batch is full: one call per few jobs cost more (GIL hand-overs, a round
# trip each) than 2 ms of result latency. Under a steady stream of jobs, writing again as
# soon as a round trip ended made batches of what piled up during it (~100 records at
# 70,000 jobs/s): three times the round trips, ~0.5 us of CPU per record more.
LINGER = 0.002
Ack = Callable[[], None] | None
Pending = tuple[str, str, int, Ack]  # jid, open record, ttl, ack
Write = tuple[str, str, int, bool]  # jid, record, ttl, only if no record exists (NX)
# The job, its definition's result_ttl (the payload's wins) and when it started: the rest
# of a running record is worked out only for the few jobs that get one.
Started = tuple[Mapping[str, Any], object, float]


class ResultRecorder:
    def __init__(self, client: redis.Redis, keys: Keys, identity: str = "") -> None:
        self.redis = client
        self.keys = keys
        self.identity = identity  # the worker process's, named in running records
        self._send = DedicatedConnection(client, decode=False, lines=True)  # the writer thread's
        self._prefix_text = keys.result("")
        self._prefix = self._prefix_text.encode()
        self._heads: dict[int, str] = {}  # _head's, by the jid's length
        waiters = keys.result_waiters
        self._count_waiters = f"*2\r\n$5\r\nZCARD\r\n${len(waiters.encode())}\r\n{waiters}\r\n"
        self.pending: deque[Pending] = deque()
        # store_result jobs running now, by thread (written by job threads): one that runs
        # longer than LINGER gets a "running" record with the next batch (status()).
        self.running: dict[int, Started] = {}
        self._marked: set[str] = set()  # jids whose running record went out
        self._recheck = 1.0
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

    def started(self, tid: int, job: Mapping[str, Any], ttl: object) -> None:
        """A store_result job started on ``tid`` (``ended(tid)`` when it ends; ``ttl``: its
        definition's result_ttl). Only one still running LINGER later gets a ``running``
        record: quick jobs cost nothing."""
        self.running[tid] = (job, ttl, time.time())
        if self._thread is None:
            self._start()
        if not self._wake.is_set():
            self._wake.set()

    def ended(self, tid: int) -> None:
        self.running.pop(tid, None)

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
            self._wake.wait(self._recheck)
            if len(self.pending) < BATCH and not self._stopping:
                time.sleep(LINGER)
            self._wake.clear()  # before draining: a record queued after this wakes us again
            marks = self._due_running()
            while (self.pending or marks) and not self._stopping:
                self._writing = True
                batch = [self.pending.popleft() for _ in range(min(BATCH, len(self.pending)))]
                try:
                    self._write(batch, marks)
                    marks, delay = [], 0.0
                except Exception as exc:  # never lose the batch, never end the thread
                    self.pending.extendleft(reversed(batch))  # kept, in order
                    delay = min(max(delay * 2, 0.1), 5.0)
                    outage = isinstance(exc, redis.ConnectionError | redis.TimeoutError)
                    log.warning(
                        "could not write %d job result(s) (%s); retrying in %.1fs",
                        len(batch),
                        exc,
                        delay,
                        exc_info=None if outage else exc,
                    )
                    time.sleep(delay)
                finally:
                    self._writing = False
                if not delay:  # written: the next batch
                    if 0 < len(self.pending) < BATCH and not self._stopping:
                        time.sleep(LINGER)  # more than what came during the round trip
                    # A steady stream of records never leaves this loop: a job that began
                    # meanwhile and runs on gets its running record with the next batch.
                    marks = self._due_running()

    def _due_running(self) -> list[Write]:
        """Running records for the store_result jobs running for LINGER or more that have
        none yet; the next check comes sooner while a younger one runs."""
        now, young, due = time.time(), False, []
        current = [
            (str(job.get("jid", "")), job, ttl, at) for job, ttl, at in self.running.values()
        ]
        self._marked.intersection_update([jid for jid, _, _, _ in current])  # forget ended
        for jid, job, ttl, at in current:
            if jid in self._marked:
                continue
            if now - at < LINGER:
                young = True
                continue
            record = results.running(jid, results.attempts_of(job), self.identity, at)
            due.append((jid, record, results.ttl_of(job, ttl), True))
            self._marked.add(jid)
        self._recheck = LINGER if young else 1.0
        return due

    def _write(self, batch: list[Pending], marks: list[Write]) -> None:
        suffix = results.finished_at_suffix()
        if self._send.raw:
            anyone_waits = self._write_packed(batch, marks, suffix)
        else:  # Redis Cluster: the ordinary pipeline (every key shares the prefix's slot)
            anyone_waits = self._write_pipelined(_writes(batch, marks, suffix))
        if anyone_waits:
            results.wake_waiting(self.redis, self.keys, [jid for jid, _, _, _ in batch])
        for _, _, _, ack in batch:
            if ack is not None:
                try:
                    ack()
                except Exception:
                    log.exception("acknowledging a job after writing its result failed")

    def _write_packed(self, batch: list[Pending], marks: list[Write], suffix: str) -> bool:
        """SET every record, then ask whether anyone waits for any result at all, in one
        round trip of commands packed by hand, each record's in one step (as text: records
        are ASCII, so is a key with an ASCII prefix and jid, and then their lengths in
        bytes are their lengths; anything else takes the pipeline)."""
        prefix, plen, slen = self._prefix_text, len(self._prefix), len(suffix)
        expires, heads, head = _EXPIRES, self._heads, self._head
        end = f"{suffix}\r\n"
        parts = [_command(prefix, plen, jid, record, ttl, nx) for jid, record, ttl, nx in marks]
        parts += [
            f"{heads.get(len(jid)) or head(len(jid))}{jid}\r\n${len(record) + slen}\r\n"
            f"{record}{end}{expires.get(ttl) or _expire(ttl)}"
            for jid, record, ttl, _ in batch
        ]
        parts.append(self._count_waiters)
        text = "".join(parts)
        if not text.isascii():  # O(1): CPython knows whether a str is ASCII
            return self._write_pipelined(_writes(batch, marks, suffix))
        lines = self._send.send_packed_lines(text.encode(), len(parts))
        return lines[-1] != b":0"  # ZCARD's reply: anyone waiting for any result

    def _head(self, jid_length: int) -> str:
        """A SET up to its key's jid, for jids of ``jid_length`` (kept once made: jids come
        in a length or two, and formatting the key's length per record cost a quarter of
        the command's making)."""
        return remembered(self._heads, jid_length, self._set_up_to_jid, limit=100)

    def _set_up_to_jid(self, jid_length: int) -> str:
        return f"{_SET}${len(self._prefix) + jid_length}\r\n{self._prefix_text}"

    def _write_pipelined(self, writes: list[Write]) -> bool:
        pipe = self.redis.pipeline(transaction=False)
        result_key = self.keys.result
        for jid, record, ttl, nx in writes:
            pipe.set(result_key(jid), record, ex=ttl, nx=nx)
        pipe.zcard(self.keys.result_waiters)
        return bool(pipe.execute()[-1])


def _writes(batch: list[Pending], marks: list[Write], suffix: str) -> list[Write]:
    """Every SET of a batch: the running records, then the finished ones closed."""
    return [*marks, *((jid, record + suffix, ttl, False) for jid, record, ttl, _ in batch)]


def _command(prefix: str, plen: int, jid: str, record: str, ttl: int, nx: bool) -> str:
    """One SET (``NX``: only where no record is) in the wire format."""
    return (
        f"{_NX_SET if nx else _SET}${plen + len(jid)}\r\n{prefix}{jid}\r\n"
        f"${len(record)}\r\n{record}\r\n{_expire(ttl)}{_NX if nx else ''}"
    )


_SET = "*5\r\n$3\r\nSET\r\n"
_NX_SET = "*6\r\n$3\r\nSET\r\n"
_NX = "$2\r\nNX\r\n"
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
