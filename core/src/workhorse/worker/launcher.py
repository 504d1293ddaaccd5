"""One worker process: wiring, the heartbeat and poller threads, signals, graceful shutdown."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import redis

from workhorse import async_redis, embedded, metrics, plugins
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
from workhorse.httpd import RouteServer
from workhorse.job import has_async_jobs
from workhorse.keys import Keys
from workhorse.scheduler import Poller
from workhorse.stats import snapshot
from workhorse.types import Fetcher, Service, UnitOfWork
from workhorse.version import __version__
from workhorse.worker import capsule, health
from workhorse.worker.async_runner import AsyncRunner
from workhorse.worker.cancellation import CancelWatcher
from workhorse.worker.capsule import Capsule
from workhorse.worker.executor import Executor
from workhorse.worker.preflight import require, warn_unknown_queues
from workhorse.worker.processor import Processor
from workhorse.worker.signals import (
    REMINDER,
    SAME_REQUEST_SECONDS,
    STOP_SIGNALS,
    SignalInbox,
    StopRequests,
    dump_threads,
    serve,
)
from workhorse.worker.supervisor import EXIT_STOPPED, SUPERVISOR_ENV

log = logging.getLogger("workhorse.worker")
# Quiet and Stop from a dashboard are taken off the signals list this often: one
# RPOP a second, so they act within a second or two, not at the next heartbeat.
SIGNAL_POLL_SECONDS = 1.0


class WorkerProcess:
    """Everything one worker process runs; also the ``ProcessContext`` plugins see."""

    def __init__(self, settings: Settings, redis_client: redis.Redis | None = None) -> None:
        extras = {**plugins.settings_defaults(), **settings.extras}
        if redis_client is None:
            settings = resolved(settings)  # once, so the start line can say where it points
        self._settings = settings.with_changes(extras=extras)
        self._keys = Keys(settings.prefix)
        self._identity = new_identity()
        # A process that is this worker and nothing else (run_worker): see settle_heap.
        self.settles_heap = False
        self._redis = redis_client or connect(settings, pool_size=settings.total_concurrency + 10)
        self._quiet = False
        self.stopping = threading.Event()
        self.stopped = threading.Event()
        self.told_to_stop = False  # by a TERM/INT signal or a dashboard's Stop
        self._beat_soon = threading.Event()  # a state dashboards show changed
        self.hard_stopping = False
        self.forced = False  # stopped by a third TERM/INT, without waiting for running jobs
        self.exit_code = 0
        self._stop_requests = StopRequests()
        self._signal_lock = threading.Lock()
        self._requeue_lock = threading.Lock()
        self._requeued = False
        self._shutdown_thread: threading.Thread | None = None
        # Async jobs share one redis.asyncio pool on the loop, wherever they run (issue 24).
        self.async_runner = AsyncRunner(
            partial(async_redis.bind, sync=self._redis), settings.event_loop
        )
        self.services: list[Service] = []
        self.capsules: list[Capsule] = []
        self._threads: list[threading.Thread] = []
        self.servers: list[RouteServer] = []
        self.snapshots: metrics.SnapshotWriter | None = None
        # Monotonic times of the last heartbeat attempt and success, for the health probes.
        self.beat_attempted_at = self.beat_ok_at = time.monotonic()

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
        self.capsules = [
            Capsule(spec, self, self.async_runner) for spec in self.settings.capsule_specs
        ]
        # The default capsule's parts, under the names they had before capsules.
        default = self.capsules[0]
        self.fetcher: Fetcher[Any] = default.fetcher
        self.processor: Processor = default.processor
        self.executor: Executor = default.executor
        for cap in self.capsules:
            CancelWatcher(cap.processor, self.stopped).start()
        self._warn_if_async_jobs_hold_threads()
        self.heartbeat = Heartbeat(
            self._redis, self._keys, self.settings, self.identity, __version__, supervisor_pid()
        )
        self.poller = Poller(self._redis, self._keys, self.settings)
        warn_unknown_queues(self._redis, self._keys, self.settings.queues)
        self._beat()
        plugins.startup(self)
        self._start_services()
        if self.settles_heap:
            settle_heap()  # before the first job: it is all start-up's
        for cap in self.capsules:
            cap.executor.start()
        self._spawn("workhorse-heartbeat", self._heartbeat_loop)
        self._spawn("workhorse-signals", self._signal_loop)
        self._spawn("workhorse-poller", self._poll_loop)
        self._start_servers()
        log.info(
            "workhorse %s started: %s, capsule %s, fetch %s, Redis %s",
            __version__,
            self.identity,
            "; capsule ".join(cap.describe() for cap in self.capsules),
            type(self.fetcher).__name__,
            self._redis_description(),
        )

    def _warn_if_async_jobs_hold_threads(self) -> None:
        blockers = self.processor.sync_only_middleware
        if self.settings.async_concurrency and blockers and has_async_jobs():
            log.warning(
                "async jobs run on job threads, one thread each: server middleware without "
                "an async form (call_async) wraps every job: %s. See docs/async-jobs.md.",
                ", ".join(blockers),
            )

    def _close_async_redis(self) -> None:
        if not self.async_runner.started:
            return
        client = async_redis.unbind(self.async_runner.loop())
        if client is not None:
            self.async_runner.submit(client.aclose()).result(2.0)

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

    def _start_servers(self) -> None:
        if self.settings.health_port is not None:
            self.servers.append(
                health.serve(self, self.settings.health_port, self.settings.http_host)
            )
        if self.settings.metrics_port is not None:
            from workhorse.worker import exporter

            self.servers.append(exporter.serve_process(self, self.settings.metrics_port))
        share = os.environ.get(metrics.SHARE_ENV)
        if share:  # a -p child: the supervisor serves the sum of every child's snapshot
            self.snapshots = metrics.SnapshotWriter(self, Path(share))
            self.snapshots.start()

    def threads_alive(self) -> bool:
        """The heartbeat and every job thread still run (the liveness probe's question)."""
        heartbeat = next((t for t in self._threads if t.name == "workhorse-heartbeat"), None)
        return (
            heartbeat is not None
            and heartbeat.is_alive()
            and all(cap.executor.threads_alive() for cap in self.capsules)
        )

    def _start_services(self) -> None:
        for service in plugins.services(self):
            try:
                service.start()
                self.services.append(service)
            except Exception:
                log.exception("service %s failed to start; continuing without it", service.name)

    def run(self, inbox: SignalInbox | None = None) -> None:
        """Start, then act on the signals ``inbox`` receives until stopped (by a signal,
        the Redis signals list or :meth:`stop`) and shut down."""
        self.start()
        serve([self], inbox)

    def set_quiet(self) -> None:
        if self._quiet:
            return
        self._quiet = True
        self._beat_soon.set()  # dashboards show "quiet" now, not at the next beat
        log.info("quiet: no new jobs will be fetched (%d running)", len(self.running()))
        self._stop_fetching()
        health.note_quiet()
        plugins.quiet(self)

    def _stop_fetching(self) -> None:
        for cap in self.capsules:  # all at once, then wait for each fetch thread
            cap.executor.fetching.clear()
        for cap in self.capsules:
            cap.executor.stop_fetching(self.settings.fetch_timeout + 1)

    def running(self) -> dict[int, tuple[UnitOfWork[object], float]]:
        """The jobs running now in every capsule, by thread id."""
        return capsule.running(self.capsules)

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for every capsule's running jobs; False if some remain."""
        deadline = time.monotonic() + timeout
        return all(
            cap.executor.wait_idle(max(0.0, deadline - time.monotonic())) for cap in self.capsules
        )

    def stop(self) -> None:
        self.stopping.set()
        self._beat_soon.set()

    def is_stopping(self) -> bool:
        return self.stopping.is_set()

    def is_stopped(self) -> bool:
        return self.stopped.is_set()

    def begin_shutdown(self) -> None:
        """Shut down on a thread of its own, so that signals are still acted on meanwhile."""
        self.stopping.set()
        if self._shutdown_thread is None:
            self._shutdown_thread = threading.Thread(
                target=self.shutdown, name="workhorse-shutdown", daemon=True
            )
            self._shutdown_thread.start()

    def shutdown(self) -> None:
        log.info(
            "shutting down: waiting up to %.0fs for running jobs", self.settings.shutdown_timeout
        )
        self.set_quiet()
        if not self.wait_idle(self.settings.shutdown_timeout):
            timeout = self.settings.shutdown_timeout
            self._requeue_running(f"shutdown timeout ({timeout:.0f}s) reached")
        for cap in self.capsules:
            cap.executor.stop_threads()
        for service in self.services:
            _safely(partial(service.stop, 2.0), f"stopping service {service.name}")
        plugins.shutdown(self)
        totals = snapshot(capsule.thread_stats(self.capsules))
        _safely(lambda: self.heartbeat.clear(totals), "clearing the heartbeat")
        for cap in self.capsules:
            _safely(partial(cap.processor.recorder.stop, 5.0), "writing job results")
        self._close_fetchers()
        for server in self.servers:
            _safely(server.stop, "stopping an HTTP port")
        if self.snapshots is not None:
            _safely(self.snapshots.stop, "writing the last metrics snapshot")
        for cap in self.capsules:  # idle runners, or ones a forced stop left running
            if cap.lane is not None:
                _safely(cap.lane.cancel_all, "stopping the async lane")
        _safely(self._close_async_redis, "closing the async jobs' Redis client")
        self.async_runner.stop()
        for cap in self.capsules:
            cap.processor.watchdog.stop()
        self.stopped.set()
        log.info("stopped: %d jobs processed, %d failed", totals.processed, totals.failed)

    def force_stop(self, reason: str) -> None:
        """Stop now: push running and fetched jobs back, leave the process list, and mark
        this process stopped (``run_worker`` then exits without waiting for job threads)."""
        log.warning("%s: stopping now, without waiting for running jobs", reason)
        self.stopping.set()
        self._stop_fetching()
        requeued = self._requeue_running(reason)
        self._close_fetchers()
        totals = snapshot(capsule.thread_stats(self.capsules))
        _safely(lambda: self.heartbeat.clear(totals), "clearing the heartbeat")
        self.exit_code = 0 if requeued else 1
        self.forced = True
        self.stopped.set()
        log.info("stopped (forced): %d jobs processed, %d failed", totals.processed, totals.failed)

    def _requeue_running(self, reason: str) -> bool:
        """Push running jobs back to the head of their queues, once; False if that failed."""
        with self._requeue_lock:
            if self._requeued:
                return True
            self._requeued = self.hard_stopping = True
            log.warning(
                "%s: pushing %d unfinished job(s) back to their queues", reason, len(self.running())
            )
            done = True
            for cap in self.capsules:  # each through its own fetcher (its own in-progress state)
                units = cap.processor.running.oldest_first()  # it goes back to the head
                try:
                    cap.fetcher.requeue(units)
                    if cap.lane is not None:  # pushed back: they must not finish now
                        cap.lane.cancel_all()
                except Exception:
                    log.exception("failed while requeueing unfinished jobs of capsule %s", cap.name)
                    done = False
            return done

    def _close_fetchers(self) -> None:
        for cap in self.capsules:
            _safely(cap.fetcher.close, f"closing the fetcher of capsule {cap.name}")

    # -- background threads ----------------------------------------------
    def _beat(self) -> str | None:
        totals = snapshot(capsule.thread_stats(self.capsules))
        return self.heartbeat.beat(self.running(), totals, self._quiet)

    def _heartbeat_loop(self) -> None:
        failing = False
        while not self._wait_for_beat():
            self.beat_attempted_at = time.monotonic()
            try:
                sig = self._beat()
                self.heartbeat.cleanup_dead_processes()
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if not failing:
                    log.warning("heartbeat failed, Redis unreachable (%s); will keep trying", exc)
                failing = True
                continue
            self.beat_ok_at = time.monotonic()
            if failing:
                log.warning("heartbeat restored")
                failing = False
            plugins.heartbeat(self)
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
        """Act on a signal; called on normal threads only (never in a signal handler)."""
        with self._signal_lock:
            if name in STOP_SIGNALS:
                self._on_stop_signal(name)
            elif name == "TSTP":
                log.info("received TSTP: going quiet")
                threading.Thread(target=self.set_quiet, daemon=True).start()
            elif name == "TTIN":
                log.info("received TTIN: dumping thread stacks")
                dump_threads()

    def _on_stop_signal(self, name: str) -> None:
        self.told_to_stop = True
        step = self._stop_requests.record()
        if step is None:
            log.debug("received %s again within %.0fs: same request", name, SAME_REQUEST_SECONDS)
        elif step == "graceful":
            log.info("received %s: stopping", name)
            self.stop()
        elif step == "remind":
            running, timeout = len(self.running()), self.settings.shutdown_timeout
            log.warning(REMINDER, name, running, timeout, name, name)
        else:
            self.force_stop(f"received {name} a third time")


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
    inbox = SignalInbox()
    inbox.install()
    process = WorkerProcess(settings)
    process.settles_heap = True
    process.run(inbox)
    code = exit_code_for(process.exit_code, process.told_to_stop)
    if process.forced:
        # Job threads may still run user code that holds the interpreter's exit
        # (non-daemon threads, atexit joins); a forced stop must not wait for it.
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(code)
    return code


def settle_heap() -> None:
    """Take what start-up built out of the garbage collector's sight (``gc.freeze``).

    Imports, plugins and settings make ~50,000 objects that live as long as the process;
    every full collection walked them all, 10-30 ms with the GIL held, landing on the
    jobs running then and on an idle worker's next enqueue-to-start (issue 24). Only a
    process that is a worker and nothing else does this: frozen objects are never
    collected, which an application embedding a worker may not want."""
    gc.collect()
    gc.freeze()


def exit_code_for(code: int, told_to_stop: bool) -> int:
    """``EXIT_STOPPED`` for a clean stop on request under a supervisor, else ``code``."""
    return EXIT_STOPPED if code == 0 and told_to_stop and supervisor_pid() else code
