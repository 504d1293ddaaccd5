"""What runs in a forked swarm child: a core ``WorkerProcess`` and a watcher thread.

The watcher tells the parent when this child is ready and when it went over a
recycle limit, and acts on the parent's ``drain``: go quiet, let every running
job finish however long it takes, then stop. If the parent dies the child stops
as on SIGTERM rather than run on unsupervised.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import threading
from typing import NoReturn

from workhorse.config import Settings
from workhorse.heartbeat import rss_kb
from workhorse.stats import snapshot
from workhorse.worker.capsule import thread_stats
from workhorse.worker.launcher import WorkerProcess, exit_code_for
from workhorse.worker.signals import HANDLED, SignalInbox, serve

from .channel import Channel
from .limits import RecycleLimits

log = logging.getLogger("workhorse.swarm")
CHECK_SECONDS = 1.0  # how often limits are checked: a job's worth of overshoot at most


class Watcher:
    def __init__(self, process: WorkerProcess, channel: Channel, limits: RecycleLimits) -> None:
        self.process = process
        self.channel = channel
        self.limits = limits
        self.reported = False
        self.draining = False

    def start(self) -> None:
        threading.Thread(target=self._loop, name="workhorse-swarm-watch", daemon=True).start()

    def _loop(self) -> None:
        while not self.process.stopping.is_set():
            readable, _, _ = select.select([self.channel.read_fd], [], [], CHECK_SECONDS)
            if readable:
                for line in self.channel.receive():
                    if line == "drain":
                        self._drain()
                if self.channel.closed:
                    log.warning("the swarm parent is gone; stopping this child")
                    self.process.handle_signal("TERM")
                    return
            self._check_limits()

    def _check_limits(self) -> None:
        if self.reported or not self.limits.active:
            return
        done = snapshot(thread_stats(self.process.capsules)).processed
        reason = self.limits.exceeded(rss_kb(), done)
        if reason is not None:
            self.reported = True
            log.info("over a recycle limit (%s): asking to be replaced", reason)
            self.channel.send(f"recycle {reason}")

    def _drain(self) -> None:
        if self.draining:
            return
        self.draining = True
        threading.Thread(
            target=self._finish_and_stop, name="workhorse-swarm-drain", daemon=True
        ).start()

    def _finish_and_stop(self) -> None:
        """Quiet, then wait with no deadline for every running job, then stop (issue 22:
        a replacement already runs, so waiting costs no capacity and loses no job)."""
        process = self.process
        log.info(
            "draining: finishing %d running job(s) with no timeout, then exiting",
            len(process.running()),
        )
        process.set_quiet()
        while not process.wait_idle(5.0):
            if process.stopping.is_set():
                return  # a stop signal took over, with its own timeout
        process.stop()


def run_child(settings: Settings, channel: Channel, limits: RecycleLimits) -> NoReturn:
    """The forked child's whole life; never returns into the parent's stack."""
    code = 1
    try:
        code = _serve(settings, channel, limits)
    except BaseException:  # whatever happens, this child exits here
        log.exception("swarm child failed")
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(code)


def _serve(settings: Settings, channel: Channel, limits: RecycleLimits) -> int:
    inbox = SignalInbox()
    inbox.install(HANDLED)
    for signum in (signal.SIGUSR2, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)  # meant for the parent (a restart), not us
    # The parent forked us with these blocked; now that they have handlers, take them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (*HANDLED, signal.SIGUSR2, signal.SIGHUP))
    process = WorkerProcess(settings)
    process.start()
    channel.send("ready")
    Watcher(process, channel, limits).start()
    serve([process], inbox)
    return exit_code_for(process.exit_code, process.told_to_stop)
