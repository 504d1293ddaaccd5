"""What benchmarks read of the processes they measure: CPU time and peak memory from
/proc, and redis-server's own CPU time. A process that has gone counts as nothing."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import redis

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds the processes used so far (all their threads)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / TICKS_PER_SECOND


def peak_rss_mib(pids: Iterable[int]) -> list[float]:
    """Each live process's peak resident memory (VmHWM), in MiB."""
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks += [
            int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")
        ]
    return peaks


def redis_cpu(r: redis.Redis) -> float:
    """redis-server's user + system CPU seconds so far (INFO cpu)."""
    info = r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
