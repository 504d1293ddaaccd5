"""Prometheus export (extra ``workhorse[prometheus]``): a collector read at scrape time.

Two sources, both read lazily when Prometheus scrapes, never per job:

* this process (or, under ``-p N``, the sum of its children): job counters and
  the duration histogram by job class and queue, busy and total threads;
* Redis (installation-wide): queue size, latency and pause per queue, the
  scheduled/retry/dead set sizes, live processes, the leader, and whatever the
  installed plugins report through the ``workhorse_metrics`` hook.

The names are documented in docs/observability.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

try:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.exposition import CONTENT_TYPE_LATEST
    from prometheus_client.registry import Collector
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from workhorse.errors import ConfigError

    raise ConfigError(
        "Prometheus metrics need the prometheus-client package: pip install 'workhorse[prometheus]'"
    ) from exc

from workhorse import plugins, stats
from workhorse.metrics import ProcessMetrics

if TYPE_CHECKING:
    from workhorse.api import Inspector

log = logging.getLogger(__name__)
LABELS = ["class", "queue"]
COUNTERS = (
    ("workhorse_jobs_processed", "Jobs executed (succeeded or failed)", stats.PROCESSED),
    ("workhorse_jobs_failed", "Job executions that raised", stats.FAILED),
    ("workhorse_jobs_retried", "Failed jobs scheduled for a retry", stats.RETRIED),
    ("workhorse_jobs_dead", "Failed jobs moved to the dead set", stats.DEAD),
)


class WorkhorseCollector(Collector):
    """Yields workhorse's metric families; either source may be absent."""

    def __init__(
        self,
        local: Callable[[], ProcessMetrics] | None = None,
        inspector: Callable[[], Inspector] | None = None,
    ) -> None:
        self.local = local
        self.inspector = inspector

    def collect(self) -> Iterator[Metric]:
        if self.local is not None:
            yield from process_families(self.local())
        if self.inspector is not None:
            yield from redis_families(self.inspector())


def process_families(m: ProcessMetrics) -> Iterator[Metric]:
    for name, doc, index in COUNTERS:
        family = CounterMetricFamily(name, doc, labels=LABELS)
        for (job, queue), row in sorted(m.series.items()):
            family.add_metric([job, queue], row[index])
        yield family
    hist = HistogramMetricFamily(
        "workhorse_job_duration_seconds",
        "Time a job's body ran, middleware included",
        labels=LABELS,
    )
    bounds = [*(str(b) for b in stats.DURATION_BUCKETS), "+Inf"]
    for (job, queue), row in sorted(m.series.items()):
        counts = row[stats.BUCKET0 :]
        cumulative, running = [], 0.0
        for bound, count in zip(bounds, counts, strict=True):
            running += count
            cumulative.append((bound, running))
        hist.add_metric([job, queue], cumulative, row[stats.SECONDS])
    yield hist
    yield GaugeMetricFamily("workhorse_busy_threads", "Threads running a job now", m.busy)
    yield GaugeMetricFamily("workhorse_threads", "Job threads (concurrency)", m.concurrency)


def redis_families(api: Inspector, now: float | None = None) -> Iterator[Metric]:
    now = time.time() if now is None else now
    size = GaugeMetricFamily("workhorse_queue_size", "Jobs waiting in a queue", labels=["queue"])
    latency = GaugeMetricFamily(
        "workhorse_queue_latency_seconds", "Age of the oldest job in a queue", labels=["queue"]
    )
    paused = GaugeMetricFamily(
        "workhorse_queue_paused", "1 if the queue is paused", labels=["queue"]
    )
    for q in api.queues.summaries():
        size.add_metric([q.name], q.size)
        latency.add_metric([q.name], q.latency if q.size else 0.0)
        paused.add_metric([q.name], 1.0 if q.paused else 0.0)
    yield from (size, latency, paused)
    summary = api.stats.summary()
    for name, doc, value in (
        ("workhorse_scheduled_jobs", "Jobs in the scheduled set", summary.scheduled),
        ("workhorse_retry_jobs", "Jobs in the retry set", summary.retries),
        ("workhorse_dead_jobs", "Jobs in the dead set", summary.dead),
        ("workhorse_processes", "Live worker processes (all hosts)", summary.processes),
        ("workhorse_cluster_busy_threads", "Busy threads over all processes", summary.busy),
    ):
        yield GaugeMetricFamily(name, doc, value)
    for name, doc, value in (
        ("workhorse_stats_processed", "Sidekiq's stat:processed counter", summary.processed),
        ("workhorse_stats_failed", "Sidekiq's stat:failed counter", summary.failed),
    ):
        yield CounterMetricFamily(name, doc, value)
    leader = api.processes.leader()
    family = GaugeMetricFamily(
        "workhorse_leader", "1 for the process holding leadership", labels=["identity"]
    )
    if leader:
        family.add_metric([leader], 1.0)
    yield family
    yield from plugin_families(api)


def plugin_families(api: Inspector) -> Iterator[Metric]:
    families: dict[str, GaugeMetricFamily] = {}
    label_names: dict[str, list[str]] = {}
    for sample in plugins.metrics(api.redis, api.keys):
        names = sorted(sample.labels)
        family = families.get(sample.name)
        if family is None:
            family = families[sample.name] = GaugeMetricFamily(
                sample.name, sample.help, labels=names
            )
            label_names[sample.name] = names
        if names != label_names[sample.name]:
            log.warning(
                "metric %s: labels %s differ from %s; sample skipped",
                sample.name,
                names,
                label_names[sample.name],
            )
            continue
        family.add_metric([sample.labels[n] for n in names], sample.value)
    yield from families.values()


def exposition(collector: Collector) -> tuple[str, bytes]:
    """The text format for one scrape of ``collector``: (content type, body)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return CONTENT_TYPE_LATEST, generate_latest(registry)
