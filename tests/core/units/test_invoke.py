"""workhorse.invoke: a stored job becomes a call of its function, for the worker and tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from workhorse import invoke, job
from workhorse.errors import PayloadError, UnknownJobError
from workhorse.middleware import compose_server


@job(name="invoke_units.add")
def add(a: int, b: int) -> int:
    return a + b


@job(name="invoke_units.async_add")
async def async_add(a: int, b: int) -> int:
    return a + b


def stored(name: str, *args: Any, **fields: Any) -> str:
    return json.dumps({"class": name, "args": list(args), "jid": "j", **fields})


def test_context_decodes_the_job_and_finds_its_definition() -> None:
    ctx = invoke.context(stored("invoke_units.add", 1, 2), "math")
    assert ctx.definition is add
    assert ctx.job["args"] == [1, 2] and ctx.queue == "math" and ctx.name == "invoke_units.add"


def test_context_takes_the_queue_from_the_job_when_not_given() -> None:
    assert invoke.context(stored("x", queue="mail")).queue == "mail"
    assert invoke.context(stored("x")).queue == "default"


def test_context_of_bytes_that_are_not_a_job_says_why() -> None:
    with pytest.raises(PayloadError, match="not valid JSON"):
        invoke.context("{oops")


def test_a_sync_job_is_called_with_its_arguments() -> None:
    ctx = invoke.context(stored("invoke_units.add", 2, 3))
    assert invoke.invoker(ctx, asyncio.run)() == 5


def test_an_async_job_runs_through_the_given_coroutine_runner() -> None:
    ran: list[str] = []

    def runner(coro: Any) -> Any:
        ran.append("runner")
        return asyncio.run(coro)

    ctx = invoke.context(stored("invoke_units.async_add", 2, 3))
    assert invoke.invoker(ctx, runner)() == 5 and ran == ["runner"]


def test_arguments_are_read_when_the_job_runs_so_middleware_may_replace_them() -> None:
    def decrypt(ctx: Any, call_next: Any) -> object:
        ctx.job["args"] = [10, 20]  # a new list, as a decrypting middleware writes it
        return call_next()

    ctx = invoke.context(stored("invoke_units.add", "sealed"))
    assert compose_server([decrypt])(ctx, invoke.invoker(ctx, asyncio.run)) == 30


def test_an_unregistered_job_raises_unknown_job_naming_the_attempt() -> None:
    ctx = invoke.context(stored("invoke_units.nobody"))
    assert ctx.definition is None
    call = invoke.invoker(ctx, asyncio.run, lambda _ctx: "attempt 2 of 26")
    with pytest.raises(UnknownJobError, match=r'no job named "invoke_units.nobody".*attempt 2'):
        call()
