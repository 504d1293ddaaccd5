"""Running the demo: Redis, the example jobs, a worker, the dashboard, until Ctrl-C."""

from __future__ import annotations

import logging
import secrets
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from rich.console import Console

from workhorse.api import Inspector
from workhorse.client import Client
from workhorse.config import QueueWeight, Settings
from workhorse.connection import connect, redact
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoOptions:
    redis_url: str | None = None
    prefix: str = "demo"
    duration: float | None = None  # None: until Ctrl-C
    concurrency: int = 5
    port: int = 7420
    dashboard: bool = True
    live: bool | None = None  # None: a live display when stdout is a terminal


def resolve_redis(explicit: str | None) -> tuple[str, str]:
    """(url, description): the given/env URL, else the embedded server (never localhost)."""
    import os

    url = explicit or os.environ.get("WORKHORSE_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        return url, redact(url)
    from workhorse import embedded

    url = embedded.ensure_server()
    state = embedded.status()
    return url, (f"embedded {os.path.basename(state.binary or 'redis')} {state.version}, "
                 f"data in {state.data_dir}")


def enqueue_initial(client: Client) -> int:
    from workhorse.demo import jobs

    fast = [[n] for n in range(1, 25)]
    client.push_bulk({"class": jobs.fast.name, "args": a, "queue": "default"} for a in fast)
    for n, seconds in enumerate((2.0, 3.0, 4.0, 2.5, 3.5), 1):
        jobs.slow.set().via(client).perform_async(n, seconds)
    for failures in (1, 1, 2, 1, 2, 1):
        jobs.flaky.set().via(client).perform_async(secrets.token_hex(4), failures)
    jobs.doomed.set().via(client).perform_async(404)
    for delay in (3, 5, 8, 12, 15, 20):
        jobs.fast.set().via(client).perform_in(delay, 1000 + delay)
    return len(fast) + 5 + 6 + 1 + 6


def trickle(client: Client, stop: threading.Event, every: float = 2.0) -> None:
    """A few new jobs every ``every`` seconds, so the display keeps moving."""
    from workhorse.demo import jobs

    n = 2000
    while not stop.wait(every):
        for _ in range(3):
            n += 1
            jobs.fast.set().via(client).perform_async(n)


def start_dashboard(api: Inspector, port: int) -> tuple[str | None, Callable[[], None]]:
    """The dashboard in a thread if ``workhorse[web]`` is installed: (url or reason, stopper)."""
    import importlib.util

    if importlib.util.find_spec("workhorse.web") is None or \
            importlib.util.find_spec("uvicorn") is None:
        return None, lambda: None
    import uvicorn

    from workhorse.web.app import create_app

    if port == 0:
        from workhorse.embedded.server import free_port

        port = free_port()
    config = uvicorn.Config(create_app(api, poll_interval=2.0), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="workhorse-dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        return None, lambda: None

    def stop() -> None:
        server.should_exit = True
        thread.join(5)

    return f"http://127.0.0.1:{port}/", stop


def run_demo(options: DemoOptions, echo: Callable[[str], None] = print) -> dict[str, Any]:
    url, where = resolve_redis(options.redis_url)
    settings = Settings(redis_url=url, prefix=options.prefix, concurrency=options.concurrency,
                        queues=(QueueWeight("critical", 3), QueueWeight("default", 2),
                                QueueWeight("low", 1)),
                        shutdown_timeout=3.0, heartbeat_interval=2.0, poll_interval=0.2)
    redis_client = connect(settings)
    api = Inspector(redis_client, Keys(settings.prefix), settings)
    client = Client(redis_client, settings)
    from workhorse.demo.display import configure_logging

    configure_logging(Console(stderr=True))
    echo(f"Redis: {where}")
    total = enqueue_initial(client)
    echo(f"enqueued {total} example jobs (fast, slow, flaky-then-retried, doomed, scheduled)"
         + (f" under the key prefix {options.prefix!r}" if options.prefix else ""))
    worker = WorkerProcess(settings, redis_client)
    worker.start()
    dashboard, stop_dashboard = (start_dashboard(api, options.port) if options.dashboard
                                 else (None, lambda: None))
    echo(f"dashboard: {dashboard}" if dashboard else
         "dashboard: not installed (pip install 'workhorse[web]' to get it)")
    stop = threading.Event()
    feeder = threading.Thread(target=trickle, args=(client, stop), name="demo-feed", daemon=True)
    feeder.start()
    from workhorse.demo.display import watch

    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        watch(api, worker, options, dashboard)
    except KeyboardInterrupt:
        echo("stopping (Ctrl-C)...")
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop.set()
        worker.stop()
        worker.shutdown()
        stop_dashboard()
    summary = api.stats.summary().to_dict()
    echo(f"done: {summary['processed']} processed, {summary['failed']} failed; "
         f"{summary['retries']} waiting to retry, {summary['scheduled']} scheduled, "
         f"{summary['dead']} dead. Jobs left in Redis stay there for the next run.")
    return summary


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
