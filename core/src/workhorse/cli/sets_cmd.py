"""``workhorse retries|scheduled|dead``: list, show, retry now, delete and kill jobs of a set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import click
from rich.markup import escape

from workhorse.api import JobRecord, JobSet
from workhorse.cli.exits import NotFound
from workhorse.cli.options import page_options, redis_options
from workhorse.cli.output import (
    ago,
    console,
    json_option,
    print_json,
    short,
    table,
)
from workhorse.cli.session import open_inspector

SCAN_LIMIT = 100_000  # filters scan at most this many jobs, page by page


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    fn = click.option(
        "--grep",
        default=None,
        metavar="TEXT",
        help="Only jobs whose JSON contains TEXT (args, error message...).",
    )(fn)
    fn = click.option("--queue", "queue", default=None, help="Only jobs of this queue.")(fn)
    fn = click.option(
        "--class", "klass", default=None, metavar="NAME", help="Only jobs of this job name."
    )(fn)
    return fn


def matching(
    job_set: JobSet, klass: str | None, queue: str | None, grep: str | None
) -> Iterator[JobRecord]:
    source = job_set.search(grep, limit=SCAN_LIMIT) if grep else iter(job_set)
    for record in source:
        if klass and klass not in (record.klass, record.display_name):
            continue
        if queue and record.queue != queue:
            continue
        yield record


def _row(set_name: str, record: JobRecord) -> list[object]:
    when = ago(record.score)
    error = f"{record.error_class}: {record.error_message}" if record.error_class else ""
    row: list[object] = [
        record.jid,
        record.display_name,
        record.queue,
        short(record.args, 40),
        when,
    ]
    if set_name != "schedule":
        row += [record.retry_count if record.retry_count is not None else "", short(error, 50)]
    return row


def make_group(command: str, set_name: str, title: str) -> click.Group:  # noqa: C901 - one closure per subcommand
    when_header = {"schedule": "runs", "retry": "next retry", "dead": "died"}[set_name]

    def job_set(redis_url: str | None, prefix: str) -> JobSet:
        return open_inspector(redis_url, prefix).job_set(set_name)

    @click.group(
        command,
        invoke_without_command=True,
        help=f"{title}: list, show, retry, "
        "delete" + ("" if set_name == "dead" else ", kill") + " (default: list).",
    )
    @json_option
    @redis_options
    @click.pass_context
    def group(ctx: click.Context, as_json: bool, redis_url: str | None, prefix: str) -> None:
        if ctx.invoked_subcommand is None:
            ctx.invoke(list_jobs, as_json=as_json, redis_url=redis_url, prefix=prefix)

    @group.command("list")
    @filter_options
    @page_options("(matching) jobs")
    @json_option
    @redis_options
    def list_jobs(
        klass: str | None = None,
        queue: str | None = None,
        grep: str | None = None,
        limit: int = 25,
        offset: int = 0,
        as_json: bool = False,
        redis_url: str | None = None,
        prefix: str = "",
    ) -> None:
        """Jobs in display order, with optional filters."""
        js = job_set(redis_url, prefix)
        if klass or queue or grep:
            found = list(_slice(matching(js, klass, queue, grep), offset, limit))
        else:
            found = js.page(offset, limit)
        if as_json:
            print_json({"total": js.size(), "jobs": [r.to_dict() for r in found]})
            return
        columns = ["jid", "class", "queue", "args", when_header]
        if set_name != "schedule":
            columns += ["retries", "error"]
        console().print(
            table(f"{title} ({js.size():,} total)", columns, (_row(set_name, r) for r in found))
        )

    @group.command("show")
    @click.argument("jid")
    @json_option
    @redis_options
    def show(jid: str, as_json: bool, redis_url: str | None, prefix: str) -> None:
        """Everything about job JID, backtrace included."""
        record = _find(job_set(redis_url, prefix), jid, command)
        if as_json:
            print_json({**record.to_dict(), "backtrace": record.backtrace})
            return
        out = console()
        for key, value in record.to_dict().items():
            if key != "raw" and value not in (None, ""):
                out.print(f"[bold]{key:>14}[/] {escape(short(value, 2000))}")
        for line in record.backtrace:
            out.print(f"{'':>15}{line}", markup=False)

    def bulk(action: str, verb: str, help_text: str) -> None:
        @group.command(action, help=help_text)
        @click.argument("jids", nargs=-1, metavar="[JID]...")
        @click.option("--all", "all_jobs", is_flag=True, help="Every job (matching the filters).")
        @filter_options
        @json_option
        @redis_options
        def act(
            jids: tuple[str, ...],
            all_jobs: bool,
            klass: str | None,
            queue: str | None,
            grep: str | None,
            as_json: bool,
            redis_url: str | None,
            prefix: str,
        ) -> None:
            if bool(jids) == all_jobs:
                raise click.UsageError(
                    f"give one or more JIDs or --all: workhorse {command} "
                    f"{action} JID... | --all [--class NAME]"
                )
            js = job_set(redis_url, prefix)
            done = _apply(js, action, jids, all_jobs, (klass, queue, grep), command)
            if as_json:
                print_json({"action": action, "count": done})
            else:
                click.echo(f"{verb} {done:,} job(s)")

    bulk("retry", "retried", "Push jobs to their queue now (JID... or --all).")
    bulk("delete", "deleted", "Delete jobs (JID... or --all).")
    if set_name != "dead":
        bulk("kill", "killed", "Move jobs to the dead set (JID... or --all).")
    return group


def _apply(
    js: JobSet,
    action: str,
    jids: tuple[str, ...],
    all_jobs: bool,
    filters: tuple[str | None, str | None, str | None],
    command: str,
) -> int:
    if all_jobs and not any(filters):
        return {"retry": js.retry_all, "kill": js.kill_all, "delete": js.delete_all}[action]()
    if all_jobs:
        # Collect first: acting while paging would shift the pages under us.
        return js.act(list(matching(js, *filters)), action)
    records = [_find(js, jid, command) for jid in jids]
    return js.act(records, action)


def _find(js: JobSet, jid: str, command: str) -> JobRecord:
    record = js.find(jid)
    if record is None:
        raise NotFound(
            f"no job {jid} in the {js.name} set; it may have moved on "
            f"(see: workhorse {command} list)"
        )
    return record


def _slice(records: Iterator[JobRecord], offset: int, limit: int) -> Iterator[JobRecord]:
    for index, record in enumerate(records):
        if index >= offset + limit:
            return
        if index >= offset:
            yield record


retries = make_group("retries", "retry", "Retries")
scheduled = make_group("scheduled", "schedule", "Scheduled")
dead = make_group("dead", "dead", "Dead")
