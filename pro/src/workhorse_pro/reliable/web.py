"""The dashboard's Reliable tab: jobs in progress per process, recovered / poison-pill /
expired counts, and pause buttons per queue (through ``workhorse.web.tabs``)."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from workhorse.web.tabs import DashboardTab, client_for, read_only, render, url
from workhorse_licensing import FeatureNotLicensed
from workhorse_pro.reliable import pausing
from workhorse_pro.reliable.status import read_status

# Short codes a POST redirects with; the page shows the matching sentence, so nothing a
# visitor puts into the URL is echoed back (the core pages' rule).
NOTICES = {
    "pause": "Paused queue {queue}.",
    "unpause": "Unpaused queue {queue}.",
    "unlicensed": "Pausing queues needs a valid workhorse-pro license: set WORKHORSE_LICENSE "
    "(or WORKHORSE_LICENSE_FILE); `workhorse version` says what is wrong.",
}


def notice(request: Request, queues: list[str]) -> str:
    template = NOTICES.get(request.query_params.get("did", ""))
    if template is None:
        return ""
    # The queue is named only if it is one this page lists anyway: no free text.
    queue = request.query_params.get("queue", "")
    return template.format(queue=queue if queue in queues else "").replace(" .", ".")


async def index(request: Request) -> Response:
    client = client_for(request)
    status = await run_in_threadpool(read_status, client)
    known = await run_in_threadpool(client.redis.smembers, client.keys.queues)
    queues = sorted({str(q) for q in known} | set(status.paused))
    return render(
        request,
        "reliable/index.html",
        {
            "status": status,
            "queues": queues,
            "notice": notice(request, queues),
            "active": "reliable",
        },
    )


async def act(request: Request) -> Response:
    if read_only(request):
        raise HTTPException(403, "the dashboard is read-only")
    form = await request.form()
    action, queue = str(form.get("action", "")), str(form.get("queue", ""))
    if action not in ("pause", "unpause") or not queue:
        raise HTTPException(400, "post action=pause|unpause and a queue name")
    change = pausing.pause if action == "pause" else pausing.unpause
    try:
        await run_in_threadpool(change, queue, client_for(request))
        done = action
    except FeatureNotLicensed:
        done = "unlicensed"
    return RedirectResponse(url(request, "reliable", "", did=done, queue=queue), status_code=303)


def tab() -> DashboardTab:
    return DashboardTab(
        "reliable",
        "Reliable",
        [Route("/", index, methods=["GET"]), Route("/", act, methods=["POST"])],
        templates_dir=Path(__file__).with_name("templates"),
        order=20,
    )
