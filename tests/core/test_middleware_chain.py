"""Server middleware chains: composed once, in order, and ``only_with`` middleware joins a
job's chain only when the job carries its field."""

from __future__ import annotations

from typing import Any

import pytest

from workhorse.middleware import JobContext, RunNext, ServerMiddleware, compose_server, only_with
from workhorse.types import JobPayload


class Recording:
    """Middleware that notes its name on the way in and out."""

    def __init__(self, name: str, trail: list[str]) -> None:
        self.name, self.trail = name, trail

    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:  # noqa: ARG002
        self.trail.append(f"{self.name}>")
        result = call_next()
        self.trail.append(f"<{self.name}")
        return result


def context(**fields: Any) -> JobContext:
    job: JobPayload = {"class": "c", "args": [], "jid": "j" * 24, **fields}  # type: ignore[typeddict-item]
    return JobContext(job, "default", "", None)


def run(chain: Any, ctx: JobContext, trail: list[str]) -> object:
    def invoke() -> str:
        trail.append("job")
        return "result"

    return chain(ctx, invoke)


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_every_middleware_wraps_the_job_outermost_first(count: int) -> None:
    trail: list[str] = []
    names = [str(i) for i in range(count)]
    chain = compose_server([Recording(name, trail) for name in names])
    assert run(chain, context(), trail) == "result"
    assert trail == [f"{n}>" for n in names] + ["job"] + [f"<{n}" for n in reversed(names)]


def test_a_job_without_the_field_skips_only_with_middleware_entirely() -> None:
    trail: list[str] = []
    calls: list[str] = []

    def never(ctx: JobContext, call_next: RunNext) -> object:
        calls.append(ctx.jid)
        return call_next()

    chain = compose_server([Recording("a", trail), only_with("encrypt", never)])
    assert run(chain, context(), trail) == "result"
    assert trail == ["a>", "job", "<a"] and calls == []


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({}, ["a>", "c>", "job", "<c", "<a"]),
        ({"bid": "b"}, ["a>", "bid>", "c>", "job", "<c", "<bid", "<a"]),
        ({"encrypt": True}, ["a>", "c>", "encrypt>", "job", "<encrypt", "<c", "<a"]),
        (
            {"encrypt": False, "bid": None},  # present with any value: the middleware decides
            ["a>", "bid>", "c>", "encrypt>", "job", "<encrypt", "<c", "<bid", "<a"],
        ),
    ],
)
def test_a_job_goes_through_the_only_with_middleware_of_the_fields_it_carries_in_order(
    fields: dict[str, object], expected: list[str]
) -> None:
    trail: list[str] = []
    middleware: list[ServerMiddleware] = [
        Recording("a", trail),
        only_with("bid", Recording("bid", trail)),
        Recording("c", trail),
        only_with("encrypt", Recording("encrypt", trail)),
    ]
    chain = compose_server(middleware)
    for _ in range(2):  # the second run takes the chain built by the first
        trail.clear()
        assert run(chain, context(**fields), trail) == "result"
        assert trail == expected


def test_only_with_called_directly_checks_the_field_itself() -> None:
    trail: list[str] = []
    wrapped = only_with("encrypt", Recording("encrypt", trail))
    run(wrapped, context(), trail)
    run(wrapped, context(encrypt=True), trail)
    assert trail == ["job", "encrypt>", "job", "<encrypt"]


def test_a_failure_inside_the_chain_reaches_the_caller_through_every_middleware() -> None:
    trail: list[str] = []
    chain = compose_server([Recording("a", trail), only_with("encrypt", Recording("e", trail))])

    def invoke() -> object:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        chain(context(encrypt=True), invoke)
    assert trail == ["a>", "e>"]
