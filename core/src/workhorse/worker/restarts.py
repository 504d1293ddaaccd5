"""When the supervisor restarts a worker process that exited, and when it gives up."""

from __future__ import annotations

from dataclasses import dataclass

# Exit code 2 is a configuration error (bad option, a -r module that does not
# import): the next start fails the same way, so restarting only loops.
CONFIG_ERROR = 2


@dataclass(frozen=True)
class RestartPolicy:
    """A child that exits within ``startup_seconds`` of starting failed at start-up.
    Such failures in a row are restarted after a doubling delay, and after
    ``max_startup_failures`` of them (or one configuration error) the supervisor gives up."""

    startup_seconds: float = 10.0
    max_startup_failures: int = 5
    first_delay: float = 1.0
    max_delay: float = 30.0


@dataclass(frozen=True)
class Restart:
    delay: float


@dataclass(frozen=True)
class GiveUp:
    reason: str
    exit_code: int


class ChildHistory:
    """One worker slot's record of failed starts."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self.startup_failures = 0

    def exited(self, code: int, lived: float) -> Restart | GiveUp:
        """What to do about a child that exited with ``code`` after ``lived`` seconds."""
        policy = self.policy
        if lived >= policy.startup_seconds or code == 0:  # 0: stopped on purpose (dashboard)
            self.startup_failures = 0
            return Restart(policy.first_delay)
        self.startup_failures += 1
        if code == CONFIG_ERROR:
            return GiveUp(
                f"exited with code 2 {lived:.1f}s after it started: a configuration error "
                "(its message is above); restarting it would fail the same way. Fix the "
                "error and start the worker again",
                CONFIG_ERROR,
            )
        if self.startup_failures >= policy.max_startup_failures:
            return GiveUp(
                f"failed {self.startup_failures} times in a row within "
                f"{policy.startup_seconds:.0f}s of starting (last exit code {code}); not "
                "restarting it again. The errors above say why; fix that and start the "
                "worker again",
                1,
            )
        delay = policy.first_delay * 2 ** (self.startup_failures - 1)
        return Restart(min(delay, policy.max_delay))
