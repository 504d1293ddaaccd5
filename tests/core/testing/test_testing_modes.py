"""``workhorse.testing``: fake mode collects, inline mode runs; both as context managers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis
import testing_jobs as jobs  # type: ignore[import-not-found]

from workhorse import client as client_module
from workhorse import plugins, testing
from workhorse.errors import ArgumentError, UnknownJobError
from workhorse.hookspecs import hookimpl
from workhorse.middleware import JobContext, RunNext


@pytest.fixture(autouse=True)
def fresh_calls() -> Iterator[None]:
    jobs.calls.clear()
    yield
    jobs.calls.clear()


def test_fake_collects_jobs_per_job_without_running_them() -> None:
    with testing.fake() as fake:
        jobs.send_welcome.perform_async("ada@example.com")
        jobs.signup.perform_async("bob@example.com")
        jobs.send_welcome.perform_in(60, "cy@example.com")
    assert jobs.calls == []
    assert fake.args(jobs.send_welcome) == [["ada@example.com"], ["cy@example.com"]]
    assert fake.count("tests.signup") == 0 and fake.count(jobs.signup) == 1
    assert len(fake) == 3
    assert [j["class"] for j in fake.queue("mail")] == [jobs.send_welcome.name] * 2
    assert "at" in fake.jobs(jobs.send_welcome)[1]


def test_fake_writes_nothing_to_redis(r: redis.Redis) -> None:
    with testing.fake():
        jobs.send_welcome.perform_async("x")
    assert r.dbsize() == 0


def test_fake_drain_runs_jobs_and_the_jobs_they_enqueue() -> None:
    with testing.fake() as fake:
        jobs.signup.perform_async("ada@example.com")
        assert fake.drain() == 2
    assert jobs.calls == [("signup", "ada@example.com"), ("welcome", "ada@example.com")]
    assert len(fake) == 0


def test_fake_drain_of_one_job_leaves_the_others() -> None:
    with testing.fake() as fake:
        jobs.signup.perform_async("a")
        jobs.send_welcome.perform_async("b")
        assert fake.drain(jobs.send_welcome) == 1
        assert fake.count(jobs.signup) == 1
        assert fake.perform_one(jobs.signup)
        assert not fake.perform_one(jobs.signup)


def test_fake_drain_raises_the_job_error() -> None:
    with testing.fake() as fake:
        jobs.explode.perform_async("kaboom")
        with pytest.raises(RuntimeError, match="kaboom"):
            fake.drain()


def test_fake_clear_forgets_all_or_one_job() -> None:
    with testing.fake() as fake:
        jobs.signup.perform_async("a")
        jobs.send_welcome.perform_async("b")
        fake.clear(jobs.signup)
        assert fake.args() == [["b"]]
        fake.clear()
        assert len(fake) == 0


def test_jobs_are_stored_as_json_so_later_changes_do_not_leak_in() -> None:
    data: dict[str, object] = {"n": 1}
    with testing.fake() as fake:
        jobs.mutate.perform_async(data)
        data["n"] = 2
        fake.drain()
    assert jobs.calls == [("mutate", {"n": 1})]


def test_arguments_that_are_not_json_are_refused_at_enqueue() -> None:
    with testing.fake(), pytest.raises(ArgumentError):
        jobs.mutate.perform_async({"when": object()})


def test_inline_runs_each_job_when_it_is_enqueued() -> None:
    with testing.inline() as inline:
        jobs.signup.perform_async("ada@example.com")
        assert jobs.calls == [("signup", "ada@example.com"), ("welcome", "ada@example.com")]
    assert [j["class"] for j in inline.ran] == [jobs.signup.name, jobs.send_welcome.name]


def test_inline_raises_the_job_error_to_the_caller() -> None:
    with testing.inline(), pytest.raises(RuntimeError, match="bad"):
        jobs.explode.perform_async("bad")


def test_inline_runs_async_jobs_even_inside_an_event_loop() -> None:
    async def enqueue() -> None:
        jobs.async_note.perform_async("from a loop")

    with testing.inline():
        jobs.async_note.perform_async("plain")
        asyncio.run(enqueue())
    assert jobs.calls == [("async", "plain"), ("async", "from a loop")]


def test_inline_names_an_unregistered_job() -> None:
    with testing.inline() as inline, pytest.raises(UnknownJobError, match="RubyOnlyJob"):
        inline.client.enqueue("RubyOnlyJob", [1])


class Recording:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @hookimpl
    def workhorse_server_middleware(self) -> list[object]:
        def middleware(ctx: JobContext, call_next: RunNext) -> object:
            self.seen.append((ctx.name, ctx.queue))
            return call_next()

        return [middleware]


def test_inline_runs_jobs_through_the_server_middleware() -> None:
    plugin = Recording()
    plugins.register(plugin, name="test-recording")
    try:
        with testing.inline():
            jobs.send_welcome.perform_async("x")
    finally:
        plugins.unregister(plugin)
    assert plugin.seen == [(jobs.send_welcome.name, "mail")]


def test_modes_restore_the_previous_default_client_and_nest() -> None:
    before = client_module.default_client()
    with testing.fake() as outer:
        with testing.inline():
            jobs.send_welcome.perform_async("inner")
        jobs.send_welcome.perform_async("outer")
        assert client_module.default_client() is outer.client
    assert client_module.default_client() is before
    assert outer.args() == [["outer"]]
    assert jobs.calls == [("welcome", "inner")]
