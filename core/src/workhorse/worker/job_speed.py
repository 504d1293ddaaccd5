"""How long jobs take decides how many wait ready in memory: for job threads (the
executor's prefetch) and for the async lane's runners alike."""

from __future__ import annotations

# Prefetch only while recent jobs average under this: a short job waiting in
# memory behind another costs microseconds, a long one behind a long one is the
# head-of-line blocking Celery and Dramatiq users complain about.
FAST_JOB = 0.002
# Below this a few jobs (one per four threads) are kept ready too: a thread that finishes
# takes the next job from memory instead of waiting for a fetch round trip (issue 24: at
# 25 threads x 10 ms a job ends every 0.4 ms, about one round trip on a busy host), and
# the fetcher refills them in batches, waking once per batch instead of once per job.
# The async lane holds jobs ahead for its runners below it too.
SHORT_JOB = 0.1


def next_mean(mean: float, elapsed: float, count: int) -> float:
    """The moving average of job run times after the ``count``-th job took ``elapsed``
    seconds. The first 50 weigh as a plain mean, so a fresh worker learns its jobs' speed
    from its first few instead of hundreds (the 2 ms batching wait of short jobs would
    otherwise slow the start of a drain of fast ones); later ones weigh 2% each."""
    weight = 0.02 if count > 50 else 1.0 / count
    return mean + (elapsed - mean) * weight
