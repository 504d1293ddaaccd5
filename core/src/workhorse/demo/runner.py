"""Running the demo: Redis, the example jobs, a worker, the dashboard, until Ctrl-C."""

from __future__ import annotations

import logging
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from rich.console import Console

from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.config import QueueWeight, Settings
from workhorse.connection import connect, redact
from workhorse.demo.dashboard import Dashboard, start_dashboard
from workhorse.demo.display import configure_logging, watch
from workhorse.demo.options import DemoOptions
from workhorse.keys import Keys
from workhorse.stats import snapshot
from workhorse.worker.launcher import WorkerProcess

log = logging.getLogger(__name__)


def resolve_redis(explicit: str | None) -> tuple[str, str]:
    """(url, description): the given/env URL, else the embedded server (never localhost)."""
    import os

    url = explicit or os.environ.get("WORKHORSE_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        return url, redact(url)
    from workhorse import embedded

    url = embedded.ensure_server()
    state = embedded.status()
    return url, (
        f"embedded {os.path.basename(state.binary or 'redis')} {state.version}, "
        f"data in {state.data_dir}"
    )


def enqueue_initial(client: Client) -> list[str]:
    """The 42 example jobs; their jids."""
    from workhorse.demo import jobs

    fast = [[n] for n in range(1, 25)]
    jids = client.push_bulk({"class": jobs.fast.name, "args": a, "queue": "default"} for a in fast)
    for n, seconds in enumerate((2.0, 3.0, 4.0, 2.5, 3.5), 1):
        jids.append(jobs.slow.set().via(client).perform_async(n, seconds))
    for failures in (1, 1, 2, 1, 2, 1):
        jids.append(jobs.flaky.set().via(client).perform_async(secrets.token_hex(4), failures))
    jids.append(jobs.doomed.set().via(client).perform_async(404))
    for delay in (3, 5, 8, 12, 15, 20):
        jids.append(jobs.fast.set().via(client).perform_in(delay, 1000 + delay))
    return [jid for jid in jids if jid]


def trickle(client: Client, stop: threading.Event, jids: list[str], every: float = 2.0) -> None:
    """A few new jobs every ``every`` seconds, so the display keeps moving."""
    from workhorse.demo import jobs

    n = 2000
    while not stop.wait(every):
        for _ in range(3):
            n += 1
            jid = jobs.fast.set().via(client).perform_async(n)
            if jid:
                jids.append(jid)


def run_demo(options: DemoOptions, echo: Callable[[str], None] = print) -> dict[str, int]:
    url, where = resolve_redis(options.redis_url)
    settings = Settings(
        redis_url=url,
        prefix=options.prefix,
        concurrency=options.concurrency,
        queues=(QueueWeight("critical", 3), QueueWeight("default", 2), QueueWeight("low", 1)),
        shutdown_timeout=3.0,
        heartbeat_interval=2.0,
        poll_interval=0.2,
    )
    redis_client = connect(settings)
    api = Inspector(redis_client, Keys(settings.prefix), settings)
    client = Client(redis_client, settings)
    live = sys.stdout.isatty() if options.live is None else options.live
    # One console for log records and the live view: rich then prints records above the
    # view, where a second console writing to the same terminal tears its frames (issue 17).
    console = Console() if live else Console(stderr=True)
    configure_logging(console)
    echo(f"Redis: {where}")
    jids = enqueue_initial(client)
    echo(
        f"enqueued {len(jids)} example jobs (fast, slow, flaky-then-retried, doomed, "
        "scheduled)" + (f" under the key prefix {options.prefix!r}" if options.prefix else "")
    )
    worker = WorkerProcess(settings, redis_client)
    worker.start()
    dashboard = (
        start_dashboard(api, options.port)
        if options.dashboard
        else Dashboard(None, "dashboard: off (--no-dashboard)")
    )
    echo(dashboard.line)
    stop = threading.Event()
    feeder = threading.Thread(
        target=trickle, args=(client, stop, jids), name="demo-feed", daemon=True
    )
    feeder.start()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        watch(api, worker, options, dashboard.url, console if live else None)
    except KeyboardInterrupt:
        echo("stopping (Ctrl-C)...")
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.set()
        feeder.join(5)
        worker.stop()
        worker.shutdown()
        dashboard.stop()
    summary = this_run(api, worker, jids)
    echo(
        f"done: this run processed {summary['processed']} jobs ({summary['failed']} failed); "
        f"of the {summary['enqueued']} it enqueued, {summary['retries']} wait to retry, "
        f"{summary['scheduled']} are scheduled and {summary['dead']} died. "
        "Jobs left in Redis stay there for the next run."
    )
    return summary


def this_run(api: Inspector, worker: WorkerProcess, jids: list[str]) -> dict[str, int]:
    """What this run did: the jobs its worker ran, and where the jobs it enqueued are now
    (Redis's totals and sets also hold earlier runs' jobs under the same prefix)."""
    totals = snapshot(worker.executor.stats)
    ours = set(jids)
    counts = {"processed": totals.processed, "failed": totals.failed, "enqueued": len(ours)}
    for name, job_set in (
        ("retries", api.retries),
        ("scheduled", api.scheduled),
        ("dead", api.dead),
    ):
        counts[name] = sum(1 for record in job_set if record.jid in ours)
    return counts


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
