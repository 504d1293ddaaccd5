"""Live worker processes (workhorse's and Ruby Sidekiq's) and remote signals."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

import redis

from workhorse import payload
from workhorse.api.records import JobRecord
from workhorse.keys import Keys


@dataclass(frozen=True)
class Running:
    thread: str
    queue: str
    job: JobRecord
    run_at: float


@dataclass(frozen=True)
class CapsuleInfo:
    """One capsule of a process (Sidekiq 7+ and workhorse advertise them, issue 22)."""

    name: str
    concurrency: int
    queues: list[str]


@dataclass(frozen=True)
class ProcessInfo:
    identity: str
    info: dict[str, Any]
    busy: int
    beat: float
    quiet: bool
    rss_kb: int
    concurrency: int
    running: list[Running] = field(default_factory=list)

    @property
    def hostname(self) -> str:
        return str(self.info.get("hostname", self.identity.rsplit(":", 2)[0]))

    @property
    def pid(self) -> int:
        return int(self.info.get("pid", 0))

    @property
    def queues(self) -> list[str]:
        """Each queue once, in the order the process listed them."""
        queues = self.info.get("queues", [])
        if not isinstance(queues, list):
            raise ValueError(f"queues is a {type(queues).__name__}, not a list")
        return list(dict.fromkeys(str(q) for q in queues))

    @property
    def capsules(self) -> list[CapsuleInfo]:
        """The capsules the process advertises; entries another program wrote in some
        other shape are left out (a process without capsules lists none)."""
        raw = self.info.get("capsules")
        if not isinstance(raw, dict):
            return []
        found = []
        for name, capsule in raw.items():
            if not isinstance(capsule, dict):
                continue
            threads, weights = capsule.get("concurrency"), capsule.get("weights")
            if (
                isinstance(threads, int)
                and not isinstance(threads, bool)
                and isinstance(weights, dict)
            ):
                found.append(CapsuleInfo(str(name), threads, [str(q) for q in weights]))
        return found

    @property
    def version(self) -> str:
        return str(self.info.get("version", ""))

    @property
    def started_at(self) -> float:
        started = float(self.info.get("started_at", 0))
        if not math.isfinite(started):
            raise ValueError(f"started_at is {started}")
        return started

    @property
    def group(self) -> str | None:
        """``<hostname>:<supervisor pid>`` for one of `workhorse worker -p N`'s processes."""
        pid = self.info.get("supervisor_pid")
        valid = isinstance(pid, int) and not isinstance(pid, bool) and pid > 0
        return f"{self.hostname}:{pid}" if valid else None

    @property
    def is_ruby(self) -> bool:
        return not self.version.startswith("workhorse")

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "hostname": self.hostname,
            "pid": self.pid,
            "queues": self.queues,
            "capsules": [
                {"name": c.name, "concurrency": c.concurrency, "queues": c.queues}
                for c in self.capsules
            ],
            "busy": self.busy,
            "concurrency": self.concurrency,
            "beat": self.beat,
            "quiet": self.quiet,
            "rss_kb": self.rss_kb,
            "version": self.version,
            "started_at": self.started_at,
            "tag": self.info.get("tag"),
            "group": self.group,
            "running": [
                {
                    "thread": r.thread,
                    "queue": r.queue,
                    "run_at": r.run_at,
                    "jid": r.job.jid,
                    "class": r.job.display_name,
                    "args": r.job.args,
                }
                for r in self.running
            ],
        }


@dataclass(frozen=True)
class Unreadable:
    """A live process whose record in Redis cannot be read (another program wrote it)."""

    identity: str
    reason: str

    def __str__(self) -> str:
        return f"{self.identity}: {self.reason}"


@dataclass(frozen=True)
class ProcessScan:
    processes: list[ProcessInfo]
    unreadable: list[Unreadable]


class Processes:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def identities(self) -> list[str]:
        return sorted(cast(set[str], self.redis.smembers(self.keys.processes)))

    def group_members(self, group: str) -> list[str]:
        """Identities of the live processes of one `-p N` worker (see ProcessInfo.group)."""
        return [p.identity for p in self.list(with_work=False) if p.group == group]

    def list(self, with_work: bool = True) -> list[ProcessInfo]:
        """Processes whose heartbeat is alive (members whose hash expired are skipped)."""
        return self.read(with_work).processes

    def read(self, with_work: bool = True) -> ProcessScan:
        """Live processes, and apart from them those whose record is malformed: one bad
        heartbeat must not take every page that lists processes down with it.

        Running jobs are read under both names: ``<identity>:work`` (Sidekiq 7+,
        workhorse by default) and ``<identity>:workers`` (Sidekiq 6)."""
        identities = self.identities()
        pipe = self.redis.pipeline(transaction=False)
        for identity in identities:
            pipe.hgetall(self.keys.process(identity))
            if with_work:
                pipe.hgetall(self.keys.workers(identity))
                pipe.hgetall(self.keys.work(identity))
        results = pipe.execute()
        step = 3 if with_work else 1
        found, unreadable = [], []
        for i, identity in enumerate(identities):
            fields = results[i * step]
            if not fields:
                continue
            work = {**results[i * step + 1], **results[i * step + 2]} if with_work else {}
            try:
                found.append(_process(identity, fields, work))
            except (ValueError, TypeError, AttributeError) as exc:
                unreadable.append(Unreadable(identity, str(exc)))
        return ProcessScan(found, unreadable)

    def get(self, identity: str) -> ProcessInfo | None:
        return next((p for p in self.list() if p.identity == identity), None)

    def signal(self, identity: str, name: str) -> None:
        """Send ``TSTP`` (quiet), ``TERM`` (stop) or ``TTIN`` (dump threads).

        A workhorse process acts on it within about a second, Ruby Sidekiq at its
        next heartbeat (5 s in 6.x, 10 s from 7.0)."""
        if name not in ("TSTP", "TERM", "TTIN"):
            raise ValueError(f"unknown signal {name!r}: use TSTP, TERM or TTIN")
        key = self.keys.signals(identity)
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(key, name)
        pipe.expire(key, 60)
        pipe.execute()

    def quiet(self, identity: str) -> None:
        self.signal(identity, "TSTP")

    def stop(self, identity: str) -> None:
        self.signal(identity, "TERM")

    def quiet_all(self) -> int:
        return self._all("TSTP")

    def stop_all(self) -> int:
        return self._all("TERM")

    def _all(self, name: str) -> int:
        scan = self.read(with_work=False)  # a malformed record is still a live process
        identities = [p.identity for p in scan.processes] + [u.identity for u in scan.unreadable]
        for identity in identities:
            self.signal(identity, name)
        return len(identities)

    def leader(self) -> str | None:
        """Enterprise's elected leader identity (``dear-leader``), if any."""
        value = self.redis.get(self.keys.key("dear-leader"))
        return str(value) if value else None


def _process(identity: str, fields: dict[str, str], work: dict[str, str]) -> ProcessInfo:
    """One heartbeat hash as a :class:`ProcessInfo`; ``ValueError`` saying which field is bad."""
    try:
        info = payload.loads(fields.get("info") or "{}")
    except ValueError:
        raise ValueError("field info is not JSON") from None
    if not isinstance(info, dict):
        raise ValueError(f"field info is a JSON {type(info).__name__}, not an object")
    process = ProcessInfo(
        identity=identity,
        info=info,
        busy=int(_number(fields, "busy")),
        beat=_number(fields, "beat"),
        quiet=fields.get("quiet") == "true",
        rss_kb=int(_number(fields, "rss")),
        concurrency=int(_number(fields, "concurrency", info.get("concurrency"))),
        running=[r for r in (_running(t, e) for t, e in sorted(work.items())) if r is not None],
    )
    try:
        process.to_dict()  # every derived field (pid, started_at, queues ...) reads cleanly
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"field info has a bad value ({exc})") from None
    return process


def _number(fields: dict[str, str], name: str, fallback: object = None) -> float:
    raw = fields.get(name) or fallback or 0
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"field {name} is not a number: {str(raw)[:40]!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"field {name} is not a finite number: {str(raw)[:40]!r}")
    return value


def _running(thread: str, entry: str) -> Running | None:
    """One running-job entry: ``payload`` is the job string (Sidekiq >= 6.0) or, from
    older writers, the job object; ``run_at`` epoch seconds."""
    data = _json_object(entry)
    if not data:
        return None
    raw = data.get("payload")
    if not isinstance(raw, str):
        try:
            raw = payload.dumps(raw if isinstance(raw, dict) else {})
        except ValueError:  # NaN or Infinity inside
            raw = "{}"
    run_at = float(payload.seconds(data.get("run_at")) or 0)
    run_at = run_at if math.isfinite(run_at) else 0.0
    return Running(thread, str(data.get("queue") or ""), JobRecord(raw), run_at)


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        value = payload.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
