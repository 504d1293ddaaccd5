"""Retries, Scheduled and Dead: paged, filterable, job detail, single and bulk actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from workhorse.api import JobRecord, JobSet
from workhorse.web.pages.common import form_list, form_text, notice, pager, redirect
from workhorse.web.rendering import render
from workhorse.web.state import dashboard_of

# A filter scans the whole set on the server (ZSCAN MATCH); show at most this many hits.
SEARCH_LIMIT = 1000
MAX_FILTER = 200


@dataclass(frozen=True)
class SetPage:
    slug: str
    set_name: str
    title: str
    time_label: str
    actions: dict[str, str]  # action -> button label, in display order
    all_actions: dict[str, str]  # action -> label of the button that acts on the whole set

    def job_set(self, request: Request) -> JobSet:
        return dashboard_of(request).inspector.job_set(self.set_name)


SET_PAGES = (
    SetPage(
        "retries",
        "retry",
        "Retries",
        "Next retry",
        {"retry": "Retry now", "delete": "Delete", "kill": "Kill"},
        {"retry": "Retry all", "delete": "Delete all", "kill": "Kill all"},
    ),
    SetPage(
        "scheduled",
        "schedule",
        "Scheduled",
        "Runs",
        {"retry": "Run now", "delete": "Delete"},
        {"retry": "Run all now", "delete": "Delete all"},
    ),
    SetPage(
        "dead",
        "dead",
        "Dead",
        "Died",
        {"retry": "Retry now", "delete": "Delete"},
        {"retry": "Retry all", "delete": "Delete all"},
    ),
)


def _filtered(jobs: JobSet, text: str) -> list[JobRecord]:
    found = jobs.search(text, limit=SEARCH_LIMIT)
    # ZSCAN returns hash order; show matches in the page's usual order.
    found.sort(key=lambda rec: rec.score or 0.0, reverse=jobs.name == "dead")
    return found


def list_view(spec: SetPage) -> Callable[[Request], Response]:
    def view(request: Request) -> Response:
        jobs = spec.job_set(request)
        query = request.query_params.get("q", "").strip()[:MAX_FILTER]
        if query:
            matches = _filtered(jobs, query)
            paging = pager(request, len(matches))
            rows = matches[paging.offset : paging.offset + paging.per_page]
        else:
            paging = pager(request, jobs.size())
            rows = jobs.page(paging.offset, paging.per_page)
        return render(
            request,
            "jobset.html",
            {
                "spec": spec,
                "rows": rows,
                "pager": paging,
                "query": query,
                "capped": bool(query) and paging.total >= SEARCH_LIMIT,
                "notice": notice(request),
                "active": spec.slug,
            },
        )

    return view


def detail_view(spec: SetPage) -> Callable[[Request], Response]:
    def view(request: Request) -> Response:
        record = spec.job_set(request).get(request.path_params["key"])
        if record is None:
            return render(request, "missing.html", {"spec": spec, "active": spec.slug}, status=404)
        return render(request, "job.html", {"spec": spec, "job": record, "active": spec.slug})

    return view


def _action(spec: SetPage, value: str) -> str:
    if value not in spec.actions:
        raise HTTPException(
            400, f"unknown action {value!r} for {spec.title}; use one of {', '.join(spec.actions)}"
        )
    return value


def bulk_action(spec: SetPage) -> Callable[[Request], Awaitable[Response]]:
    async def act(request: Request) -> Response:
        form = await request.form()
        action = _action(spec, form_text(form, "action"))
        jobs = spec.job_set(request)
        keep = {"q": form_text(form, "q"), "page": form_text(form, "page")}
        if form_text(form, "scope") == "all":
            everything = {
                "retry": jobs.retry_all,
                "delete": jobs.delete_all,
                "kill": jobs.kill_all,
            }[action]
            done = await run_in_threadpool(everything)
        else:
            keys = form_list(form, "key")[:1000]

            def selected() -> int:
                records = [rec for rec in (jobs.get(key) for key in keys) if rec is not None]
                return jobs.act(records, action)

            done = await run_in_threadpool(selected)
        return redirect(request, spec.slug, did=action, n=done, keep=keep)

    return act


def single_action(spec: SetPage) -> Callable[[Request], Awaitable[Response]]:
    async def act(request: Request) -> Response:
        form = await request.form()
        action = _action(spec, form_text(form, "action"))
        jobs = spec.job_set(request)
        key = request.path_params["key"]

        def apply() -> int:
            record = jobs.get(key)
            return -1 if record is None else jobs.act([record], action)

        done = await run_in_threadpool(apply)
        if done <= 0:
            return redirect(request, spec.slug, did="gone")
        return redirect(request, spec.slug, did=action, n=done)

    return act


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for spec in SET_PAGES:
        routes += [
            Route(f"/{spec.slug}", list_view(spec), methods=["GET"], name=spec.slug),
            Route(f"/{spec.slug}", bulk_action(spec), methods=["POST"]),
            # ":path": a jid written by another program may hold "/" (its link encodes it).
            Route(f"/{spec.slug}/{{key:path}}", detail_view(spec), methods=["GET"]),
            Route(f"/{spec.slug}/{{key:path}}", single_action(spec), methods=["POST"]),
        ]
    return routes


routes = _routes()
