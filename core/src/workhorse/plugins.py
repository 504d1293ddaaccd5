"""Plugin discovery (entry-point group ``workhorse.plugins``) and one typed wrapper per hook."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, cast

import pluggy

from workhorse import hookspecs
from workhorse.errors import PluginLoadError

if TYPE_CHECKING:
    import click
    from redis import Redis

    from workhorse.config import Settings
    from workhorse.keys import Keys
    from workhorse.middleware import ClientMiddleware, JobContext, ServerMiddleware
    from workhorse.types import (
        Fetcher,
        JobPayload,
        MetricSample,
        PluginReport,
        ProcessContext,
        Service,
    )
    from workhorse.web.tab import DashboardTab

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "workhorse.plugins"

_manager: pluggy.PluginManager | None = None
_failures: list[PluginLoadError] = []
_lock = threading.RLock()


def manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading entry points on first use."""
    global _manager
    if _manager is None:
        with _lock:
            if _manager is None:
                _manager = _build()
    return _manager


def _build() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("workhorse")
    pm.add_hookspecs(hookspecs)
    from workhorse import builtin

    pm.register(builtin, name="workhorse.builtin")
    # Our own loop, not pm.load_setuptools_entrypoints: that one stops at the
    # first plugin that fails to import; we report it and carry on.
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if pm.has_plugin(ep.name):
            continue
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:  # noqa: BLE001 - any import error must not stop the worker
            failure = PluginLoadError(ep.name, exc)
            _failures.append(failure)
            log.error("%s", failure)
    pm.check_pending()
    return pm


def failures() -> list[PluginLoadError]:
    manager()
    return list(_failures)


def register(plugin: object, name: str | None = None) -> None:
    """Register a plugin object directly (tests, or an app's own plugin)."""
    manager().register(plugin, name=name)
    manager().check_pending()
    _forget_cached_answers()


def unregister(plugin: object) -> None:
    manager().unregister(plugin)
    _forget_cached_answers()


def reset() -> None:
    """Forget everything; the next call re-discovers entry points (tests)."""
    global _manager
    with _lock:
        _manager = None
        _failures.clear()
        _forget_cached_answers()


def names() -> list[str]:
    return [name for name, _ in manager().list_name_plugin() if name != "workhorse.builtin"]


def _hook() -> Any:
    return manager().hook


def _flatten(results: list[Any]) -> list[Any]:
    return [item for result in results if result for item in result]


def settings_defaults() -> dict[str, object]:
    merged: dict[str, object] = {}
    for result in reversed(_hook().workhorse_settings_defaults()):
        merged.update(result or {})
    return merged


# Read on every enqueue, so computed once per set of registered plugins.
_job_options_cache: dict[str, bool] | None = None


def job_options() -> dict[str, bool]:
    """Option names plugins accept, and whether each travels in the payload."""
    global _job_options_cache
    cached = _job_options_cache
    if cached is not None:
        return cached
    merged: dict[str, bool] = {}
    for result in _hook().workhorse_job_options():
        merged.update(result or {})
    _job_options_cache = merged
    return merged


def _forget_cached_answers() -> None:
    global _job_options_cache
    _job_options_cache = None


def validate_job_options(options: Mapping[str, object]) -> None:
    _hook().workhorse_validate_job_options(options=options)


def make_fetcher(process: ProcessContext) -> Fetcher[Any]:
    return cast("Fetcher[Any]", _hook().workhorse_make_fetcher(process=process))


def client_middleware(settings: Settings) -> list[ClientMiddleware]:
    return _flatten(_hook().workhorse_client_middleware(settings=settings))


def server_middleware(process: ProcessContext) -> list[ServerMiddleware]:
    """Every plugin's server middleware for ``process``, outermost first."""
    # pluggy calls the last registered first; reverse so registration order = outermost first.
    answers = _hook().workhorse_server_middleware(settings=process.settings, process=process)
    return _flatten(list(reversed(answers)))


def job_died(job: JobPayload, error: BaseException | None, process: ProcessContext) -> None:
    _hook().workhorse_job_died(job=job, error=error, process=process)


def job_failed(ctx: JobContext, error: BaseException) -> None:
    _hook().workhorse_job_failed(ctx=ctx, error=error)


def jobs_removed(jobs: Sequence[JobPayload], reason: str, redis: Redis, keys: Keys) -> None:
    """Fire ``workhorse_jobs_removed``; a failing plugin is logged, the removal stands."""
    if not jobs:
        return
    try:
        _hook().workhorse_jobs_removed(jobs=jobs, reason=reason, redis=redis, keys=keys)
    except Exception:
        log.exception("a plugin failed after %d job(s) were %s; continuing", len(jobs), reason)


def listens_for_removals() -> bool:
    """True when some plugin implements ``workhorse_jobs_removed`` (else skip reading jobs)."""
    return bool(_hook().workhorse_jobs_removed.get_hookimpls())


def startup(process: ProcessContext) -> None:
    """Fire ``workhorse_startup``; a failing plugin is logged, the process carries on."""
    _fire_logged("startup", lambda: _hook().workhorse_startup(process=process))


def heartbeat(process: ProcessContext) -> None:
    """Fire ``workhorse_heartbeat``; a failing plugin is logged, the process carries on."""
    _fire_logged("heartbeat", lambda: _hook().workhorse_heartbeat(process=process))


def quiet(process: ProcessContext) -> None:
    """Fire ``workhorse_quiet``; a failing plugin is logged, the process carries on."""
    _fire_logged("quiet", lambda: _hook().workhorse_quiet(process=process))


def shutdown(process: ProcessContext) -> None:
    """Fire ``workhorse_shutdown``; a failing plugin is logged, the process carries on."""
    _fire_logged("shutdown", lambda: _hook().workhorse_shutdown(process=process))


def leader(process: ProcessContext, elected: bool) -> None:
    """Fire ``workhorse_leader`` (Enterprise's leader election calls this, never core)."""
    _hook().workhorse_leader(process=process, elected=elected)


def _fire_logged(event: str, fire: Callable[[], object]) -> None:
    try:
        fire()
    except Exception:
        log.exception("a plugin failed in the %s event; continuing", event)


def services(process: ProcessContext) -> list[Service]:
    return _flatten(_hook().workhorse_services(process=process))


def cli_commands() -> list[click.Command]:
    return _flatten(_hook().workhorse_cli_commands())


def dashboard_tabs() -> list[DashboardTab]:
    tabs: list[DashboardTab] = _flatten(_hook().workhorse_dashboard_tabs())
    return tabs


def diagnostics(redis: Redis | None = None, keys: Keys | None = None) -> list[PluginReport]:
    reports: list[PluginReport] = _flatten(_hook().workhorse_diagnostics(redis=redis, keys=keys))
    return reports


def metrics(redis: Redis, keys: Keys) -> list[MetricSample]:
    """Every plugin's scrape-time samples; a failing plugin is logged and left out."""
    samples: list[MetricSample] = []
    for impl in _hook().workhorse_metrics.get_hookimpls():
        try:
            samples.extend(impl.function(redis=redis, keys=keys) or [])
        except Exception:
            log.exception("plugin %s failed to report metrics", impl.plugin_name)
    return samples
