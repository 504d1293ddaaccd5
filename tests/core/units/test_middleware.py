"""workhorse.middleware: how client and server middleware chains are composed."""

from __future__ import annotations

from typing import Any

import pytest

from workhorse.middleware import JobContext, RunNext, compose_client, compose_server
from workhorse.types import JobPayload


def ctx() -> JobContext:
    return JobContext({"class": "Thing", "args": [], "jid": "j1"}, "default", "{}", None)  # type: ignore[typeddict-item]


def recorder(name: str, log: list[str]) -> Any:
    def mw(ctx: JobContext, call_next: RunNext) -> object:
        log.append(f"{name} in")
        result = call_next()
        log.append(f"{name} out")
        return result

    return mw


@pytest.mark.parametrize("count", [0, 1, 3])
def test_server_middleware_wraps_the_job_outermost_first(count: int) -> None:
    log: list[str] = []
    chain = compose_server([recorder(str(i), log) for i in range(count)])
    assert chain(ctx(), lambda: log.append("job") or "result") == "result"
    names = [str(i) for i in range(count)]
    assert log == [f"{n} in" for n in names] + ["job"] + [f"{n} out" for n in reversed(names)]


def test_server_middleware_that_does_not_call_next_skips_the_job() -> None:
    ran: list[str] = []
    chain = compose_server([lambda ctx, call_next: "skipped"])
    assert chain(ctx(), lambda: ran.append("job")) == "skipped"
    assert ran == []


def test_a_job_error_passes_through_server_middleware_to_the_worker() -> None:
    def boom() -> object:
        raise ValueError("job failed")

    with pytest.raises(ValueError, match="job failed"):
        compose_server([recorder("a", []), recorder("b", [])])(ctx(), boom)


def test_one_server_chain_serves_every_job_with_its_own_context() -> None:
    seen: list[str] = []

    def names(ctx: JobContext, call_next: RunNext) -> object:
        seen.append(ctx.jid)
        return call_next()

    chain = compose_server([names, names])
    for jid in ("a", "b"):
        chain(JobContext({"class": "T", "args": [], "jid": jid}, "q", "{}", None), lambda: None)  # type: ignore[typeddict-item]
    assert seen == ["a", "a", "b", "b"]


def test_client_middleware_may_change_the_job_in_order() -> None:
    def tag(name: str) -> Any:
        def mw(job: JobPayload, call_next: Any) -> JobPayload | None:
            return call_next({**job, "tags": [*job.get("tags", []), name]})

        return mw

    chain = compose_client([tag("first"), tag("second")])
    assert chain({"class": "T", "args": []})["tags"] == ["first", "second"]  # type: ignore[index,typeddict-item]


def test_client_middleware_returning_none_stops_the_push() -> None:
    chain = compose_client([lambda job, call_next: None, lambda job, call_next: pytest.fail()])
    assert chain({"class": "T", "args": []}) is None  # type: ignore[typeddict-item]


def test_deferring_the_acknowledgement_hands_it_to_the_middleware() -> None:
    acked: list[bool] = []
    context = JobContext(
        {"class": "T", "args": []}, "q", "{}", None, acknowledge=lambda: acked.append(True)
    )  # type: ignore[typeddict-item]
    ack = context.defer_acknowledgement()
    assert context.deferred and acked == []
    ack()
    assert acked == [True]


def test_a_job_without_an_acknowledgement_cannot_defer_it() -> None:
    with pytest.raises(RuntimeError, match="cannot be deferred"):
        ctx().defer_acknowledgement()


def test_skipped_without_names_the_fields_that_bring_a_job_into_the_chain() -> None:
    from workhorse.middleware import only_with, skipped_without

    tagged = only_with("tagged", recorder("t", []))
    sealed = only_with("encrypt", recorder("e", []))
    assert skipped_without([]) == frozenset()
    assert skipped_without([tagged, sealed]) == {"tagged", "encrypt"}
    assert skipped_without([tagged, recorder("always", [])]) is None  # it wraps every job


def test_the_innermost_only_with_middleware_offering_the_opener_form_is_found() -> None:
    from workhorse.middleware import innermost_opener, only_with

    class Opening:
        def __call__(self, ctx: JobContext, call_next: RunNext) -> object:  # noqa: ARG002
            return call_next()

        def open_arguments(self, job: object) -> object:  # noqa: ARG002
            return None

        def restore_arguments(self, job: object, token: object) -> None:
            pass

    opening, tagged = Opening(), only_with("tagged", recorder("t", []))
    always = recorder("always", [])
    found = innermost_opener([always, tagged, only_with("encrypt", opening)])
    assert found == ("encrypt", opening, frozenset({"tagged"}))
    assert innermost_opener([only_with("encrypt", opening), tagged]) is None  # not innermost
    assert innermost_opener([tagged]) is None and innermost_opener([]) is None
    # Two middleware on one field: its jobs need both, so the chain.
    assert innermost_opener([only_with("x", recorder("t", [])), only_with("x", opening)]) is None
