"""Operate periodic entries from anywhere: list, pause, resume, run now (API, CLI, dashboard).

Entries come from the catalogue the leader publishes in Redis, so a process
that never imported the job modules (``workhorse cron ...``) can act on them;
entries registered in this process are used when no leader has published yet.
Every function needs an Enterprise license (``FeatureNotLicensed`` otherwise).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workhorse.client import Client, default_client
from workhorse_enterprise.leader.lease import current_leader
from workhorse_enterprise.license_gate import PERIODIC_JOBS
from workhorse_enterprise.periodic import registry
from workhorse_enterprise.periodic.entry import Entry
from workhorse_enterprise.periodic.errors import UnknownEntryError

__all__ = [
    "EntryStatus",
    "UnknownEntryError",
    "known_entries",
    "leader",
    "pause",
    "resume",
    "run_now",
    "status",
]
from workhorse_enterprise.periodic.jobs import build_job
from workhorse_enterprise.periodic.schedule import next_tick
from workhorse_enterprise.periodic.store import HistoryItem, PeriodicStore, tick_number


@dataclass(frozen=True)
class EntryStatus:
    """One row of ``workhorse cron list``; times are in the entry's time zone."""

    entry: Entry
    paused: bool
    next_run: datetime | None
    last_tick: datetime | None
    last_run: datetime | None
    last_jid: str | None
    history: list[HistoryItem]


def _client(client: Client | None) -> tuple[Client, PeriodicStore]:
    PERIODIC_JOBS.require()
    chosen = client or default_client()
    return chosen, PeriodicStore(chosen.redis, chosen.keys)


def known_entries(client: Client | None = None) -> dict[str, Entry]:
    """Published entries, completed by the ones registered in this process."""
    _, store = _client(client)
    local = {e.name: registry.resolve(e) for e in registry.entries()}
    return {**local, **store.catalogue()}


def _entry(name: str, client: Client | None) -> Entry:
    entries = known_entries(client)
    if name not in entries:
        raise UnknownEntryError(name, list(entries))
    return entries[name]


def pause(name: str, client: Client | None = None) -> None:
    """Stop enqueuing ``name``'s ticks (they are consumed, not saved up) until resumed."""
    _entry(name, client)
    _client(client)[1].set_paused(name, True)


def resume(name: str, client: Client | None = None) -> None:
    _entry(name, client)
    _client(client)[1].set_paused(name, False)


def run_now(name: str, client: Client | None = None) -> str | None:
    """Enqueue ``name``'s job at once (its ticks are not affected); the jid, or None if dropped."""
    entry = _entry(name, client)
    chosen, store = _client(client)
    job = build_job(chosen, entry, None, "manual")
    if job is None:
        return None
    store.enqueue_manual(entry, job)
    return str(job["jid"])


def leader(client: Client | None = None) -> str | None:
    """The identity of the process that enqueues ticks now, if any."""
    chosen, _ = _client(client)
    return current_leader(chosen.redis, chosen.keys)


def status(
    client: Client | None = None, now: float | None = None, history: int = 5
) -> list[EntryStatus]:
    """Every entry with its next run, last run and recent history."""
    now = time.time() if now is None else now
    _, store = _client(client)
    rows = []
    for entry in known_entries(client).values():
        state = store.state(entry.name)
        tz = _zone(entry)
        rows.append(
            EntryStatus(
                entry=entry,
                paused=state.get("paused") == "1",
                next_run=_at(next_tick(entry.schedule, now), tz) if entry.schedule else None,
                last_tick=_maybe_at(tick_number(state.get("last_tick")), tz),
                last_run=_maybe_at(_ms_to_s(state.get("last_enqueued_at")), tz),
                last_jid=state.get("last_jid"),
                history=store.history(entry.name, history),
            )
        )
    return rows


def _zone(entry: Entry) -> ZoneInfo:
    try:
        return ZoneInfo(entry.tz)
    except (ZoneInfoNotFoundError, ValueError):  # an invalid entry still lists, in UTC
        return ZoneInfo("UTC")


def _at(instant: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(instant, UTC).astimezone(tz)


def _maybe_at(instant: float | None, tz: ZoneInfo) -> datetime | None:
    return None if instant is None else _at(instant, tz)


def _ms_to_s(raw: str | None) -> float | None:
    """A stored epoch-milliseconds field in seconds; None when absent or garbled."""
    ms = tick_number(raw)
    return None if ms is None else ms / 1000
