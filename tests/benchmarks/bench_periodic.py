"""Cron failover with production timings; prints takeover times and per-entry tick accounting.

Run: /work/venv/bin/python -m pytest tests/benchmarks/bench_periodic.py -s
(about 3 minutes: default 10 s lease, a 20 s Redis outage, 4 SIGKILL rounds).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "enterprise" / "periodic"))
sys.path.insert(0, str(Path(__file__).parents[1]))

from failover_scenario import ENTRIES, Cluster, Timings, cluster, report, run
from support.waiting import wait_for

DEFAULT_LEASE = 10.0


def test_failover_with_the_default_lease() -> None:
    result = run(Timings(lease=DEFAULT_LEASE, grace=15.0, settle=5.0, outage=20.0))
    print("\n== cron failover, default lease (10 s), 3 workers, 20 s Redis outage ==")
    print(report(result))
    for entry in ENTRIES:
        assert result.duplicates(entry) == []
    assert result.gaps("every-second-all") == []


def _takeover(c: Cluster) -> float:
    leader = wait_for(c.leader_pid, "a leader", timeout=30)
    c.workers[leader].kill()
    killed = time.monotonic()
    wait_for(lambda: c.leader_pid() not in (None, leader), "a new leader", timeout=60)
    elapsed = time.monotonic() - killed
    c.spawn()  # keep three processes
    return elapsed


def test_sigkill_takeover_rounds() -> None:
    rounds = 4
    with cluster(Timings(lease=DEFAULT_LEASE)) as c:
        for _ in range(3):
            c.spawn()
        times = []
        for _ in range(rounds):
            time.sleep(3)  # the new leader renews a few times first
            times.append(_takeover(c))
    print(f"\n== SIGKILL takeover, lease {DEFAULT_LEASE:g} s, {rounds} rounds ==")
    print("round  seconds")
    for n, t in enumerate(times, 1):
        print(f"{n:>5}  {t:7.2f}")
    print(f"mean {statistics.mean(times):.2f} s, max {max(times):.2f} s (issue 10 asks for < 15 s)")
    assert max(times) < 15.0
