"""Checks on admission logs (server-clock seconds): the proof that no limit was exceeded."""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence


def most_holders(intervals: Sequence[tuple[float, float]]) -> int:
    """The largest number of [admitted, released] intervals open at one instant."""
    # at equal times a release comes first: the script that freed the slot ran first
    events = sorted([(t, 1) for t, _ in intervals] + [(t, -1) for _, t in intervals])
    held = peak = 0
    for _, change in events:
        held += change
        peak = max(peak, held)
    return peak


def most_per_bucket(admitted: Sequence[float], interval: float) -> int:
    """The most admissions in one clock-aligned interval."""
    counts = Counter(math.floor(round(t * 1e6) / round(interval * 1e6)) for t in admitted)
    return max(counts.values(), default=0)


def most_per_window(admitted: Sequence[float], interval: float) -> int:
    """The most admissions in any span (t - interval, t]."""
    times = sorted(admitted)
    return max(
        (i + 1 - bisect.bisect_right(times, t - interval + 1e-7) for i, t in enumerate(times)),
        default=0,
    )


def leaky_excess(admitted: Sequence[float], limit: int, interval: float) -> float:
    """How far any span [a, b] exceeds ``limit + (b - a) * limit / interval`` admissions
    (<= 0 when the leaky bucket held)."""
    times = sorted(admitted)
    rate = limit / interval
    worst = -math.inf
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            worst = max(worst, (j - i + 1) - (limit + (times[j] - start) * rate))
    return worst
