"""Live worker processes (workhorse's and Ruby Sidekiq's) and remote signals."""

from __future__ import annotations

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
        return list(dict.fromkeys(self.info.get("queues", [])))

    @property
    def version(self) -> str:
        return str(self.info.get("version", ""))

    @property
    def started_at(self) -> float:
        return float(self.info.get("started_at", 0))

    @property
    def is_ruby(self) -> bool:
        return not self.version.startswith("workhorse")

    def to_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "hostname": self.hostname,
            "pid": self.pid,
            "queues": self.queues,
            "busy": self.busy,
            "concurrency": self.concurrency,
            "beat": self.beat,
            "quiet": self.quiet,
            "rss_kb": self.rss_kb,
            "version": self.version,
            "started_at": self.started_at,
            "tag": self.info.get("tag"),
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


class Processes:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.redis = client
        self.keys = keys

    def identities(self) -> list[str]:
        return sorted(cast(set[str], self.redis.smembers(self.keys.processes)))

    def list(self, with_work: bool = True) -> list[ProcessInfo]:
        """Processes whose heartbeat is alive (members whose hash expired are skipped)."""
        identities = self.identities()
        pipe = self.redis.pipeline(transaction=False)
        for identity in identities:
            pipe.hgetall(self.keys.process(identity))
            if with_work:
                pipe.hgetall(self.keys.work(identity))
        results = pipe.execute()
        step = 2 if with_work else 1
        found = []
        for i, identity in enumerate(identities):
            fields = results[i * step]
            if not fields:
                continue
            work = results[i * step + 1] if with_work else {}
            found.append(_process(identity, fields, work))
        return found

    def get(self, identity: str) -> ProcessInfo | None:
        return next((p for p in self.list() if p.identity == identity), None)

    def signal(self, identity: str, name: str) -> None:
        """Send ``TSTP`` (quiet), ``TERM`` (stop) or ``TTIN`` (dump threads).

        The process acts on it at its next heartbeat."""
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
        identities = [p.identity for p in self.list(with_work=False)]
        for identity in identities:
            self.signal(identity, name)
        return len(identities)

    def leader(self) -> str | None:
        """Enterprise's elected leader identity (``dear-leader``), if any."""
        value = self.redis.get(self.keys.key("dear-leader"))
        return str(value) if value else None


def _process(identity: str, fields: dict[str, str], work: dict[str, str]) -> ProcessInfo:
    try:
        info = payload.loads(fields.get("info", "{}"))
    except ValueError:
        info = {}
    concurrency = fields.get("concurrency") or info.get("concurrency") or 0
    running = []
    for thread, entry in sorted(work.items()):
        try:
            data = payload.loads(entry)
        except ValueError:
            continue
        raw = data.get("payload")
        raw = raw if isinstance(raw, str) else payload.encode(raw or {})
        running.append(
            Running(
                thread,
                str(data.get("queue", "")),
                JobRecord(raw),
                float(payload.seconds(data.get("run_at")) or 0),
            )
        )
    return ProcessInfo(
        identity=identity,
        info=info if isinstance(info, dict) else {},
        busy=int(fields.get("busy") or 0),
        beat=float(fields.get("beat") or 0),
        quiet=fields.get("quiet") == "true",
        rss_kb=int(float(fields.get("rss") or 0)),
        concurrency=int(concurrency),
        running=running,
    )
