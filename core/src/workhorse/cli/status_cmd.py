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
@click.option(
    "--shard",
    "shards",
    multiple=True,
    metavar="URL",
    help="Show every shard of a sharded installation (repeat per shard).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Alert mode: print nothing when healthy; exit 1 when a queue's oldest job "
    "is older than --max-latency (for cron and monitoring scripts).",
)
@click.option(
    "--max-latency",
    type=click.FloatRange(0, min_open=True),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="With --check: the oldest job a queue may hold.",
)
@redis_options
def status(
    as_json: bool,
    shards: tuple[str, ...],
    check: bool,
    max_latency: float,
    redis_url: str | None,
    prefix: str,
) -> None:
    """Show processes, busy threads, queues, retry/scheduled/dead counts and totals."""
    urls: list[str | None] = [*shards] if shards else [redis_url]
    reports = [collect(open_inspector(url, prefix)) for url in urls]
    if check:
        raise SystemExit(run_check(reports, max_latency))
    if as_json:
        print_json(reports[0] if not shards else {"shards": reports})
        return
    for data in reports:
        render(data)


def late_queues(data: dict[str, Any], max_latency: float) -> list[dict[str, Any]]:
    """Queues holding a job older than ``max_latency`` seconds (paused ones too: they wait)."""
    return [q for q in data["queues"] if q["size"] and q["latency"] > max_latency]


def run_check(reports: list[dict[str, Any]], max_latency: float) -> int:
    """Print one line per late queue to stderr; 1 if any, else 0 and silence."""
    late = [(data, q) for data in reports for q in late_queues(data, max_latency)]
    for data, q in late:
        where = f" on {data['redis_url']}" if len(reports) > 1 else ""
        click.echo(
            f"queue {q['name']}{where}: oldest job waited {q['latency']:.0f}s "
            f"(limit {max_latency:.0f}s, {q['size']} waiting"
            f"{', paused' if q['paused'] else ''})",
            err=True,
        )
    return 1 if late else 0


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
    out.print(
        table(
            f"Processes ({len(data['processes'])})",
            ["identity", "queues", "busy", "beat", "started", "version", "state"],
            (
                [
                    p["identity"] + (f" [{p['tag']}]" if p.get("tag") else ""),
                    ",".join(p["queues"]),
                    f"{p['busy']}/{p['concurrency']}",
                    ago(p["beat"], now),
                    ago(p["started_at"], now),
                    p["version"],
                    "quiet" if p["quiet"] else "running",
                ]
                for p in data["processes"]
            ),
        )
    )
    out.print(
        table(
            f"Queues ({len(data['queues'])})",
            ["queue", "size", "latency", "state"],
            (
                [
                    q["name"],
                    f"{q['size']:,}",
                    duration(q["latency"]) if q["size"] else "-",
                    "paused" if q["paused"] else "",
                ]
                for q in data["queues"]
            ),
        )
    )
