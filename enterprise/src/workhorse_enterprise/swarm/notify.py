"""systemd ``Type=notify``: tell the service manager we are ready, what we do, and that we
are alive (``sd_notify`` protocol: one datagram per message to ``$NOTIFY_SOCKET``).

Without ``NOTIFY_SOCKET`` (not started by systemd) every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, address: str | None, watchdog_seconds: float | None) -> None:
        self._address = "\0" + address[1:] if address and address.startswith("@") else address
        # systemd advises pinging at half the interval it enforces.
        self.watchdog_every = watchdog_seconds / 2 if watchdog_seconds else None
        self._last_ping = float("-inf")
        self._warned = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if env is None else env
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())  # the watchdog may be meant for another pid
        seconds = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 and mine else None
        return cls(env.get("NOTIFY_SOCKET") or None, seconds)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, **fields: str) -> None:
        """``send(READY="1", STATUS="...")``; a failure is logged once, never raised."""
        if self._address is None:
            return
        message = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                # Never wait: a listener that stopped reading must not stall the supervisor
                # (a full queue drops this message; the next ping carries on).
                sock.sendto(message, socket.MSG_DONTWAIT, self._address)
        except BlockingIOError:
            log.debug("systemd's notify queue is full; dropped %r", message)
        except OSError as exc:
            if not self._warned:
                log.warning("could not notify systemd at %s: %s", self._address, exc)
                self._warned = True

    def ready(self, status: str) -> None:
        self.send(READY="1", STATUS=status)

    def reloading(self, status: str) -> None:
        usec = str(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)
        self.send(RELOADING="1", MONOTONIC_USEC=usec, STATUS=status)

    def stopping(self, status: str) -> None:
        self.send(STOPPING="1", STATUS=status)

    def status(self, status: str) -> None:
        self.send(STATUS=status)

    def ping(self, now: float) -> None:
        """Pet the watchdog when half its interval passed; call from the main loop."""
        if self.watchdog_every is not None and now - self._last_ping >= self.watchdog_every:
            self._last_ping = now
            self.send(WATCHDOG="1")
