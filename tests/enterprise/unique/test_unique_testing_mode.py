"""``workhorse.testing`` and unique jobs: off by default; ``testing.unique()`` switches it on."""

from __future__ import annotations

import pytest
import redis

import workhorse
from workhorse import testing
from workhorse.client import Client

pytestmark = pytest.mark.usefixtures("uclient")
ran: list[str] = []


@workhorse.job(name="ut.note", unique_for=60)
def note(tag: str) -> None:
    ran.append(tag)


@workhorse.job(name="ut.again", unique_for=60)
def again(tag: str) -> None:
    """Pushes itself while it runs: refused, since its own lock is still held."""
    ran.append(f"{tag}:{again.perform_async(tag) is None}")


@pytest.fixture(autouse=True)
def fresh() -> None:
    ran.clear()


def test_by_default_testing_modes_take_every_push(wh_client: Client, rc: redis.Redis) -> None:
    with testing.fake(wh_client.settings) as jobs:
        assert note.perform_async("a") is not None
        assert note.perform_async("a") is not None
        assert jobs.count(note) == 2
    assert rc.keys("unique:*") == []


def test_in_fake_mode_a_pending_identity_is_refused_until_it_runs(
    wh_client: Client, rc: redis.Redis
) -> None:
    with testing.fake(wh_client.settings) as jobs, testing.unique():
        first = note.perform_async("a")
        assert first is not None and note.perform_async("a") is None
        assert note.perform_in(300, "a") is None  # scheduled or not, the same identity
        assert note.perform_async("b") is not None
        assert [j is None for j in note.perform_bulk([("a",), ("c",), ("c",)])] == [
            True,
            False,
            True,
        ]
        assert jobs.count(note) == 3  # a, b, c
        assert jobs.drain() == 3 and ran == ["a", "b", "c"]
        assert note.perform_async("a") is not None  # the run released it
    assert rc.keys("unique:*") == []  # all in memory: nothing reached Redis


def test_the_bulk_slots_of_refused_pushes_hold_none(wh_client: Client) -> None:
    with testing.fake(wh_client.settings), testing.unique():
        jids = note.perform_bulk([("a",), ("c",), ("a",)])
        assert [jid is None for jid in jids] == [False, False, True]


def test_leaving_the_block_forgets_the_locks_and_unique_false_switches_it_off(
    wh_client: Client,
) -> None:
    with testing.fake(wh_client.settings) as jobs:
        with testing.unique():
            note.perform_async("a")
            with testing.unique(False):
                assert note.perform_async("a") is not None
            assert note.perform_async("a") is None
        assert note.perform_async("a") is not None
        assert jobs.count(note) == 3


def test_in_inline_mode_a_job_cannot_push_itself_while_it_runs(wh_client: Client) -> None:
    with testing.inline(wh_client.settings), testing.unique():
        assert again.perform_async("x") is not None
        assert again.perform_async("x") is not None  # the first finished: lock released
    assert ran == ["x:True", "x:True"]
