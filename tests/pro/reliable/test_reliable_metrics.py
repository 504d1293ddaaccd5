"""Reliable fetch's leases and jobs in progress reach Prometheus through the metrics hook."""

from __future__ import annotations

import json
from collections.abc import Iterator

import redis
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from workhorse import prometheus
from workhorse.api import Inspector
from workhorse.config import QueueWeight
from workhorse.keys import Keys
from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.fetch import ReliableFetch
from workhorse_pro.reliable.plugin import reliable_samples
from workhorse_pro.reliable.status import status_of

IDENTITY = "host:1:abcdefabcdef"


class PluginGauges:
    """A collector of just the plugins' gauges, rendered by prometheus_client itself."""

    def __init__(self, r: redis.Redis) -> None:
        self.inspector = Inspector(r)

    def collect(self) -> Iterator[Metric]:
        return prometheus.plugin_families(self.inspector)


def scraped(r: redis.Redis) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    _, body = prometheus.exposition(PluginGauges(r))
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(body.decode())
        for s in f.samples
    }


def test_jobs_in_progress_and_the_lease_are_gauges_per_process(
    pro_license: str, r: redis.Redis
) -> None:
    r.lpush(
        "queue:default",
        *[json.dumps({"class": "x", "args": [n], "jid": f"{n:024x}"}) for n in range(3)],
    )
    fetch = ReliableFetch(r, Keys(), IDENTITY, (QueueWeight("default"),), ReliableConfig(lease=5))
    try:
        fetch.fetch(2, 0)
        samples = scraped(r)
    finally:
        fetch.lease.release()
    process = (("process", IDENTITY),)
    assert samples[("workhorse_reliable_in_progress_jobs", process)] == 2
    assert samples[("workhorse_reliable_lease_alive", process)] == 1
    assert samples[("workhorse_reliable_jobs", (("event", "recovered"),))] == 0


def test_an_expired_lease_reads_zero(pro_license: str, r: redis.Redis) -> None:
    fetch = ReliableFetch(r, Keys(), IDENTITY, (QueueWeight("default"),), ReliableConfig(lease=5))
    fetch.lease.release()
    leases = {
        s.labels.get("process"): s.value
        for s in reliable_samples(status_of(r, Keys()))
        if s.name == "workhorse_reliable_lease_alive"
    }
    assert leases.get(IDENTITY, 0.0) == 0.0


def test_without_a_license_no_reliable_gauges_are_reported(r: redis.Redis) -> None:
    assert not any(name.startswith("workhorse_reliable") for name, _ in scraped(r))
