"""The swarm parent: import the application once, fork N children, keep N working.

- A child that crashes is refilled under core's restart policy.
- A child over ``--max-memory``/``--max-jobs`` gets a successor first; once the
  successor is ready the old child drains (finishes its jobs, no timeout) and exits.
- SIGUSR2 (``workhorse restart``) rolls every child over: the parent re-executes
  itself (``handoff``) to import the new code, forks a new generation, and drains the
  old one once the new one is ready, so there is never a moment without children.
- TERM/INT/TSTP/TTIN are passed on to every child, as core's ``-p N`` does.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from pathlib import Path

from workhorse import plugins
from workhorse.config import Settings
from workhorse.worker.preflight import RequireError, require
from workhorse.worker.restarts import GiveUp, RestartPolicy
from workhorse.worker.signals import STOP_SIGNALS, SignalInbox, StopRequests
from workhorse.worker.supervisor import EXIT_STOPPED, SUPERVISOR_ENV
from workhorse_enterprise.license_gate import SWARM

from . import handoff
from .channel import Channel
from .child import run_child
from .family import Child, Slot
from .limits import RecycleLimits
from .notify import Notifier

log = logging.getLogger("workhorse.swarm")
SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGTSTP,
    signal.SIGTTIN,
    signal.SIGUSR2,
    signal.SIGHUP,
)
TICK = 0.1


class Swarm:
    def __init__(
        self,
        settings: Settings,
        count: int,
        limits: RecycleLimits | None = None,
        policy: RestartPolicy | None = None,
        notifier: Notifier | None = None,
        pidfile: Path | None = None,
    ) -> None:
        lic = SWARM.require()
        if lic.max_processes is not None and count > lic.max_processes:
            log.warning(
                "%d children exceed license %s's %d worker processes: each child counts as one",
                count,
                lic.license_id,
                lic.max_processes,
            )
        self.settings = settings
        self.count = count
        self.limits = limits or RecycleLimits()
        self.slots = [Slot(n + 1, policy or RestartPolicy()) for n in range(count)]
        self.notifier = notifier or Notifier.from_env()
        self.pidfile = pidfile
        self.adopted: list[Child] = []  # the previous image's children, drained once we are ready
        self.retiring: list[Child] = []  # draining, replaced already
        self.stop_requests = StopRequests()
        self.stopping = False
        self.preloaded = False
        self.announced_ready = False
        self.exit_code = 0
        self._inbox: SignalInbox | None = None

    # -- the main loop ------------------------------------------------------
    def run(self, inbox: SignalInbox | None = None) -> int:
        if inbox is None:
            inbox = SignalInbox()
            inbox.install(SIGNALS)
        # A re-executed image inherits these blocked (handoff): receive them from now on.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
        self._inbox = inbox
        self.adopted = [Child.adopted(h) for h in handoff.adopt()]
        self._write_pidfile()
        self.preloaded = self._preload()
        try:
            while not (self.stopping and not self._everyone()):
                for name in inbox.receive(TICK):
                    self._on_signal(name)
                self._read_messages()
                self._tick(time.monotonic())
        finally:
            self._remove_pidfile()
        log.info("swarm stopped")
        return self.exit_code

    def _preload(self) -> bool:
        """Import the application here, once, so every child shares it copy-on-write."""
        started = time.monotonic()
        try:
            require(self.settings.require)
        except RequireError as exc:
            if not self.adopted:
                raise
            log.error(
                "rolling restart failed: the new code does not import (%s); the old "
                "children keep working. Fix it and send SIGUSR2 (workhorse restart)",
                exc,
            )
            return False
        plugins.settings_defaults()  # load the plugins before forking, too
        others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        if others:  # a fork copies only this thread: locks theirs hold stay held in children
            log.warning(
                "threads run in the swarm parent before it forks (%s): start threads "
                "in jobs or startup handlers, not at import",
                ", ".join(others),
            )
        gc.collect()
        gc.freeze()  # keep the collector from writing to (and so copying) preloaded objects
        log.info(
            "swarm preloaded %s in %.2fs; forking %d children (pid %d)",
            ", ".join(self.settings.require) or "workhorse",
            time.monotonic() - started,
            self.count,
            os.getpid(),
        )
        return True

    def _everyone(self) -> list[Child]:
        members = [c for slot in self.slots for c in slot.members()]
        return [c for c in (*members, *self.retiring, *self.adopted) if c.alive]

    def _read_messages(self) -> None:
        for child in self._everyone():  # non-blocking reads: the inbox wait paces the loop
            for line in child.channel.receive():
                self._on_message(child, line)

    def _on_message(self, child: Child, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == "ready" and not child.ready:
            child.ready = True
            log.info("child pid=%d is ready", child.pid)
        elif word == "recycle" and child.recycle is None:
            child.recycle = rest or "over a limit"
            log.info("child pid=%d will be replaced: %s", child.pid, child.recycle)

    def _tick(self, now: float) -> None:
        for child in self._everyone():
            child.reap()
        self.retiring = [c for c in self.retiring if c.alive or _gone(c, "drained")]
        self.adopted = [c for c in self.adopted if c.alive or _gone(c, "old generation")]
        if not self.stopping and self.preloaded:
            for slot in self.slots:
                self._tend(slot, now)
            self._announce_ready()
        if not self.stopping and self._all_retired():
            log.info("every child was stopped on request; exiting")
            self.stopping = True
        self.notifier.ping(now)

    def _all_retired(self) -> bool:
        return self.preloaded and all(slot.retired for slot in self.slots)

    # -- one slot ------------------------------------------------------------
    def _tend(self, slot: Slot, now: float) -> None:
        if slot.retired:
            return
        child = slot.child
        if child is not None and not child.alive:
            self._child_exited(slot, child, now)
        elif child is None and now >= slot.restart_at:
            slot.child = self._fork(slot)
        elif child is not None and child.recycle is not None:
            self._replace(slot, child, now)

    def _child_exited(self, slot: Slot, child: Child, now: float) -> None:
        slot.child, lived = None, now - child.started
        if slot.successor is not None:  # it was being replaced anyway
            slot.child, slot.successor = slot.successor, None
            log.warning(
                "child pid=%d exited (%s) while its successor started", child.pid, child.exit_code
            )
        elif child.exit_code == EXIT_STOPPED:
            log.info(
                "child %d (pid=%d) stopped on request; not restarting it", slot.number, child.pid
            )
            slot.retired = True
        else:
            self._schedule_restart(slot, child, lived, now)

    def _schedule_restart(self, slot: Slot, child: Child, lived: float, now: float) -> None:
        decision = slot.history.exited(child.exit_code or 0, lived)
        if isinstance(decision, GiveUp):
            log.error("child %d (pid=%d) %s; stopping", slot.number, child.pid, decision.reason)
            self.exit_code = decision.exit_code
            self._stop()
            return
        log.warning(
            "child %d (pid=%d) exited with %s after %.1fs; restart in %.1fs",
            slot.number,
            child.pid,
            child.exit_code,
            lived,
            decision.delay,
        )
        slot.restart_at = now + decision.delay

    def _replace(self, slot: Slot, child: Child, now: float) -> None:
        """Start a successor; once it is ready the old child drains (issue 22: no gap)."""
        successor = slot.successor
        if successor is None:
            if now >= slot.restart_at:
                slot.successor = self._fork(slot)
            return
        if not successor.alive:
            slot.successor = None
            self._schedule_restart(slot, successor, now - successor.started, now)
        elif successor.ready:
            slot.child, slot.successor = successor, None
            child.drain()
            self.retiring.append(child)
            log.info(
                "child %d: pid=%d took over from pid=%d (%s), which drains",
                slot.number,
                successor.pid,
                child.pid,
                child.recycle,
            )

    def _announce_ready(self) -> None:
        if not all(slot.retired or (slot.child and slot.child.ready) for slot in self.slots):
            return
        for old in self.adopted:  # the new generation works: the old one may go
            old.drain()
        if not self.announced_ready:
            self.announced_ready = True
            pids = " ".join(str(s.child.pid) for s in self.slots if s.child)
            log.info("swarm ready: %d children (pids %s)", self.count, pids)
            self.notifier.ready(f"{self.count} children working")

    # -- forking -------------------------------------------------------------
    def _fork(self, slot: Slot) -> Child:
        parent_end, child_end = Channel.pair()
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)  # until the child's own
        pid = os.fork()  # handlers are in place
        if pid == 0:
            self._become_child(parent_end, child_end)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        child_end.close()
        log.info("forked child %d of %d, pid=%d", slot.number, self.count, pid)
        return Child(pid, parent_end)

    def _become_child(self, parent_end: Channel, child_end: Channel) -> None:
        parent_end.close()
        for other in self._everyone():  # so a parent's death reaches each child as EOF
            other.channel.close()
        if self._inbox is not None:
            self._inbox.close()
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        os.environ[SUPERVISOR_ENV] = str(os.getppid())
        # The signals stay blocked until run_child has its own handlers in place.
        run_child(self.settings, child_end, self.limits)

    # -- signals -------------------------------------------------------------
    def _on_signal(self, name: str) -> None:
        if name in STOP_SIGNALS:
            if self.stop_requests.record() is None:
                return  # the same request again; each child counts its own copies
            self._stop()
            self._forward(signal.SIGTERM)
        elif name in ("TSTP", "TTIN"):
            self._forward(signal.Signals[f"SIG{name}"])
        elif name == "USR2":
            self._rolling_restart()
        elif name == "HUP":
            log.info("received HUP: ignored (send USR2 or run `workhorse restart` to restart)")

    def _stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            log.info("stopping %d children", len(self._everyone()))
            self.notifier.stopping("stopping")

    def _forward(self, signum: signal.Signals) -> None:
        for child in self._everyone():
            child.signal(signum)

    def _rolling_restart(self) -> None:
        if self.stopping:
            log.info("received USR2 while stopping: ignored")
            return
        children = self._everyone()
        log.info(
            "received USR2: rolling restart; %d children keep working until a new "
            "generation is ready",
            len(children),
        )
        self.notifier.reloading("rolling restart")
        handoff.hand_over((c.handed() for c in children), SIGNALS)

    # -- pidfile -------------------------------------------------------------
    def _write_pidfile(self) -> None:
        if self.pidfile is not None:
            self.pidfile.write_text(f"{os.getpid()}\n", encoding="ascii")

    def _remove_pidfile(self) -> None:
        if self.pidfile is not None and self.pidfile.exists():
            self.pidfile.unlink()


def _gone(child: Child, what: str) -> bool:
    log.info("child pid=%d (%s) exited with %s", child.pid, what, child.exit_code)
    return False
