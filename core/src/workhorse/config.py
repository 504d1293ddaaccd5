"""Frozen settings for clients and workers: explicit value > environment > default."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from workhorse.compat import DEFAULT, GENERATIONS, SUPPORTED, Generation
from workhorse.compat import TimestampFormat as TimestampFormat  # re-exported
from workhorse.errors import ConfigError, InputError

LogFormat = Literal["text", "json"]
EVENT_LOOPS = ("auto", "asyncio", "uvloop")  # Settings.event_loop

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_.:\-{}|]+$")


@dataclass(frozen=True, slots=True)
class QueueWeight:
    name: str
    weight: int = 0


def parse_queue(spec: str) -> QueueWeight:
    """Parse ``-q`` values: ``name`` or ``name,weight`` (weight a positive int)."""
    name, sep, weight_text = spec.strip().partition(",")
    name = name.strip()
    if not name or not _QUEUE_NAME.match(name):
        raise InputError(
            f"invalid queue {spec!r}: use NAME or NAME,WEIGHT with letters, digits, "
            "'_', '-', '.', ':' in the name, e.g. -q critical,3"
        )
    if not sep:
        return QueueWeight(name)
    try:
        weight = int(weight_text)
    except ValueError:
        raise InputError(
            f"invalid queue weight in {spec!r}: the weight must be a whole number, e.g. -q {name},3"
        ) from None
    if weight < 1:
        raise InputError(f"invalid queue weight in {spec!r}: the weight must be 1 or more")
    return QueueWeight(name, weight)


def parse_queues(specs: Sequence[str]) -> tuple[QueueWeight, ...]:
    parsed: dict[str, QueueWeight] = {}
    for spec in specs:
        for part in _split_specs(spec):
            queue = parse_queue(part)
            parsed[queue.name] = queue
    return tuple(parsed.values()) or (QueueWeight("default"),)


DEFAULT_CAPSULE = "default"
_CAPSULE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CAPSULE_FORMAT = (
    "NAME:QUEUES:THREADS, e.g. --capsule serial:payments:1 or "
    "--capsule 'bulk:reports,3 exports,1:20'"
)


@dataclass(frozen=True, slots=True)
class CapsuleSpec:
    """A named set of queues worked by threads of its own in every worker process
    (Sidekiq 7's capsules, issue 22). ``prefetch`` None: ``Settings.prefetch``."""

    name: str
    queues: tuple[QueueWeight, ...]
    concurrency: int
    prefetch: int | None = None


def capsule(
    name: str, queues: Sequence[str], concurrency: int, prefetch: int | None = None
) -> CapsuleSpec:
    """The code API: ``Settings(capsules=(capsule("serial", ["payments"], 1),))``."""
    return CapsuleSpec(name, parse_queues(queues) if queues else (), concurrency, prefetch)


def parse_capsule(spec: str) -> CapsuleSpec:
    """Parse ``--capsule NAME:QUEUES:THREADS``; QUEUES as ``-q`` takes them, space-separated.

    Queue names may hold ':', so the name ends at the first ':' and THREADS starts
    after the last."""
    name, _, rest = spec.strip().partition(":")
    queues, _, threads_text = rest.rpartition(":")
    if not name or not queues.strip() or not threads_text:
        raise InputError(f"invalid capsule {spec!r}: use {CAPSULE_FORMAT}")
    try:
        threads = int(threads_text)
    except ValueError:
        raise InputError(
            f"invalid capsule {spec!r}: THREADS must be a whole number, got {threads_text!r}"
        ) from None
    return CapsuleSpec(name, parse_queues([queues]), threads)


def _check_capsules(default_queues: Sequence[QueueWeight], capsules: Sequence[CapsuleSpec]) -> None:
    owner = {q.name: DEFAULT_CAPSULE for q in default_queues}
    for cap in capsules:
        if not _CAPSULE_NAME.match(cap.name) or cap.name == DEFAULT_CAPSULE:
            raise ConfigError(
                f"invalid capsule name {cap.name!r}: use letters, digits, '_' or '-' (at most "
                f"64), and not {DEFAULT_CAPSULE!r}, which is the capsule -q and -c describe"
            )
        if cap.concurrency < 1 or (cap.prefetch is not None and cap.prefetch < 0):
            raise ConfigError(
                f"capsule {cap.name!r} needs 1 or more threads and a prefetch of 0 or more, "
                f"got {cap.concurrency} threads, prefetch {cap.prefetch}"
            )
        if not cap.queues:
            raise ConfigError(f"capsule {cap.name!r} has no queues: give it at least one")
        for queue in cap.queues:
            # One owner per queue, or a serial capsule's queue could run beside itself.
            if queue.name in owner:
                raise ConfigError(
                    f"queue {queue.name!r} is in capsules {owner[queue.name]!r} and "
                    f"{cap.name!r}: a queue belongs to one capsule; remove it from one of them"
                )
            owner[queue.name] = cap.name


def _split_specs(spec: str) -> list[str]:
    # "-q a,2 -q b" is the documented form; also accept "a,2 b" in one env var.
    return [part for part in spec.split() if part]


def _check_durations(settings: Settings) -> None:
    if settings.job_timeout is not None and not 0 < settings.job_timeout < float("inf"):
        raise ConfigError(
            f"job timeout must be a positive number of seconds, got {settings.job_timeout!r}"
        )
    if not 0 <= settings.timeout_grace < float("inf"):
        raise ConfigError(f"timeout grace must be >= 0 seconds, got {settings.timeout_grace!r}")
    if settings.shutdown_timeout < 0 or settings.poll_interval <= 0:
        raise ConfigError("shutdown timeout must be >= 0 and poll interval > 0")
    if not 0 <= settings.reply_poll_us <= 10_000:
        raise ConfigError(
            f"reply poll must be 0 (sleep until Redis replies) to 10000 microseconds, "
            f"got {settings.reply_poll_us!r}"
        )


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r} is not a number") from None


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise InputError(f"{name}={env[name]!r} is not a yes/no value; use 1 or 0")


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(_env_float(env, name, default))


def parse_compat(value: str | int, source: str = "--sidekiq-compat") -> int:
    """``6``, ``7`` or ``8``: the Sidekiq major version that shares the Redis."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number not in SUPPORTED:
        raise ConfigError(
            f"{source}={value!r} is not a Sidekiq generation workhorse knows: use 6, 7 or 8, "
            "the major version of the oldest Ruby Sidekiq sharing this Redis"
        )
    return number


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a client or worker process is configured with."""

    # Out of repr: the URL may carry a password (workhorse.redaction.redact shows it safely).
    redis_url: str | None = field(default=None, repr=False)
    # Where redis_url came from ("argument", "WORKHORSE_REDIS_URL", "REDIS_URL", ...), so
    # start lines and errors can say it; workhorse.connection.resolve fills it when unset.
    redis_url_source: str = ""
    prefix: str = ""
    queues: tuple[QueueWeight, ...] = (QueueWeight("default"),)
    concurrency: int = 10
    # Capsules beside the default one (queues + concurrency above), issue 22.
    capsules: tuple[CapsuleSpec, ...] = ()
    processes: int = 1
    shutdown_timeout: float = 25.0
    # Average seconds between scheduled/retry polls of one process. Sidekiq
    # polls every ~5 s; we poll often and sleep exactly until the next due job.
    poll_interval: float = 0.5
    heartbeat_interval: float = 10.0
    process_ttl: float = 60.0
    fetch_timeout: float = 2.0
    # Jobs per thread a process may fetch beyond its idle threads while jobs are
    # fast (under 2 ms). With basic fetch they are lost if the process is killed;
    # 0 = Sidekiq's exposure, at most one job per thread. See docs/reliable-fetch.md.
    prefetch: int = 8
    # How many ``async def`` jobs each process runs at once as tasks on its event loop
    # (issue 24), beside and apart from the job threads; 0 runs them on job threads.
    async_concurrency: int = 200
    # The process's event loop: "auto" takes uvloop's when uvloop is installed (about a
    # fifth less CPU per async job), else asyncio's; "asyncio" or "uvloop" insist on one
    # (uvloop must then be installed).
    event_loop: str = "auto"
    # Microseconds a pushing thread polls its socket for Redis's reply before it sleeps
    # (workhorse.wire.ReplyWait): where Redis answers within it (on the same host) a push
    # takes about half as long; 0 always sleeps.
    reply_poll_us: float = 50.0
    # The oldest Ruby Sidekiq sharing the Redis (6, 7 or 8); decides what is
    # written in that generation's form (workhorse.compat).
    sidekiq_compat: int = DEFAULT
    # Overrides the generation's job-timestamp format (the older --timestamps).
    timestamps: TimestampFormat | None = None
    max_retries: int = 25
    dead_max_jobs: int = 10_000
    dead_timeout: float = 180 * 24 * 3600.0
    strict_args: bool = True
    # Issue 18: the time limit of jobs that set none (None: no limit), and how long a
    # thread job may ignore its JobTimeout before its thread is abandoned.
    job_timeout: float | None = None
    timeout_grace: float = 10.0
    require: tuple[str, ...] = ()
    tag: str = ""
    labels: tuple[str, ...] = ()
    log_format: LogFormat = "text"
    log_level: str = "INFO"
    # A "start" and a "done: <seconds>" line at INFO per job (Sidekiq's job logger). Off by
    # default: Python's logging costs ~30 µs a line, six times a no-op job (issue 20).
    job_logs: bool = False
    # HTTP ports for /livez + /readyz and for /metrics; None = not served, 0 = any free port.
    health_port: int | None = None
    metrics_port: int | None = None
    # Address the health and metrics ports listen on (all interfaces: kubelet and
    # Prometheus reach the pod's IP).
    http_host: str = "0.0.0.0"
    extras: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``WORKHORSE_*`` variables, then explicit ``overrides``."""
        env = os.environ if env is None else env
        url_source = next((n for n in ("WORKHORSE_REDIS_URL", "REDIS_URL") if env.get(n)), "")
        values: dict[str, object] = {
            "redis_url": env.get(url_source) if url_source else None,
            "redis_url_source": url_source,
            "prefix": env.get("WORKHORSE_PREFIX", ""),
            "concurrency": _env_int(env, "WORKHORSE_CONCURRENCY", 10),
            "shutdown_timeout": _env_float(env, "WORKHORSE_SHUTDOWN_TIMEOUT", 25.0),
            "poll_interval": _env_float(env, "WORKHORSE_POLL_INTERVAL", 0.5),
            "heartbeat_interval": _env_float(env, "WORKHORSE_HEARTBEAT_INTERVAL", 10.0),
            "fetch_timeout": _env_float(env, "WORKHORSE_FETCH_TIMEOUT", 2.0),
            "job_timeout": _env_float(env, "WORKHORSE_JOB_TIMEOUT", 0.0) or None,
            "sidekiq_compat": parse_compat(
                env.get("WORKHORSE_SIDEKIQ_COMPAT") or DEFAULT, "WORKHORSE_SIDEKIQ_COMPAT"
            ),
            "timestamps": env.get("WORKHORSE_TIMESTAMPS") or None,
            "prefetch": _env_int(env, "WORKHORSE_PREFETCH", 8),
            "async_concurrency": _env_int(env, "WORKHORSE_ASYNC_CONCURRENCY", 200),
            "event_loop": env.get("WORKHORSE_EVENT_LOOP") or "auto",
            "reply_poll_us": _env_float(env, "WORKHORSE_REPLY_POLL_US", 50.0),
            "log_format": env.get("WORKHORSE_LOG_FORMAT", "text"),
            "job_logs": _env_bool(env, "WORKHORSE_JOB_LOGS", False),
        }
        if env.get("WORKHORSE_QUEUES"):
            values["queues"] = parse_queues([env["WORKHORSE_QUEUES"]])
        values.update({k: v for k, v in overrides.items() if v is not None})
        if overrides.get("redis_url") is not None and not overrides.get("redis_url_source"):
            values["redis_url_source"] = "argument"
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def with_changes(self, **changes: object) -> Settings:
        if changes.get("redis_url") and "redis_url_source" not in changes:
            changes["redis_url_source"] = "argument"
        updated = replace(self, **changes)  # type: ignore[arg-type]
        updated.validate()
        return updated

    def validate(self) -> None:
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be 1 or more, got {self.concurrency}")
        if self.prefetch < 0:
            raise ConfigError(
                f"prefetch must be 0 (no jobs held beyond the running ones) or more, "
                f"got {self.prefetch}"
            )
        if self.async_concurrency < 0:
            raise ConfigError(
                f"async concurrency must be 0 (async jobs run on job threads) or more, "
                f"got {self.async_concurrency}"
            )
        if self.event_loop not in EVENT_LOOPS:
            raise ConfigError(
                f"event loop must be 'auto' (uvloop if installed), 'asyncio' or 'uvloop', "
                f"got {self.event_loop!r}"
            )
        if self.processes < 1:
            raise ConfigError(f"processes must be 1 or more, got {self.processes}")
        if isinstance(self.sidekiq_compat, bool) or self.sidekiq_compat not in SUPPORTED:
            raise ConfigError(
                f"sidekiq_compat must be 6, 7 or 8 (the major version of the oldest Ruby "
                f"Sidekiq sharing this Redis), got {self.sidekiq_compat!r}"
            )
        if self.timestamps not in (None, "ms", "float"):
            raise ConfigError(
                f"timestamp format must be 'ms' (Sidekiq 8) or 'float' (Sidekiq 6 and 7), "
                f"got {self.timestamps!r}"
            )
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"log format must be 'text' or 'json', got {self.log_format!r}")
        _check_durations(self)
        _check_capsules(self.queues, self.capsules)

    @property
    def capsule_specs(self) -> tuple[CapsuleSpec, ...]:
        """Every capsule a worker process runs: the default one (-q, -c) first."""
        default = CapsuleSpec(DEFAULT_CAPSULE, self.queues, self.concurrency, self.prefetch)
        return (default, *self.capsules)

    @property
    def total_concurrency(self) -> int:
        """Job threads per worker process, over all capsules."""
        return sum(cap.concurrency for cap in self.capsule_specs)

    @property
    def generation(self) -> Generation:
        """What the configured Sidekiq generation reads (see workhorse.compat)."""
        return GENERATIONS[self.sidekiq_compat]

    @property
    def timestamp_format(self) -> TimestampFormat:
        """How job times are written: the override, else the generation's format."""
        return self.timestamps or self.generation.timestamps

    @property
    def strict_order(self) -> bool:
        """Strict priority when no queue has a weight (Sidekiq's rule)."""
        return all(q.weight == 0 for q in self.queues)
