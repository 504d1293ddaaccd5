"""``workhorse doctor``: check the installation and say how to fix each problem."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Literal

import click
import redis
from rich.text import Text

from workhorse import embedded, plugins
from workhorse.cli.exits import EXIT_FAILED
from workhorse.cli.options import redis_options
from workhorse.cli.output import console, json_option, print_json, table
from workhorse.connection import LOCAL_DEFAULT, RedisTarget, connect, redact, resolve
from workhorse.keys import Keys

Level = Literal["ok", "warn", "fail", "info"]
MIN_REDIS = (6, 2)
MAX_SKEW = 1.0  # seconds; schedules are precise to well under a second (DESIGN.md)


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""


def check_redis(explicit: str | None) -> tuple[list[Check], redis.Redis | None]:
    target: RedisTarget | None = None
    try:
        target = resolve(explicit)
        client = connect(target.url)
        started = time.perf_counter()
        client.ping()
        rtt = time.perf_counter() - started
    except Exception as exc:  # noqa: BLE001 - every failure here is the finding
        place = str(target) if target else "(no URL could be resolved)"
        return [
            Check(
                "redis",
                "fail",
                f"cannot reach Redis at {place}: {exc}",
                "start Redis, or pass --redis-url / set WORKHORSE_REDIS_URL to a running "
                "server (redis://host:6379/0, rediss://..., unix:///path/redis.sock)",
            )
        ], None
    checks = [
        Check(
            "redis",
            "ok",
            f"{redact(target.url)} answered in {rtt * 1000:.1f} ms (from {target.source})",
        )
    ]
    return checks + check_server(client), client


def check_server(client: redis.Redis) -> list[Check]:
    info = client.info("server")
    name = "valkey" if info.get("valkey_version") else "redis"
    text = str(info.get("valkey_version") or info.get("redis_version", "0"))
    parts = tuple(int(p) for p in str(info.get("redis_version", "0")).split(".")[:2] if p.isdigit())
    checks = [
        Check("redis version", "ok", f"{name} {text}")
        if parts >= MIN_REDIS
        else Check(
            "redis version",
            "fail",
            f"{name} {text} is older than 6.2",
            "upgrade to Redis 6.2 or newer (or Valkey 7.2+)",
        )
    ]
    policy = str(client.info("memory").get("maxmemory_policy", "noeviction"))
    if policy != "noeviction":
        checks.append(
            Check(
                "eviction",
                "warn",
                f"maxmemory-policy is {policy}: Redis may silently drop jobs when memory is full",
                "set maxmemory-policy noeviction (CONFIG SET or redis.conf)",
            )
        )
    return [*checks, check_clock(client)]


def check_clock(client: redis.Redis) -> Check:
    before = time.time()
    seconds, micros = client.time()
    after = time.time()
    skew = (seconds + micros / 1e6) - (before + after) / 2
    detail = f"this host and Redis differ by {skew * 1000:+.0f} ms"
    if abs(skew) <= MAX_SKEW:
        return Check("clock", "ok", detail)
    return Check(
        "clock",
        "fail",
        detail + " (scheduled jobs and retries will run early or late)",
        "sync the clocks with NTP (timedatectl set-ntp true, or chrony) on every host",
    )


def check_embedded(explicit: str | None) -> Check:
    state = embedded.status()
    configured = explicit or os.environ.get("WORKHORSE_REDIS_URL") or os.environ.get("REDIS_URL")
    if state.running:
        return Check(
            "embedded",
            "info",
            f"running ({state.binary} {state.version}) at "
            f"{state.url}, data in {state.data_dir}, {len(state.clients)} client(s)",
        )
    if state.binary:
        return Check(
            "embedded",
            "info",
            f"available: {state.binary} {state.version} "
            f"({state.binary_source}); data would live in {state.data_dir}",
        )
    if configured or _local_answers():
        return Check(
            "embedded",
            "info",
            "no redis-server/valkey-server found (not needed: a Redis is configured)",
        )
    return Check(
        "embedded",
        "fail",
        "no Redis configured and no server binary to start one",
        embedded.binary.INSTALL_HINT,
    )


def _local_answers() -> bool:
    from workhorse.connection import _answers

    return os.environ.get("WORKHORSE_NO_LOCALHOST") != "1" and _answers(LOCAL_DEFAULT)


def check_plugins(client: redis.Redis | None = None, keys: Keys | None = None) -> list[Check]:
    checks = [
        Check("plugin load", "fail", str(f), "reinstall the package, or uninstall it")
        for f in plugins.failures()
    ]
    for report in plugins.diagnostics(client, keys):
        detail = "; ".join(
            [
                f"{report.name} {report.version}: license {report.license_state}",
                *report.problems,
                *report.notes,
            ]
        )
        level: Level = "fail" if not report.ok else ("warn" if report.problems else "ok")
        fix = {"ok": "", "warn": "see the detail: it says what to do"}.get(
            level,
            "set WORKHORSE_LICENSE (or WORKHORSE_LICENSE_FILE) to a valid key; run "
            "`workhorse version` for details",
        )
        checks.append(Check("plugin", level, detail, fix))
    if not checks:
        checks.append(Check("plugins", "info", "none installed (free core only)"))
    return checks


def run_checks(explicit: str | None, prefix: str = "") -> list[Check]:
    checks, client = check_redis(explicit)
    checks.append(check_embedded(explicit))
    checks += check_plugins(client, Keys(prefix))
    if client is not None:
        client.close()
    return checks


@click.command()
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
@json_option
@redis_options
def doctor(strict: bool, as_json: bool, redis_url: str | None, prefix: str) -> None:
    """Check Redis (reachability, version, clock), the embedded server, plugins and licenses."""
    checks = run_checks(redis_url, prefix)
    failing = {"fail", "warn"} if strict else {"fail"}
    problems = [c for c in checks if c.level in failing]
    if as_json:
        print_json({"ok": not problems, "checks": [asdict(c) for c in checks]})
    else:
        marks = {
            "ok": Text("ok", "green"),
            "info": Text("info", "blue"),
            "warn": Text("warn", "yellow"),
            "fail": Text("FAIL", "bold red"),
        }
        out = console()
        out.print(
            table(
                None,
                ["check", "", "detail", "how to fix"],
                ([c.name, marks[c.level], c.detail, c.fix] for c in checks),
            )
        )
        out.print("no problems found" if not problems else f"{len(problems)} problem(s) found")
    if problems:
        raise SystemExit(EXIT_FAILED)
