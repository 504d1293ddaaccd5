"""The one license gate of both paid tiers: every paid feature passes through a ``Feature``.

DESIGN.md section 5: without a valid key paid features stay off and any use
raises a clear error; an expired key warns during its grace period; the
state is decided once per process (in ``workhorse_licensing``), so a running
worker is never stopped. One shape everywhere (issue 16):

- the object doing the paid work calls ``FEATURE.require()`` in its
  constructor (``ReliableFetch``, ``Recoverer``, ``BatchMiddleware``, the
  limiter scripts, ``PeriodicTicker``), so no route around a hook skips it;
- a hook that switches a feature on asks ``FEATURE.problem()`` and leaves
  core's default in place (logging the reason) when it is not None;
- a CLI command is wrapped by ``FEATURE.guard(command)``: unlicensed, it exits
  1 with one line that says what to do.

Enterprise declares its features on ``ENTERPRISE`` (``workhorse_enterprise.license_gate``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, TypeVar

import click

import workhorse_licensing
from workhorse.errors import WorkhorseError
from workhorse.types import PluginReport
from workhorse_licensing import License, LicenseStatus, Tier

log = logging.getLogger(__name__)
C = TypeVar("C", bound=click.Command)


class FeatureNotLicensed(workhorse_licensing.FeatureNotLicensed, WorkhorseError):
    """A paid feature was used without a license that covers it.

    Both a licensing error and a ``WorkhorseError``, so the ``workhorse`` CLI
    prints it as a clean one-line error and callers may catch either.
    """


class Gate:
    """One tier's license: its state, its features, its report lines."""

    def __init__(self, tier: Tier) -> None:
        self.tier: Tier = tier
        self.distribution = f"workhorse-{tier}"

    def feature(self, name: str | None = None) -> Feature:
        return Feature(self, name)

    def status(self) -> LicenseStatus:
        return workhorse_licensing.status(self.tier)

    def require(self, feature: str | None = None) -> License:
        """The license, or ``FeatureNotLicensed`` saying what is wrong and how to fix it."""
        try:
            return workhorse_licensing.require(self.tier, feature)
        except workhorse_licensing.FeatureNotLicensed as exc:
            raise FeatureNotLicensed(str(exc)) from None

    def problem(self, feature: str | None = None) -> str | None:
        """Why ``feature`` is off in this process, or None when it is licensed."""
        try:
            self.require(feature)
        except FeatureNotLicensed as exc:
            return str(exc)
        return None

    def entitled(self, feature: str | None = None) -> bool:
        return self.problem(feature) is None

    def describe(self) -> str:
        return workhorse_licensing.describe(self.tier)

    def log_startup(self) -> None:
        """The worker's license line: INFO when licensed, WARNING otherwise."""
        valid = self.status().state == "valid"
        log.log(logging.INFO if valid else logging.WARNING, "%s", self.describe())

    def report(self, problems: tuple[str, ...] = (), notes: tuple[str, ...] = ()) -> PluginReport:
        """This tier's line in ``workhorse version`` and ``doctor``, plus ``problems``/``notes``."""
        current = self.status()
        own = () if current.state == "valid" else (self.describe(),)
        return PluginReport(
            self.distribution,
            _version(self.distribution),
            current.state,
            current.active,
            (*own, *problems),
            notes,
        )


@dataclass(frozen=True)
class Feature:
    """A licensed feature of one tier (``None``: the tier itself)."""

    gate: Gate
    name: str | None

    def require(self) -> License:
        """Call where the paid work is built; raises ``FeatureNotLicensed`` without a license."""
        return self.gate.require(self.name)

    def problem(self) -> str | None:
        return self.gate.problem(self.name)

    @property
    def licensed(self) -> bool:
        return self.problem() is None

    def guard(self, command: C) -> C:
        """Make ``command`` (and, for a group, every subcommand) check the license first.

        ``-h``/``--help`` still work unlicensed: click answers them before a command's
        callback runs. A group's own callback is checked only when the group itself does
        the work (no subcommand), since click runs it before a subcommand's ``-h``.
        """
        if isinstance(command, click.Group):
            self._guard_subcommands(command)
            if command.callback is not None and command.invoke_without_command:
                command.callback = self._checked(command.callback, only_without_subcommand=True)
            return command
        if command.callback is None:
            raise TypeError(f"command {command.name!r} has no callback to guard")
        command.callback = self._checked(command.callback)
        return command

    def _guard_subcommands(self, group: click.Group) -> None:
        """Guard each subcommand as click resolves it, so those added after the group was
        guarded (``@group.command`` below the group's definition) are covered too."""
        resolve = group.get_command

        def get_command(ctx: click.Context, name: str) -> click.Command | None:
            command = resolve(ctx, name)
            if command is not None and not getattr(command, _GUARDED, False):
                setattr(command, _GUARDED, True)
                self.guard(command)
            return command

        group.get_command = get_command  # type: ignore[method-assign,assignment]

    def _checked(
        self, callback: Callable[..., Any], only_without_subcommand: bool = False
    ) -> Callable[..., Any]:
        @functools.wraps(callback)
        def checked(*args: Any, **kwargs: Any) -> Any:
            subcommand = click.get_current_context().invoked_subcommand
            if not (only_without_subcommand and subcommand):
                try:
                    self.require()
                except FeatureNotLicensed as exc:
                    raise click.ClickException(str(exc)) from None
            return callback(*args, **kwargs)

        return checked


_GUARDED = "_workhorse_license_guarded"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


PRO = Gate("pro")
RELIABLE_FETCH = PRO.feature("reliable_fetch")
BATCHES = PRO.feature("batches")


def require_pro(feature: str | None = None) -> License:
    """Call at the entry of every Pro API; raises ``FeatureNotLicensed`` without a license."""
    return PRO.require(feature)
