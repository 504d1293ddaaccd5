"""``workhorse batches list|status BID``: batches from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from workhorse.cli.options import redis_options
from workhorse.cli.session import open_client
from workhorse_pro.batches.status import BatchStatus, list_batches
from workhorse_pro.license_gate import BATCHES


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _state(status: BatchStatus) -> str:
    if status.is_success:
        return "success"
    if status.is_complete:
        return "complete" + (" (dead jobs)" if status.dead else " (failures)")
    return "dead jobs" if status.dead else "running"


@BATCHES.guard
@click.group()
def batches() -> None:
    """Pro batches: list them and show one's progress."""


@batches.command("list")
@click.option(
    "-s", "--search", default=None, help="Only batches whose bid or description contains this text."
)
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="Show at most this many batches.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@redis_options
def list_command(
    search: str | None, limit: int, as_json: bool, redis_url: str | None, prefix: str
) -> None:
    """Batches, newest first."""
    found = list_batches(open_client(redis_url, prefix), search, limit)
    if as_json:
        for status in found:
            click.echo(json.dumps(status.as_dict(jid_limit=0)))
        return
    if not found:
        click.echo("no batches")
        return
    click.echo(
        f"{'BID':<16} {'CREATED (UTC)':<19} {'TOTAL':>7} {'PENDING':>7} {'FAILED':>6}  "
        f"{'STATE':<22} DESCRIPTION"
    )
    for st in found:
        click.echo(
            f"{st.bid:<16} {_when(st.created_at):<19} {st.total:>7} {st.pending:>7} "
            f"{st.failures:>6}  {_state(st):<22} {st.description}"
        )


@batches.command("status")
@click.argument("bid")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@redis_options
def status_command(bid: str, as_json: bool, redis_url: str | None, prefix: str) -> None:
    """Batch BID: counts, times, callbacks, failed and dead jobs."""
    st = BatchStatus(bid, open_client(redis_url, prefix))
    if as_json:
        click.echo(json.dumps(st.as_dict()))
        return
    done = st.total - st.pending
    bar = "#" * int(30 * done / st.total) if st.total else ""
    lines = [
        f"batch {st.bid}: {st.description}",
        f"  state      {_state(st)}",
        f"  progress   [{bar:<30}] {done}/{st.total}",
        f"  pending    {st.pending}   failures {st.failures}   dead {st.dead}   "
        f"children {st.children}",
        f"  created    {_when(st.created_at)}",
        f"  complete   {_when(st.complete_at)}   success {_when(st.success_at)}   "
        f"death {_when(st.death_at)}",
        f"  parent     {st.parent_bid or '-'}",
        "  callbacks  "
        + (
            ", ".join(
                f"{k}={v} ({st.callback_state(k) or 'not fired'})"
                for k, v in st.callbacks.items()
                if v
            )
            or "-"
        ),
    ]
    for label, jids in (("failed", st.failed_jids), ("dead", st.dead_jids)):
        if jids:
            lines.append(
                f"  {label} jids  "
                + " ".join(jids[:20])
                + (f" ... (+{len(jids) - 20})" if len(jids) > 20 else "")
            )
    click.echo("\n".join(lines))
