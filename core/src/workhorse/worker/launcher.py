"""One worker process: wiring, the heartbeat and poller threads, signals, graceful shutdown."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType

import redis

from workhorse import __version__, embedded, plugins
from workhorse.client import Client, set_default_client
from workhorse.config import Settings
from workhorse.connection import (
    RedisTarget,
    check,
    connect,
    describe_client,
    resolved,
    where,
)
from workhorse.heartbeat import Heartbeat, new_identity
from workhorse.keys import Keys
from workhorse.scheduler import Poller
from workhorse.stats import snapshot
from workhorse.types import Fetcher, Service
from workhorse.worker.cancellation import CancelWatcher
from workhorse.worker.executor import AsyncRunner, Executor
from workhorse.worker.processor import Processor
from workhorse.worker.supervisor import EXIT_STOPPED, SUPERVISOR_ENV

log = logging.getLogger("workhorse.worker")
# Quiet and Stop from a dashboard are taken off the signals list this often: one
# RPOP a second, so they act within a second or two, not at the next heartbeat.
SIGNAL_POLL_SECONDS = 1.0


def require(modules: tuple[str, ...]) -> None:
    """Import the user's job modules (``-r myapp.jobs`` or ``-r path/to/jobs.py``)."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    for name in modules:
        if name.endswith(".py") or os.sep in name:
            path = Path(name).resolve()
            sys.path.insert(0, str(path.parent))
            name = path.stem
        importlib.import_module(name)


class WorkerProcess:
    """Everything one worker process runs; also the ``ProcessContext`` plugins see."""

    def __init__(self, settings: Settings, redis_client: redis.Redis | None = None) -> None:
        extras = {**plugins.settings_defaults(), **settings.extras}
        if redis_client is None:
            settings = resolved(settings)  # once, so the start line can say where it points
        self._settings = settings.with_changes(extras=extras)
        self._keys = Keys(settings.prefix)
        self._identity = new_identity()
        self._redis = redis_client or connect(settings, pool_size=settings.concurrency + 10)
        self._quiet = False
        self.stopping = threading.Event()
        self.stopped = threading.Event()
        self.told_to_stop = False  # by a TERM/INT signal or a dashboard's Stop
        self._beat_soon = threading.Event()  # a state dashboards show changed
        self.hard_stopping = False
        self.async_runner = AsyncRunner()
        self.services: list[Service] = []
        self._threads: list[threading.Thread] = []

    # -- ProcessContext ---------------------------------------------------
    @property
    def identity(self) -> str:
        return self._identity

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def quiet(self) -> bool:
        return self._quiet

    @property
    def redis(self) -> redis.Redis:
        return self._redis

    @property
    def keys(self) -> Keys:
        return self._keys

    # -- lifecycle --------------------------------------------------------
    def start(self) -> None:
        check(self._redis, self._redis_place())
        set_default_client(Client(self._redis, self.settings))
        self.fetcher: Fetcher = plugins.make_fetcher(self)
        self.processor = Processor(self, self.fetcher, self.async_runner)
        CancelWatcher(self.processor, self.stopped).start()
        self.executor = Executor(
            self.processor, self.fetcher, self.settings.concurrency, self.settings.fetch_timeout
        )
        self.heartbeat = Heartbeat(
            self._redis, self._keys, self.settings, self.identity, __version__, supervisor_pid()
        )
        self.poller = Poller(self._redis, self._keys, self.settings)
        self._beat()
        plugins.lifecycle("startup", self)
        self._start_services()
        self.executor.start()
        self._spawn("workhorse-heartbeat", self._heartbeat_loop)
        self._spawn("workhorse-signals", self._signal_loop)
        self._spawn("workhorse-poller", self._poll_loop)
        log.info(
            "workhorse %s started: %s, %d threads, queues %s, fetch %s, Redis %s",
            __version__,
            self.identity,
            self.settings.concurrency,
            ",".join(
                f"{q.name}{',' + str(q.weight) if q.weight else ''}" for q in self.settings.queues
            ),
            type(self.fetcher).__name__,
            self._redis_description(),
        )

    def _redis_description(self) -> str:
        # An embedded server is also named by its data directory: which project's jobs these are.
        place = where(self._redis_place())
        data_dir = embedded.describe_client(self._redis)
        return f"{place}; {data_dir}" if data_dir else place

    def _redis_place(self) -> Settings | RedisTarget:
        if self.settings.redis_url:
            return self.settings
        return RedisTarget(describe_client(self._redis), "the client given to WorkerProcess")

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _start_services(self) -> None:
        for service in plugins.services(self):
            try:
                service.start()
                self.services.append(service)
            except Exception:
                log.exception("service %s failed to start; continuing without it", service.name)

    def run(self) -> None:
        """Start, then block until stopped by a signal or :meth:`stop`."""
        self.start()
        try:
            while not self.stopping.wait(0.5):
                pass
        finally:
            self.shutdown()

    def set_quiet(self) -> None:
        if self._quiet:
            return
        self._quiet = True
        self._beat_soon.set()  # dashboards show "quiet" now, not at the next beat
        log.info("quiet: no new jobs will be fetched (%d running)", self.executor.busy_count())
        self.executor.stop_fetching(self.settings.fetch_timeout + 1)
        plugins.lifecycle("quiet", self)

    def stop(self) -> None:
        self.stopping.set()
        self._beat_soon.set()

    def shutdown(self) -> None:
        log.info(
            "shutting down: waiting up to %.0fs for running jobs", self.settings.shutdown_timeout
        )
        self.set_quiet()
        if not self.executor.wait_idle(self.settings.shutdown_timeout):
            self._requeue_running()
        self.executor.stop_threads()
        for service in self.services:
            _safely(partial(service.stop, 2.0), f"stopping service {service.name}")
        plugins.lifecycle("shutdown", self)
        totals = snapshot(self.executor.stats)
        _safely(lambda: self.heartbeat.clear(totals), "clearing the heartbeat")
        _safely(lambda: self.processor.recorder.stop(5.0), "writing job results")
        _safely(self.fetcher.close, "closing the fetcher")
        self.async_runner.stop()
        self.processor.watchdog.stop()
        self.stopped.set()
        log.info("stopped: %d jobs processed, %d failed", totals.processed, totals.failed)

    def _requeue_running(self) -> None:
        self.hard_stopping = True
        running = sorted(self.processor.running.values(), key=lambda entry: entry[1])
        units = [unit for unit, _ in running]  # oldest first: it goes back to the head
        log.warning(
            "shutdown timeout (%.0fs) reached: pushing %d unfinished job(s) back to their queues",
            self.settings.shutdown_timeout,
            len(units),
        )
        _safely(lambda: self.fetcher.requeue(units), "requeueing unfinished jobs")

    # -- background threads ----------------------------------------------
    def _beat(self) -> str | None:
        totals = snapshot(self.executor.stats)
        return self.heartbeat.beat(self.processor.running, totals, self._quiet)

    def _heartbeat_loop(self) -> None:
        failing = False
        while not self._wait_for_beat():
            try:
                sig = self._beat()
                self.heartbeat.cleanup_dead_processes()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if not failing:
                    log.warning("heartbeat failed, Redis unreachable (%s); will keep trying", exc)
                failing = True
                continue
            if failing:
                log.warning("heartbeat restored")
                failing = False
            plugins.lifecycle("heartbeat", self)
            if sig:
                self.handle_signal(sig)

    def _wait_for_beat(self) -> bool:
        """Sleep until a beat is due or one is asked for; True once stopping."""
        self._beat_soon.wait(self.settings.heartbeat_interval)
        self._beat_soon.clear()
        return self.stopping.is_set()

    def _signal_loop(self) -> None:
        while not self.stopping.wait(SIGNAL_POLL_SECONDS):
            try:
                sig = self.heartbeat.poll_signal()
            except (redis.ConnectionError, redis.TimeoutError):
                continue  # the heartbeat loop reports the outage
            if sig:
                self.handle_signal(sig)

    def _poll_loop(self) -> None:
        delay = 0.0
        while not self.stopping.is_set() and not self._quiet:
            try:
                _, wait = self.poller.poll()
                delay = 0.0
            except (redis.ConnectionError, redis.TimeoutError):
                delay = min(max(delay * 2, 0.5), 5.0)
                wait = delay
            except Exception:
                log.exception("scheduled-job poller failed; retrying")
                wait = 1.0
            self.stopping.wait(wait)

    # -- signals ----------------------------------------------------------
    def handle_signal(self, name: str) -> None:
        log.info("received %s", name)
        if name in ("TERM", "INT"):
            self.told_to_stop = True
            self.stop()
        elif name == "TSTP":
            threading.Thread(target=self.set_quiet, daemon=True).start()
        elif name == "TTIN":
            dump_threads()

    def install_signal_handlers(self) -> None:
        def on(name: str) -> Callable[[int, FrameType | None], None]:
            return lambda signum, frame: self.handle_signal(name)

        signal.signal(signal.SIGTERM, on("TERM"))
        signal.signal(signal.SIGINT, on("INT"))
        signal.signal(signal.SIGTSTP, on("TSTP"))
        signal.signal(signal.SIGTTIN, on("TTIN"))


def dump_threads() -> None:
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or 0)
        stack = "".join(traceback.format_stack(frame)) if frame else "(no frame)\n"
        log.warning("thread %s:\n%s", thread.name, stack)


def _safely(action: Callable[[], object], what: str) -> None:
    try:
        action()
    except Exception:
        log.exception("failed while %s", what)


def supervisor_pid() -> int | None:
    """The pid of the `-p N` supervisor that started this process, if one did."""
    value = os.environ.get(SUPERVISOR_ENV, "")
    return int(value) if value.isdigit() else None


def run_worker(settings: Settings) -> int:
    """Run one worker process in the foreground until it is stopped; returns an exit code.

    Under a ``-p N`` supervisor a process that was told to stop exits with
    ``EXIT_STOPPED``, so the supervisor does not start a replacement."""
    require(settings.require)
    process = WorkerProcess(settings)
    process.install_signal_handlers()
    process.run()
    return EXIT_STOPPED if process.told_to_stop and supervisor_pid() else 0
