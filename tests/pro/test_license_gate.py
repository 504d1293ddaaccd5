"""The one license gate of Pro and Enterprise, checked where the paid work is built (issue 16).

A hook that forgets to ask, or code that builds a paid object directly, still
meets the gate: each object below refuses to exist without a license, with an
error that is both a licensing error and a ``WorkhorseError`` and says what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import workhorse_testkeys
from support.licenses import licensed

import workhorse_licensing
from workhorse.config import QueueWeight, Settings
from workhorse.errors import WorkhorseError
from workhorse.keys import Keys
from workhorse_enterprise.leader import LeaderConfig, LeaderElector
from workhorse_enterprise.license_gate import ENTERPRISE, PERIODIC_JOBS, RATE_LIMITING
from workhorse_enterprise.limits import concurrent
from workhorse_enterprise.limits.middleware import LimitsMiddleware
from workhorse_enterprise.limits.scripts import LimiterScripts
from workhorse_enterprise.periodic.ticker import PeriodicTicker
from workhorse_pro.batches.tracking import BatchMiddleware
from workhorse_pro.license_gate import BATCHES, PRO, RELIABLE_FETCH, FeatureNotLicensed, Gate
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.fetch import ReliableFetch
from workhorse_pro.reliable.recovery import Recoverer, RecoveryService

IDENTITY = "host:1:abcdefabcdef"
Build = Callable[[redis.Redis, Settings], object]


@pytest.fixture
def unlicensed(tmp_path: Path) -> Iterator[None]:
    """No key anywhere: an empty environment with a fresh HOME."""
    workhorse_testkeys.reset({"HOME": str(tmp_path)})
    yield
    workhorse_testkeys.reset()


def _recovery_service(r: redis.Redis, settings: Settings) -> object:
    with licensed(("pro",)):
        recoverer = Recoverer(r, Keys(), settings, ReliableConfig())
    return RecoveryService(recoverer)  # built later, once the license is gone


def _ticker(r: redis.Redis, settings: Settings) -> object:
    elector = LeaderElector(r, Keys(), IDENTITY, LeaderConfig())
    return PeriodicTicker(r, Keys(), [], elector, None)  # type: ignore[arg-type]


def _limiter_attempt(r: redis.Redis, settings: Settings) -> object:
    # A limiter may be declared unlicensed (job modules must import); its work may not.
    return concurrent("pool", 2, redis_client=r).attempt(1, False, 0, "token")


BUILDERS: dict[str, tuple[Build, str]] = {
    "ReliableFetch": (
        lambda r, s: ReliableFetch(
            r, Keys(), IDENTITY, (QueueWeight("default"),), ReliableConfig()
        ),
        "reliable_fetch",
    ),
    "Recoverer": (lambda r, s: Recoverer(r, Keys(), s, ReliableConfig()), "reliable_fetch"),
    "RecoveryService": (_recovery_service, "reliable_fetch"),
    "BatchMiddleware": (lambda r, s: BatchMiddleware(s), "batches"),
    "LimitsMiddleware": (lambda r, s: LimitsMiddleware(s, r), "rate_limiting"),
    "LimiterScripts": (lambda r, s: LimiterScripts(r), "rate_limiting"),
    "Limiter.attempt": (_limiter_attempt, "rate_limiting"),
    "PeriodicTicker": (_ticker, "periodic_jobs"),
}


@pytest.mark.usefixtures("unlicensed")
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_paid_machinery_refuses_to_be_built_without_a_license(
    name: str, r: redis.Redis, settings: Settings
) -> None:
    build, feature = BUILDERS[name]
    with pytest.raises(FeatureNotLicensed) as refused:
        build(r, settings)
    assert isinstance(refused.value, workhorse_licensing.FeatureNotLicensed)
    assert isinstance(refused.value, WorkhorseError)
    message = str(refused.value)
    assert f"feature {feature!r} is not available: no license key found" in message
    assert "set WORKHORSE_LICENSE to your license key" in message


def test_a_pro_license_builds_pro_machinery_but_not_enterprise_machinery(
    r: redis.Redis, settings: Settings
) -> None:
    with licensed(("pro",)):
        ReliableFetch(r, Keys(), IDENTITY, (QueueWeight("default"),), ReliableConfig())
        BatchMiddleware(settings)
        for name in ("LimitsMiddleware", "LimiterScripts", "PeriodicTicker"):
            with pytest.raises(FeatureNotLicensed, match="does not include enterprise"):
                BUILDERS[name][0](r, settings)


def test_an_enterprise_license_builds_everything(r: redis.Redis, settings: Settings) -> None:
    with licensed(("pro", "enterprise")):
        for name in (
            "ReliableFetch",
            "BatchMiddleware",
            "LimitsMiddleware",
            "LimiterScripts",
            "PeriodicTicker",
        ):
            BUILDERS[name][0](r, settings)


def test_both_tiers_use_the_one_gate_and_its_features() -> None:
    assert type(PRO) is type(ENTERPRISE) is Gate
    assert {f.gate for f in (RELIABLE_FETCH, BATCHES)} == {PRO}
    assert {f.gate for f in (RATE_LIMITING, PERIODIC_JOBS)} == {ENTERPRISE}
