"""The demo's live view: a rich table redrawn a few times a second (plain lines off a terminal)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.logging import RichHandler
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from workhorse.api import Inspector
from workhorse.stats import snapshot
from workhorse.worker.launcher import WorkerProcess

if TYPE_CHECKING:
    from workhorse.demo.options import DemoOptions

# Log lines (from job threads) and redraws take turns: rich's Live works out how far up
# to move the cursor from the frame it drew last, and a line printed while a frame is
# being drawn on another thread left a torn frame behind on a busy machine.
_screen = threading.Lock()


class _TakingTurnsHandler(RichHandler):
    def emit(self, record: logging.LogRecord) -> None:
        with _screen:
            super().emit(record)


def counts(api: Inspector, worker: WorkerProcess) -> dict[str, int]:
    totals = snapshot(worker.executor.stats)
    sizes = {q.name: q.size for q in api.queues.summaries()}
    return {
        "processed": totals.processed,
        "failed": totals.failed,
        "busy": worker.executor.busy_count(),
        "queued": sum(sizes.values()),
        "scheduled": api.scheduled.size(),
        "retries": api.retries.size(),
        "dead": api.dead.size(),
        **{f"queue:{name}": size for name, size in sizes.items()},
    }


def render(c: dict[str, int], dashboard: str | None, started: float) -> Group:
    table = Table(show_edge=False, header_style="bold")
    for name in ("processed", "failed", "busy", "queued", "scheduled", "retries", "dead"):
        table.add_column(name, justify="right")
    table.add_row(
        *(
            f"{c[name]:,}"
            for name in ("processed", "failed", "busy", "queued", "scheduled", "retries", "dead")
        )
    )
    done = c["processed"] - c["failed"]
    outstanding = c["queued"] + c["busy"] + c["scheduled"] + c["retries"]
    progress = Table.grid(padding=(0, 1))
    progress.add_row(
        ProgressBar(total=max(done + outstanding, 1), completed=done, width=40),
        Text(f"{done:,} of {done + outstanding:,} known jobs succeeded"),
    )
    queues = "  ".join(f"{k[6:]} {v}" for k, v in sorted(c.items()) if k.startswith("queue:"))
    lines: list[RenderableType] = [
        Text(
            f"workhorse demo, running {time.monotonic() - started:.0f}s   (Ctrl-C to stop)",
            style="bold",
        ),
        table,
        progress,
        Text(f"queues: {queues or '-'}"),
    ]
    if dashboard:
        lines.append(Text(f"dashboard: {dashboard}"))
    return Group(*lines)


class _NoTraceback(logging.Filter):
    """The demo's doomed job fails on purpose: one line is enough, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def configure_logging(console: Console) -> None:
    handler = _TakingTurnsHandler(
        console=console, show_path=False, markup=False, log_time_format="%H:%M:%S"
    )
    handler.addFilter(_NoTraceback())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def watch(
    api: Inspector,
    worker: WorkerProcess,
    options: DemoOptions,
    dashboard: str | None,
    console: Console | None,
) -> None:
    """Redraw on ``console`` (the one log records go to; None: plain lines) until the
    duration ends; KeyboardInterrupt (Ctrl-C) ends it too."""
    started = time.monotonic()
    deadline = None if options.duration is None else started + options.duration
    if console is None:
        _plain(api, worker, deadline)
        return
    view = Live(
        render(counts(api, worker), dashboard, started),
        console=console,
        auto_refresh=False,  # redrawn below, in turn with log lines
        transient=False,
    )
    with _screen:
        view.start(refresh=True)
    try:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.25)
            frame = render(counts(api, worker), dashboard, started)
            with _screen:
                view.update(frame, refresh=True)
    finally:
        with _screen:
            view.stop()


def _plain(api: Inspector, worker: WorkerProcess, deadline: float | None) -> None:
    next_line = 0.0
    while deadline is None or time.monotonic() < deadline:
        if time.monotonic() >= next_line:
            c = counts(api, worker)
            print(
                " ".join(
                    f"{k}={c[k]}"
                    for k in (
                        "processed",
                        "failed",
                        "busy",
                        "queued",
                        "scheduled",
                        "retries",
                        "dead",
                    )
                ),
                flush=True,
            )
            next_line = time.monotonic() + 2.0
        time.sleep(0.1)
