"""One job by jid (issue 18): where it is, attempts, result or error; cancel it."""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workhorse.web.pages.common import form_text, notice, redirect
from workhorse.web.rendering import render
from workhorse.web.state import dashboard_of

# Sidekiq's jids are 24 hex characters; anything outside this never reaches Redis.
_JID = re.compile(r"[A-Za-z0-9_-]{1,100}")


def _jid(request: Request) -> str:
    jid = str(request.path_params["jid"])
    if not _JID.fullmatch(jid):
        raise HTTPException(404, "That is not a job id: a jid is letters, digits, '-' or '_'.")
    return jid


def show(request: Request) -> Response:
    jid = _jid(request)
    status = dashboard_of(request).inspector.jobs.status(jid)
    return render(
        request,
        "jobstatus.html",
        {
            "status": status,
            "facts": status.to_dict(),
            "notice": notice(request),
            "active": "busy",
        },
        status=404 if status.state == "unknown" else 200,
    )


async def act(request: Request) -> Response:
    jid = _jid(request)
    form = await request.form()
    if form_text(form, "action") != "cancel":
        raise HTTPException(400, "unknown action for a job; use cancel")
    outcome = await run_in_threadpool(dashboard_of(request).inspector.jobs.cancel, jid)
    return redirect(request, "jobs", jid, did=f"cancel-{outcome}")


routes = [
    Route("/jobs/{jid}", show, methods=["GET"], name="jobs"),
    Route("/jobs/{jid}", act, methods=["POST"]),
]
