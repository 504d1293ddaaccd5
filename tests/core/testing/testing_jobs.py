"""Jobs for the testing-helper tests; they record calls in a list, no Redis needed."""

from __future__ import annotations

import asyncio

import workhorse

calls: list[object] = []


@workhorse.job(queue="mail")
def send_welcome(email: str) -> None:
    calls.append(("welcome", email))


@workhorse.job
def signup(email: str) -> None:
    calls.append(("signup", email))
    send_welcome.perform_async(email)


@workhorse.job
def explode(reason: str) -> None:
    raise RuntimeError(reason)


@workhorse.job
async def async_note(text: str) -> None:
    await asyncio.sleep(0)
    calls.append(("async", text))


@workhorse.job
def mutate(data: dict[str, object]) -> None:
    calls.append(("mutate", data))
