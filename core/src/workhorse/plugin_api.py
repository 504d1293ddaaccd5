"""The core modules a paid tier (``workhorse_pro``, ``workhorse_enterprise``) may import.

Tiers attach through :mod:`workhorse.hookspecs` and the surface below, nothing
else: a core module missing here may change shape in any release without
notice to the tiers. ``tests/core/test_plugin_seam.py`` walks every import of
``pro/`` and ``enterprise/`` and fails on one outside this list, and on any
core import of a tier.
"""

from __future__ import annotations

TIER_SURFACE: frozenset[str] = frozenset(
    {
        "workhorse",  # the package's public names (workhorse.__all__)
        "workhorse.hookspecs",  # hookimpl and the hook contracts
        "workhorse.plugins",  # the typed hook wrappers (fire job_died, leader)
        "workhorse.types",  # JobPayload, UnitOfWork, Fetcher, Service, ProcessContext...
        "workhorse.middleware",  # middleware Protocols, JobContext, claim()
        "workhorse.config",  # Settings
        "workhorse.errors",
        "workhorse.keys",  # the Redis key layout
        "workhorse.client",  # Client, the default client
        "workhorse.job",  # job definitions (a batch callback is a job)
        "workhorse.payload",  # the wire format of a job
        "workhorse.scripts",  # Lua loading and EVALSHA with reload
        "workhorse.fetch",  # QueueOrder: the strict or weighted order a fetcher walks
        "workhorse.dedicated",  # a connection for blocking commands
        "workhorse.async_redis",  # redis.asyncio twin of a client (async waits on the loop)
        "workhorse.memo",  # PerOwner: state kept once per client
        "workhorse.quarantine",  # bytes that are not a job
        "workhorse.logs",
        "workhorse.tracelinks",  # spans a batch or a periodic tick links its jobs to
        "workhorse.plugin_settings",  # PluginSettings: typed settings from extras and env
        "workhorse.web.tab",  # DashboardTab
        "workhorse.web.tabs",  # the helpers a tab's pages call (DashboardTab too)
        "workhorse.cli.options",  # shared click options (--redis-url, --prefix...)
        "workhorse.cli.session",  # a CLI command's client and output
    }
)

# Enterprise's swarm runs many worker processes from one supervisor: it is the
# process model itself, so it builds on the worker's own parts. Declared here,
# each with its user, so the exception stays this narrow.
PROCESS_MODEL: dict[str, frozenset[str]] = {
    "workhorse_enterprise.swarm": frozenset(
        {
            "workhorse.cli.worker_cmd",  # the worker command's options and settings
            "workhorse.heartbeat",  # rss_kb for recycling by memory
            "workhorse.stats",  # the process's counters snapshot
            "workhorse.worker.capsule",
            "workhorse.worker.launcher",  # WorkerProcess: what each child runs
            "workhorse.worker.preflight",
            "workhorse.worker.restarts",
            "workhorse.worker.signals",
            "workhorse.worker.supervisor",
        }
    ),
}


def may_import(tier_module: str, core_module: str) -> bool:
    """True when ``tier_module`` (a module of a paid tier) may import ``core_module``."""
    if core_module in TIER_SURFACE:
        return True
    return any(
        (tier_module == user or tier_module.startswith(user + ".")) and core_module in allowed
        for user, allowed in PROCESS_MODEL.items()
    )
