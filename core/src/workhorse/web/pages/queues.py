"""Queues: sizes and latency, a queue's jobs paged, delete one job, clear a queue."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workhorse.api import JobRecord
from workhorse.web.pages.common import form_text, notice, pager, redirect
from workhorse.web.rendering import render
from workhorse.web.state import dashboard_of


def index(request: Request) -> Response:
    summaries = dashboard_of(request).inspector.queues.summaries()
    return render(
        request,
        "queues.html",
        {
            "queues": summaries,
            "notice": notice(request),
            "active": "queues",
        },
    )


def queue_view(request: Request) -> Response:
    queue = dashboard_of(request).inspector.queues[request.path_params["name"]]
    paging = pager(request, queue.size())
    return render(
        request,
        "queue.html",
        {
            "queue": queue,
            "rows": queue.page(paging.offset, paging.per_page),
            "pager": paging,
            "latency": queue.latency(),
            "paused": queue.paused(),
            "notice": notice(request),
            "active": "queues",
        },
    )


async def queue_action(request: Request) -> Response:
    form = await request.form()
    action = form_text(form, "action")
    name = request.path_params["name"]
    queue = dashboard_of(request).inspector.queues[name]
    if action == "clear":
        cleared = await run_in_threadpool(queue.clear)
        return redirect(request, "queues", did="clear", n=cleared)
    if action == "delete":
        # The exact stored bytes identify the job, so a job that changed or
        # moved meanwhile is left alone rather than a look-alike deleted.
        record = JobRecord(form_text(form, "job"), queue_hint=name)
        deleted = await run_in_threadpool(queue.delete, record)
        keep = {"page": form_text(form, "page")}
        return redirect(
            request, "queues", name, did="delete" if deleted else "gone", n=int(deleted), keep=keep
        )
    raise HTTPException(400, f"unknown action {action!r} for a queue; use delete or clear")


routes = [
    Route("/queues", index, methods=["GET"], name="queues"),
    Route("/queues/{name:path}", queue_view, methods=["GET"]),
    Route("/queues/{name:path}", queue_action, methods=["POST"]),
]
