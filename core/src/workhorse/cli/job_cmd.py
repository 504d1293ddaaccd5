"""``workhorse job JID`` (status, attempts, result or error) and ``workhorse cancel JID``."""

from __future__ import annotations

import re

import click

from workhorse.api.jobs import JobStatus
from workhorse.cli.exits import NotFound
from workhorse.cli.options import redis_options
from workhorse.cli.output import ago, json_option, print_json, short
from workhorse.cli.session import open_inspector
from workhorse.errors import InputError

_JID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def checked_jid(jid: str) -> str:
    """A jid as typed: Sidekiq's are 24 hex characters; anything outside letters, digits,
    ``-`` and ``_`` is a typo or an attack, not a job."""
    if not _JID.fullmatch(jid):
        raise InputError(
            f"{jid[:120]!r} is not a job id: a jid is letters, digits, '-' or '_' (Sidekiq's "
            "are 24 hex characters, e.g. from `workhorse retries` or a perform_async return)"
        )
    return jid


@click.command("job")
@click.argument("jid")
@json_option
@redis_options
def job(jid: str, as_json: bool, redis_url: str | None, prefix: str) -> None:
    """Show where job JID is now (queued, scheduled, running, retrying, succeeded, failed,
    dead, cancelled), its attempts, and its result or error. Exits 3 if nothing is known of
    it (finished jobs are known only when they store results)."""
    status = open_inspector(redis_url, prefix).jobs.status(checked_jid(jid))
    if as_json:
        print_json(status.to_dict())
    else:
        click.echo("\n".join(describe(status)))
    if status.state == "unknown":
        raise NotFound(
            f"nothing is known of job {jid}: it never existed, finished without storing a "
            "result (see store_result), or its record expired"
        )


def describe(status: JobStatus) -> list[str]:
    """Lines for people: what, where, when, and the outcome."""
    facts = status.to_dict()
    lines = [f"job {status.jid}: {status.state}"]
    for label, key in (("class", "class"), ("queue", "queue"), ("where", "where")):
        if facts[key]:
            lines.append(f"  {label:<9}{facts[key]}")
    if status.job is not None:
        lines.append(f"  {'args':<9}{short(status.job.args, 200)}")
    if status.attempt:
        lines.append(f"  {'attempt':<9}{status.attempt}")
    if status.next_run_at:
        lines.append(f"  {'next run':<9}{ago(status.next_run_at)}")
    if status.running_since:
        lines.append(f"  {'running':<9}since {ago(status.running_since)}")
    if facts["timeout"]:
        lines.append(f"  {'limit':<9}{facts['timeout']}s")
    done = status.completion
    if done is not None:
        lines.append(f"  {'finished':<9}{ago(done.finished_at)}")
        if done.state == "succeeded":
            lines.append(f"  {'result':<9}{short(done.value, 500)}")
    if status.error:
        lines.append(f"  {'error':<9}{short(status.error, 500)}")
    if done is not None and done.backtrace:
        lines += ["  backtrace:", *("    " + line for line in done.backtrace[-20:])]
    return lines


_OUTCOMES = {
    "removed": "cancelled: it was waiting and has been removed",
    "signalled": "cancelling: its worker stops it within a second or two",
    "finished": "not cancelled: it had already finished",
    "unknown": "no such job seen; if a worker picks it up within a day it is cancelled then",
}


@click.command("cancel")
@click.argument("jid")
@json_option
@redis_options
def cancel(jid: str, as_json: bool, redis_url: str | None, prefix: str) -> None:
    """Cancel job JID: a queued, scheduled or retrying job is removed; a running one is
    stopped by its worker. A cancelled job is never retried."""
    outcome = open_inspector(redis_url, prefix).jobs.cancel(checked_jid(jid))
    if as_json:
        print_json({"jid": jid, "outcome": outcome})
    else:
        click.echo(f"job {jid} {_OUTCOMES[outcome]}")
