"""Django task priority as workhorse queues: a priority picks a queue-name suffix.

workhorse queues are FIFO lists, so priority is honoured the Sidekiq way: tasks of
high priority go to their own queue, which workers poll first (strict order, e.g.
``-q default_high -q default -q default_low``) or more often (weights, e.g.
``-q default_high,3 -q default,2 -q default_low,1``).

``OPTIONS["PRIORITY_QUEUES"]`` maps a suffix to a threshold: a positive threshold
takes priorities at or above it, a negative one priorities at or below it; when
several match, the threshold furthest from 0 wins. Priority 0 (Django's default)
never gets a suffix.

```python
"OPTIONS": {"PRIORITY_QUEUES": {"critical": 50, "high": 1, "low": -1}}
# priority 60 -> "<queue>_critical", 10 -> "<queue>_high", 0 -> "<queue>", -5 -> "<queue>_low"
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

# Django's own bounds (django.tasks.base.TASK_MIN_PRIORITY / TASK_MAX_PRIORITY).
LOWEST, HIGHEST = -100, 100
SUFFIX = re.compile(r"[A-Za-z0-9_-]+")

# (threshold, suffix), furthest from 0 first, so the first match is the one that wins.
Table = tuple[tuple[int, str], ...]


def parse(raw: object, alias: str) -> Table:
    """Check ``OPTIONS["PRIORITY_QUEUES"]`` of backend ``alias``; () when not set."""
    where = f"TASKS[{alias!r}]['OPTIONS']['PRIORITY_QUEUES']"
    if raw is None:
        return ()
    if not isinstance(raw, Mapping) or not raw:
        raise ImproperlyConfigured(
            f"{where} must be a non-empty dict of queue suffix -> priority threshold, "
            f"e.g. {{'high': 1, 'low': -1}}; got {raw!r:.100}"
        )
    table: list[tuple[int, str]] = []
    for suffix, threshold in raw.items():
        if not isinstance(suffix, str) or not SUFFIX.fullmatch(suffix):
            raise ImproperlyConfigured(
                f"{where}: the suffix {suffix!r:.60} must be letters, digits, '_' or '-'"
            )
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int)
            or threshold == 0
            or not LOWEST <= threshold <= HIGHEST
        ):
            raise ImproperlyConfigured(
                f"{where}[{suffix!r}] must be a whole number from {LOWEST} to {HIGHEST} "
                f"other than 0 (positive: that priority and above; negative: and below); "
                f"got {threshold!r:.60}"
            )
        table.append((threshold, suffix))
    return tuple(sorted(table, key=lambda entry: -abs(entry[0])))


def queue_for(queue: str, priority: int, table: Table) -> str:
    """The workhorse queue a task of ``priority`` on Django queue ``queue`` goes to."""
    for threshold, suffix in table:
        if (threshold > 0 and priority >= threshold) or (threshold < 0 and priority <= threshold):
            return f"{queue}_{suffix}"
    return queue
