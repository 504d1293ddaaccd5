"""The async middleware chain: every middleware's call_async, outermost first, with
only_with middleware joining only the chains of jobs that carry their field."""

from __future__ import annotations

import asyncio

import pytest

from workhorse.middleware import (
    AsyncRunNext,
    JobContext,
    RunNext,
    compose_server_async,
    only_with,
    sync_only,
)


class Named:
    def __init__(self, name: str, seen: list[str]) -> None:
        self.name, self.seen = name, seen

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:  # noqa: ARG002
        return call_next()

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:  # noqa: ARG002
        self.seen.append(f"{self.name}>")
        result = await call_next()
        self.seen.append(f"<{self.name}")
        return result


def plain(ctx: JobContext, call_next: RunNext) -> object:
    return call_next()


def ctx_of(job: dict[str, object]) -> JobContext:
    return JobContext(job, "default", "{}", None)  # type: ignore[arg-type]


def test_async_steps_nest_outermost_first_and_only_with_joins_jobs_with_its_field() -> None:
    seen: list[str] = []
    chain = compose_server_async(
        [Named("a", seen), only_with("encrypt", Named("e", seen)), Named("b", seen)]
    )

    async def job() -> object:
        seen.append("job")
        return 42

    assert asyncio.run(chain(ctx_of({"class": "J"}), job)) == 42  # type: ignore[arg-type]
    assert seen == ["a>", "b>", "job", "<b", "<a"]
    seen.clear()
    asyncio.run(chain(ctx_of({"class": "J", "encrypt": True}), job))  # type: ignore[arg-type]
    assert seen == ["a>", "e>", "b>", "job", "<b", "<e", "<a"]


def test_a_middleware_without_call_async_is_named_and_refused() -> None:
    chain = [Named("a", []), only_with("x", plain)]
    assert sync_only(chain) == [f"{__name__}.plain"]
    with pytest.raises(ValueError, match="without call_async"):
        compose_server_async(chain)
