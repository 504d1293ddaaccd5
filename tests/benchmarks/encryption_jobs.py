"""No-op jobs, plain and encrypted, for bench_unique_encryption.py: its own worker and
the ``workhorse worker -r encryption_jobs`` processes it starts run the same code."""

from __future__ import annotations

import workhorse


@workhorse.job(name="bench.noop")
def noop(*args: object) -> None:
    pass


@workhorse.job(name="bench.noop_encrypted", encrypt=True)
def noop_encrypted(*args: object) -> None:
    pass
