"""Swarm (issue 22) against core's ``-p N``: start-up time and memory per child. Prints a table.

Both run N workers of the same application (``swarm_app``: ~60 MB of objects built
at import). ``-p N`` starts N fresh interpreters, each importing the app; the swarm
imports it once in the parent and forks, so children share those pages copy-on-write.
RSS counts shared pages in every child; PSS divides them among the sharers and USS
counts only a child's own pages, so PSS and USS show the saving.

Start-up: from spawning the command until all N children have registered in Redis.
Needs an Enterprise license for the swarm: the test key (tests/support) is used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from support import redis_server  # noqa: E402
from support.licenses import process_tree_env, token  # noqa: E402

N = int(os.environ.get("BENCH_SWARM_CHILDREN", "4"))


def memory_kb(pid: int) -> dict[str, int]:
    """Rss, Pss and USS (private clean + dirty) of one process, from smaps_rollup."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            name, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                fields[name] = int(rest.split()[0])
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "uss": fields["Private_Clean"] + fields["Private_Dirty"],
    }


def run(command: str, url: str) -> tuple[float, dict[str, float], dict[str, int]]:
    r = redis.Redis.from_url(url, decode_responses=True)
    r.flushdb()
    env = process_tree_env(token(("pro", "enterprise")), pythonpath=str(HERE))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workhorse",
            command,
            "-r",
            "swarm_app",
            "-p",
            str(N),
            "-c",
            "5",
            "--redis-url",
            url,
        ],
        cwd=HERE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while r.scard("processes") < N:
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"{command}: {N} children did not register within 120 s")
            time.sleep(0.01)
        startup = time.perf_counter() - started
        time.sleep(2)  # let every child settle (first beats, plugin services)
        pids = [int(i.rsplit(":", 2)[1]) for i in r.smembers("processes")]
        per_child = [memory_kb(pid) for pid in pids]
        parent = memory_kb(proc.pid)
        mean = {k: sum(m[k] for m in per_child) / len(per_child) for k in ("rss", "pss", "uss")}
        return startup, mean, parent
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def main() -> None:
    server = redis_server.start(databases=2)
    try:
        rows = [
            (name, *run(command, server.url(n)))
            for n, (name, command) in enumerate([("-p N (core)", "worker"), ("swarm", "swarm")])
        ]
    finally:
        server.stop()
    print(f"\n{N} children of swarm_app (~60 MB of objects at import), 5 threads each")
    print(
        f"{'':<12} {'start-up s':>10} {'RSS MB':>8} {'PSS MB':>8} {'USS MB':>8} "
        f"{'parent RSS MB':>14} {'total PSS MB':>13}"
    )
    for name, startup, mean, parent in rows:
        total = mean["pss"] * N + parent["pss"]
        print(
            f"{name:<12} {startup:>10.2f} {mean['rss'] / 1024:>8.1f} {mean['pss'] / 1024:>8.1f} "
            f"{mean['uss'] / 1024:>8.1f} {parent['rss'] / 1024:>14.1f} {total / 1024:>13.1f}"
        )
    print(f"({os.cpu_count()} CPUs; per-child figures are means over the {N} children)")


def test_swarm_benchmark() -> None:
    main()


if __name__ == "__main__":
    main()
