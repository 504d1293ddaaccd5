"""``workhorse enqueue NAME [ARGS_JSON]``: push one job by name (Python or Ruby)."""

from __future__ import annotations

import difflib
import json
import time
from datetime import datetime
from typing import Any

import click

from workhorse.cli.options import redis_options
from workhorse.cli.output import json_option, print_json
from workhorse.cli.session import settings_for
from workhorse.client import Client, run_at
from workhorse.connection import check
from workhorse.errors import ConfigError


def parse_args_json(text: str | None) -> list[Any]:
    """``'[1, "a"]'`` -> ``[1, "a"]``; anything but a JSON list is a usage error."""
    if text is None or text.strip() == "":
        return []
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(
            f"{text!r} is not valid JSON ({exc}); pass the arguments as a JSON list, "
            """e.g. '[42, "welcome"]' (mind the shell quotes)""",
            param_hint="ARGS_JSON",
        ) from None
    if not isinstance(value, list):
        raise click.BadParameter(
            f"expected a JSON list of arguments, got {type(value).__name__} {text!r}; "
            f"wrap it in brackets: '[{text}]'",
            param_hint="ARGS_JSON",
        )
    return value


def parse_when(text: str) -> float:
    """``--at``: epoch seconds, or an ISO 8601 time with a UTC offset."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither epoch seconds nor an ISO 8601 time; "
            "e.g. --at 2030-01-01T09:00:00+00:00 or --at 1893488400",
            param_hint="--at",
        ) from None
    if moment.tzinfo is None:
        raise click.BadParameter(
            f"{text!r} has no UTC offset, so it is ambiguous; add one, e.g. {text}+00:00",
            param_hint="--at",
        )
    return moment.timestamp()


def check_registered(name: str, modules: tuple[str, ...]) -> dict[str, object]:
    """With ``-r``: the job's own options, or an error naming close matches."""
    from workhorse.job import find, registered
    from workhorse.worker.preflight import require

    require(modules)
    definition = find(name)
    if definition is None:
        close = difflib.get_close_matches(name, list(registered()), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            f'no job named "{name}" is registered by {", ".join(modules)}{hint} Names are '
            "module.function unless the job sets name=; leave out -r to enqueue a name "
            "this process does not know (e.g. a Ruby class)"
        )
    return definition.wire_options()


@click.command()
@click.argument("name")
@click.argument("args_json", required=False, metavar="[ARGS_JSON]")
@click.option("-q", "--queue", default=None, help="Queue (default: the job's, else default).")
@click.option(
    "--in",
    "delay",
    type=click.FloatRange(0),
    default=None,
    metavar="SECONDS",
    help="Run after this many seconds.",
)
@click.option(
    "--at",
    "at",
    default=None,
    metavar="TIME",
    help="Run at this time: epoch seconds or ISO 8601 with offset.",
)
@click.option("--retry", type=int, default=None, help="Retry count (0: dead at first failure).")
@click.option(
    "-r",
    "--require",
    "require",
    multiple=True,
    metavar="MODULE",
    help="Import these job modules and check that NAME is registered there.",
)
@json_option
@redis_options
def enqueue(
    name: str,
    args_json: str | None,
    queue: str | None,
    delay: float | None,
    at: str | None,
    retry: int | None,
    require: tuple[str, ...],
    as_json: bool,
    redis_url: str | None,
    prefix: str,
) -> None:
    """Push job NAME with ARGS_JSON (a JSON list), e.g. workhorse enqueue HardJob '["bob", 5]'."""
    args = parse_args_json(args_json)
    if delay is not None and at is not None:
        raise click.UsageError("give --in or --at, not both")
    options: dict[str, object] = check_registered(name, require) if require else {}
    if queue:
        options["queue"] = queue
    if retry is not None:
        options["retry"] = retry
    when = run_at(delay, relative=True) if delay is not None else None
    when = parse_when(at) if at is not None else when
    if when is not None:
        options["at"] = when
    settings = settings_for(redis_url, prefix)
    client = Client(settings=settings)
    check(client.redis, settings)
    jid = client.enqueue(name, args, **options)
    if jid is None:
        raise click.ClickException("a client middleware dropped the job; nothing was enqueued")
    queue_name = str(options.get("queue", "default"))
    # The client pushes a time that has passed straight to the queue (issue 17): say so.
    runs_now = when is None or when <= time.time()
    if as_json:
        print_json(
            {
                "jid": jid,
                "class": name,
                "args": args,
                "queue": queue_name,
                "at": None if runs_now else when,
            }
        )
    else:
        click.echo(f"enqueued {name} jid={jid} ({where(queue_name, when, runs_now)})")


def where(queue: str, when: float | None, runs_now: bool) -> str:
    if when is None:
        return f"queue {queue}"
    shown = f"{datetime.fromtimestamp(when).astimezone():%Y-%m-%d %H:%M:%S %Z}"
    if runs_now:
        return f"queue {queue}: {shown} has passed, so it runs now"
    return f"scheduled for {shown}"
