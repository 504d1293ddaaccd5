"""Queue order per fetch: strict priority, or weighted random (no weights = strict)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from workhorse.config import QueueWeight


class QueueOrder:
    def __init__(self, queues: Sequence[QueueWeight]) -> None:
        self.names = [q.name for q in queues]
        self.strict = all(q.weight == 0 for q in queues)
        self._weighted = [q.name for q in queues for _ in range(max(q.weight, 1))]

    def __call__(self) -> list[str]:
        """Queue names in the order to try them for this fetch."""
        if self.strict or len(self.names) == 1:
            return self.names
        pool = self._weighted[:]
        random.shuffle(pool)
        return list(dict.fromkeys(pool))
