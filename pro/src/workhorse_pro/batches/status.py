"""``BatchStatus``: read a batch from any process; wait for it; list and search batches."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

from redis.client import NEVER_DECODE

from workhorse.client import Client, default_client
from workhorse_pro.batches.errors import BatchError, BatchNotFound
from workhorse_pro.batches.keys import BatchKeys

Until = Literal["complete", "success"]
_FIRST_POLL, _MAX_POLL = 0.02, 0.5


def _text(raw: dict[bytes, bytes]) -> dict[str, str]:
    """A batch hash read as bytes, as text: anything not UTF-8 shown as \\xNN escapes."""
    return {
        k.decode("utf-8", "backslashreplace"): v.decode("utf-8", "backslashreplace")
        for k, v in raw.items()
    }


def _json_field(bid: str, fields: dict[str, str], name: str, default: str, kind: type) -> Any:
    """Field ``name`` of the batch hash, parsed; a clear error when it is not what we wrote."""
    text = fields.get(name, default)
    try:
        value = json.loads(text)
    except ValueError as exc:
        value = exc
    if not isinstance(value, kind):
        raise BatchError(
            f"batch {bid}: field {name!r} of its hash is not the JSON {kind.__name__} workhorse "
            f"writes ({value if isinstance(value, Exception) else type(value).__name__}): "
            f"{text[:200]!r}; another program changed it. Its callbacks cannot run until the "
            "field is fixed; the callback job fails and is retried meanwhile"
        )
    return value


def _seconds(ms: str | None) -> float | None:
    return int(ms) / 1000.0 if ms else None


class BatchStatus:
    """A snapshot of one batch; :meth:`refresh` reloads it. Times are epoch seconds."""

    def __init__(
        self,
        bid: str,
        client: Client | None = None,
        _loaded: tuple[dict[str, str], int, int, int] | None = None,
    ) -> None:
        self.bid = bid
        self.client = client or default_client()
        self._bkeys = BatchKeys(self.client.keys)
        if _loaded is None:
            _loaded = self._read()
        self._apply(*_loaded)

    def _read(self) -> tuple[dict[str, str], int, int, int]:
        pipe = self.client.redis.pipeline(transaction=False)
        _queue_read(pipe, self._bkeys, self.bid)
        found = pipe.execute()
        return _text(found[0]), int(found[1]), int(found[2]), int(found[3])

    def _apply(self, fields: dict[str, str], pending: int, failures: int, dead: int) -> None:
        if not fields:
            raise BatchNotFound(self.bid)
        self.fields = fields
        self.description = fields.get("desc", "")
        self.total = int(fields.get("total", 0))
        self.pending = pending
        self.failures = failures
        self.dead = dead
        self.parent_bid = fields.get("parent") or None
        self.children = int(fields.get("kids", 0))
        self.created_at = _seconds(fields.get("created_at")) or 0.0
        self.complete_at = _seconds(fields.get("complete_at"))
        self.success_at = _seconds(fields.get("success_at"))
        self.death_at = _seconds(fields.get("death_at"))

    @property
    def callbacks(self) -> dict[str, str]:
        """Event -> callback job name."""
        found: dict[str, str] = _json_field(self.bid, self.fields, "cb", "{}", dict)
        return found

    @property
    def callback_args(self) -> list[Any]:
        found: list[Any] = _json_field(self.bid, self.fields, "cbargs", "[]", list)
        return found

    def refresh(self) -> BatchStatus:
        self._apply(*self._read())
        return self

    @property
    def is_complete(self) -> bool:
        """Every job ran at least once (and every child batch completed)."""
        return self.complete_at is not None

    @property
    def is_success(self) -> bool:
        """Every job succeeded (and every child batch succeeded)."""
        return self.success_at is not None

    @property
    def is_dead(self) -> bool:
        return self.death_at is not None

    def callback_state(self, event: str) -> str | None:
        """None (not fired), ``"queued"`` (its callback job is waiting) or ``"done"``."""
        return self.fields.get(event)

    def _members(self, key: str) -> list[str]:
        return sorted(str(m) for m in self.client.redis.smembers(key))

    @property
    def failed_jids(self) -> list[str]:
        """Jobs that failed and have not succeeded since (dead ones included)."""
        return self._members(self._bkeys.failed(self.bid))

    @property
    def dead_jids(self) -> list[str]:
        return self._members(self._bkeys.dead(self.bid))

    @property
    def pending_jids(self) -> list[str]:
        """Jobs that have not succeeded yet."""
        return self._members(self._bkeys.pending(self.bid))

    def as_dict(self, jid_limit: int = 1_000) -> dict[str, Any]:
        """JSON-ready summary (what callbacks receive); jid lists capped at ``jid_limit``."""
        return {
            "bid": self.bid,
            "description": self.description,
            "total": self.total,
            "pending": self.pending,
            "failures": self.failures,
            "dead": self.dead,
            "failed_jids": self.failed_jids[:jid_limit],
            "dead_jids": self.dead_jids[:jid_limit],
            "parent_bid": self.parent_bid,
            "children": self.children,
            "created_at": self.created_at,
            "complete_at": self.complete_at,
            "success_at": self.success_at,
            "death_at": self.death_at,
            "is_complete": self.is_complete,
            "is_success": self.is_success,
        }

    # -- waiting -------------------------------------------------------------
    def _reached(self, until: Until) -> bool:
        return self.is_complete if until == "complete" else self.is_success

    def join(self, timeout: float | None = None, until: Until = "complete") -> bool:
        """Block until the batch is complete (or successful); False on timeout."""
        return _wait(self, timeout, until, time.sleep)

    async def ajoin(self, timeout: float | None = None, until: Until = "complete") -> bool:
        """``join`` for asyncio: Redis reads run in a thread, waits are ``asyncio.sleep``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = _FIRST_POLL
        while True:
            await asyncio.to_thread(self.refresh)
            if self._reached(until):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_next_sleep(delay, deadline))
            delay = min(delay * 2, _MAX_POLL)

    def __repr__(self) -> str:
        return (
            f"<BatchStatus {self.bid} total={self.total} pending={self.pending} "
            f"failures={self.failures} complete={self.is_complete}>"
        )


def _next_sleep(delay: float, deadline: float | None) -> float:
    if deadline is None:
        return delay
    return max(0.0, min(delay, deadline - time.monotonic()))


def _wait(
    status: BatchStatus, timeout: float | None, until: Until, sleep: Callable[[float], None]
) -> bool:
    # A poll with backoff (20 ms up to 0.5 s): one small pipeline per poll,
    # no connection held, works the same through Sentinel and Cluster.
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = _FIRST_POLL
    while not status.refresh()._reached(until):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        sleep(_next_sleep(delay, deadline))
        delay = min(delay * 2, _MAX_POLL)
    return True


def _queue_read(pipe: Any, bkeys: BatchKeys, bid: str) -> None:
    # The hash as stored (issue 17): another program (Ruby, a script) may have written a
    # field that is not UTF-8; it must not stop this batch's callbacks or the listing.
    pipe.execute_command("HGETALL", bkeys.hash(bid), **{NEVER_DECODE: True})
    pipe.scard(bkeys.pending(bid))
    pipe.scard(bkeys.failed(bid))
    pipe.scard(bkeys.dead(bid))


def iter_batches(
    client: Client | None = None, search: str | None = None, page: int = 200
) -> Iterator[BatchStatus]:
    """Batches newest first; ``search`` matches the bid or description (any case).

    Index entries whose batch expired are removed as they are met.
    """
    client = client or default_client()
    bkeys = BatchKeys(client.keys)
    needle = (search or "").lower()
    start = 0
    while True:
        bids = [str(b) for b in client.redis.zrevrange(bkeys.index, start, start + page - 1)]
        if not bids:
            return
        pipe = client.redis.pipeline(transaction=False)
        for bid in bids:
            _queue_read(pipe, bkeys, bid)
        found = pipe.execute()
        gone = []
        for i, bid in enumerate(bids):
            raw_fields, pending, failed, dead = found[4 * i : 4 * i + 4]
            fields = _text(raw_fields)
            if not fields:
                gone.append(bid)
                continue
            text = f"{bid} {fields.get('desc', '')}".lower()
            if needle and needle not in text:
                continue
            yield BatchStatus(bid, client, (fields, int(pending), int(failed), int(dead)))
        if gone:
            client.redis.zrem(bkeys.index, *gone)
        start += page - len(gone)


def list_batches(
    client: Client | None = None, search: str | None = None, limit: int = 50
) -> list[BatchStatus]:
    """Up to ``limit`` batches, newest first, optionally filtered by ``search``."""
    found: list[BatchStatus] = []
    for status in iter_batches(client, search):
        found.append(status)
        if len(found) >= limit:
            break
    return found
