"""The facts of a batch that never change (callback queue, parent), cached per process.

The job path needs them to name the keys of its script call; caching keeps the
cost of a batch job to one round trip (issue 8 benchmark: >= 70 % of plain jobs).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import redis

from workhorse_pro.batches.keys import BatchKeys
from workhorse_pro.batches.scripts import Ref

_CAPACITY = 10_000


class MetaCache:
    def __init__(self, client: redis.Redis, bkeys: BatchKeys) -> None:
        self.redis = client
        self.bkeys = bkeys
        self._known: OrderedDict[str, tuple[Ref, str]] = OrderedDict()
        self._lock = threading.Lock()

    def _load(self, bid: str) -> tuple[Ref, str] | None:
        with self._lock:
            found = self._known.get(bid)
            if found is not None:
                self._known.move_to_end(bid)
                return found
        cbq, parent = self.redis.hmget(self.bkeys.hash(bid), ["cbq", "parent"])
        if cbq is None:
            return None
        entry = (Ref(bid, str(cbq)), str(parent or ""))
        with self._lock:
            self._known[bid] = entry
            if len(self._known) > _CAPACITY:
                self._known.popitem(last=False)
        return entry

    def ref(self, bid: str) -> Ref | None:
        """The batch's Ref, or None if it does not exist (any more)."""
        found = self._load(bid)
        return found[0] if found else None

    def parent(self, bid: str) -> Ref | None:
        found = self._load(bid)
        if not found or not found[1]:
            return None
        return self.ref(found[1])
