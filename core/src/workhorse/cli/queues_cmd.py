"""``workhorse queues``: list queues, show their jobs, delete one job, clear a queue."""

from __future__ import annotations

import click

from workhorse.cli.exits import NotFound
from workhorse.cli.options import page_options, redis_options
from workhorse.cli.output import (
    console,
    duration,
    json_option,
    print_json,
    short,
    table,
)
from workhorse.cli.session import open_inspector


@click.group(invoke_without_command=True)
@json_option
@redis_options
@click.pass_context
def queues(ctx: click.Context, as_json: bool, redis_url: str | None, prefix: str) -> None:
    """List queues with size and latency (subcommands: list, jobs, delete, clear)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_queues, as_json=as_json, redis_url=redis_url, prefix=prefix)


@queues.command("list")
@json_option
@redis_options
def list_queues(as_json: bool, redis_url: str | None, prefix: str) -> None:
    """Every known queue with its size, latency and pause state."""
    summaries = open_inspector(redis_url, prefix).queues.summaries()
    if as_json:
        print_json(
            [
                {"name": q.name, "size": q.size, "latency": round(q.latency, 3), "paused": q.paused}
                for q in summaries
            ]
        )
        return
    console().print(
        table(
            None,
            ["queue", "size", "latency", "state"],
            (
                [
                    q.name,
                    f"{q.size:,}",
                    duration(q.latency) if q.size else "-",
                    "paused" if q.paused else "",
                ]
                for q in summaries
            ),
        )
    )


@queues.command("jobs")
@click.argument("name")
@page_options()
@json_option
@redis_options
def queue_jobs(
    name: str, limit: int, offset: int, as_json: bool, redis_url: str | None, prefix: str
) -> None:
    """Jobs waiting in queue NAME, next to run first."""
    api = open_inspector(redis_url, prefix)
    records = api.queues[name].page(offset, limit)
    if not records and name not in api.queues.names():
        raise NotFound(
            f"no queue named {name!r}; known queues: "
            f"{', '.join(api.queues.names()) or '(none)'} (see: workhorse queues)"
        )
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    console().print(
        table(
            f"queue {name}",
            ["jid", "class", "args", "enqueued"],
            (
                [r.jid, r.display_name, short(r.args), duration_since(r.enqueued_at)]
                for r in records
            ),
        )
    )


def duration_since(epoch: float | None) -> str:
    import time

    return f"{duration(max(0.0, time.time() - epoch))} ago" if epoch else ""


@queues.command("delete")
@click.argument("name")
@click.argument("jid")
@redis_options
def delete_job(name: str, jid: str, redis_url: str | None, prefix: str) -> None:
    """Delete the job JID from queue NAME."""
    if not open_inspector(redis_url, prefix).queues[name].delete_jid(jid):
        raise NotFound(
            f"no job {jid} in queue {name}; it may have run already "
            f"(see: workhorse queues jobs {name})"
        )
    click.echo(f"deleted {jid} from queue {name}")


@queues.command("clear")
@click.argument("name")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@redis_options
def clear(name: str, yes: bool, redis_url: str | None, prefix: str) -> None:
    """Delete every job in queue NAME (asks first unless --yes)."""
    api = open_inspector(redis_url, prefix)
    if name not in api.queues.names() and api.queues[name].size() == 0:
        raise NotFound(
            f"no queue named {name!r}; known queues: {', '.join(api.queues.names()) or '(none)'}"
        )
    size = api.queues[name].size()
    if not yes:
        click.confirm(f"delete all {size:,} jobs in queue {name}?", abort=True)
    removed = api.queues[name].clear()
    click.echo(f"cleared queue {name}: {removed:,} jobs deleted")
