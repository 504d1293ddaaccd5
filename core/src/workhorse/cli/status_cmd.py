"""``workhorse status``: processes, queues, set sizes and totals at a glance."""

from __future__ import annotations

import time
from typing import Any

import click
from rich.markup import escape

from workhorse.api import Inspector
from workhorse.cli.options import redis_options
from workhorse.cli.output import ago, console, duration, json_option, print_json, table
from workhorse.cli.session import open_inspector
from workhorse.connection import redact


def collect(api: Inspector) -> dict[str, Any]:
    summary = api.stats.summary()
    processes = api.processes.list(with_work=False)
    return {
        "redis_url": redact(api.settings.redis_url or ""),
        "redis_url_source": api.settings.redis_url_source,
        "prefix": api.keys.prefix,
        "totals": summary.to_dict(),
        "leader": api.processes.leader(),
        "processes": [p.to_dict() for p in processes],
        "queues": [
            {"name": q.name, "size": q.size, "latency": round(q.latency, 3), "paused": q.paused}
            for q in api.queues.summaries()
        ],
    }


@click.command()
@json_option
@click.option("--shard", "shards", multiple=True, metavar="URL",
              help="Show every shard of a sharded installation (repeat per shard).")
@redis_options
def status(as_json: bool, shards: tuple[str, ...], redis_url: str | None, prefix: str) -> None:
    """Show processes, busy threads, queues, retry/scheduled/dead counts and totals."""
    urls: list[str | None] = [*shards] if shards else [redis_url]
    reports = [collect(open_inspector(url, prefix)) for url in urls]
    if as_json:
        print_json(reports[0] if not shards else {"shards": reports})
        return
    for data in reports:
        render(data)


def render(data: dict[str, Any]) -> None:
    out = console()
    t = data["totals"]
    prefix = f" prefix {data['prefix']!r}" if data["prefix"] else ""
    source = f" (from {data['redis_url_source']})" if data["redis_url_source"] else ""
    out.print(f"[bold]Redis[/] {escape(data['redis_url'] + prefix + source)}")
    out.print(
        f"processed {t['processed']:,}  failed {t['failed']:,}  busy {t['busy']}  "
        f"enqueued {t['enqueued']:,}  scheduled {t['scheduled']:,}  retries {t['retries']:,}  "
        f"dead {t['dead']:,}"
    )
    if data["leader"]:
        out.print(f"leader {escape(data['leader'])}")
    now = time.time()
    out.print(table(
        f"Processes ({len(data['processes'])})",
        ["identity", "queues", "busy", "beat", "started", "version", "state"],
        ([p["identity"] + (f" [{p['tag']}]" if p.get("tag") else ""), ",".join(p["queues"]),
          f"{p['busy']}/{p['concurrency']}", ago(p["beat"], now), ago(p["started_at"], now),
          p["version"], "quiet" if p["quiet"] else "running"] for p in data["processes"]),
    ))
    out.print(table(
        f"Queues ({len(data['queues'])})", ["queue", "size", "latency", "state"],
        ([q["name"], f"{q['size']:,}", duration(q["latency"]) if q["size"] else "-",
          "paused" if q["paused"] else ""] for q in data["queues"]),
    ))
