"""What a worker process exports for monitoring, as plain data (no exporter library):
per (job class, queue) counts and durations from the threads' in-process stats,
busy and total threads. ``-p N`` children share theirs through small JSON files
the supervisor sums at scrape time.

Nothing here runs per job: the threads count into :class:`~workhorse.stats.ThreadStats`
and these functions read them when someone scrapes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from workhorse import stats

log = logging.getLogger(__name__)
# Set by the -p supervisor for its children: the directory their snapshots go to.
SHARE_ENV = "WORKHORSE_METRICS_DIR"
# How often a -p child rewrites its snapshot: a scrape is at most this stale.
SHARE_INTERVAL = 1.0


@dataclass(slots=True)
class ProcessMetrics:
    """One process's (or a sum of processes') exported numbers."""

    series: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    busy: int = 0
    concurrency: int = 0

    def add(self, other: ProcessMetrics) -> None:
        self.busy += other.busy
        self.concurrency += other.concurrency
        for key, row in other.series.items():
            acc = self.series.setdefault(key, stats.new_series_row())
            for i, value in enumerate(row):
                acc[i] += value

    def to_json(self) -> str:
        rows = [[name, queue, *row] for (name, queue), row in self.series.items()]
        return json.dumps({"busy": self.busy, "concurrency": self.concurrency, "series": rows})

    @classmethod
    def from_json(cls, text: str) -> ProcessMetrics:
        """Parse a snapshot; anything malformed raises ValueError (the caller skips it)."""
        data = json.loads(text)
        width = len(stats.new_series_row())
        series: dict[tuple[str, str], list[float]] = {}
        for item in data["series"]:
            name, queue, *row = item
            if not isinstance(name, str) or not isinstance(queue, str) or len(row) != width:
                raise ValueError(f"malformed series row {item!r}")
            series[(name, queue)] = [float(v) for v in row]
        return cls(series, int(data["busy"]), int(data["concurrency"]))


class MeteredExecutor(Protocol):
    """What the numbers are read from: one capsule's executor."""

    @property
    def stats(self) -> Sequence[stats.ThreadStats]: ...

    @property
    def concurrency(self) -> int: ...

    def busy_count(self) -> int: ...


class MeteredCapsule(Protocol):
    @property
    def executor(self) -> MeteredExecutor: ...


class MeteredProcess(Protocol):
    """A worker process, as far as its metrics go."""

    @property
    def capsules(self) -> Sequence[MeteredCapsule]: ...


def of_process(process: MeteredProcess) -> ProcessMetrics:
    """This process's numbers, every capsule's together."""
    executors = [cap.executor for cap in process.capsules]
    return ProcessMetrics(
        stats.series_snapshot(s for e in executors for s in e.stats),
        sum(e.busy_count() for e in executors),
        sum(e.concurrency for e in executors),
    )


def read_shared(directory: Path) -> ProcessMetrics:
    """Sum the snapshots of the supervisor's children; unreadable files are skipped."""
    total = ProcessMetrics()
    for path in sorted(directory.glob("*.json")):
        try:
            part = ProcessMetrics.from_json(path.read_text())
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("skipping metrics snapshot %s: %s", path.name, exc)
            continue
        if not _running(path.stem):  # its counts still count; its threads are gone
            part.busy = part.concurrency = 0
        total.add(part)
    return total


def _running(pid_text: str) -> bool:
    try:
        os.kill(int(pid_text), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def write_snapshot(directory: Path, name: str, metrics: ProcessMetrics) -> None:
    """Replace ``<name>.json`` atomically: a scrape never reads half a file."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    with os.fdopen(fd, "w") as out:
        out.write(metrics.to_json())
    os.replace(tmp, directory / f"{name}.json")


class SnapshotWriter:
    """A -p child's thread that rewrites its snapshot every second until stopped.

    A restarted child gets a new file; the supervisor's sums keep counting what the
    old one wrote (counters never go backwards while the supervisor runs).
    """

    def __init__(self, process: MeteredProcess, directory: Path) -> None:
        self.process = process
        self.directory = directory
        self.name = f"{os.getpid()}"
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="workhorse-metrics", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(SHARE_INTERVAL):
            self.flush()

    def flush(self) -> None:
        try:
            write_snapshot(self.directory, self.name, of_process(self.process))
        except OSError as exc:
            log.warning("could not write the metrics snapshot: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        self.flush()
