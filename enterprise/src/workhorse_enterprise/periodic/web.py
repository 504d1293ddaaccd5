"""The dashboard's Periodic tab: entries, next and last runs with results, and actions."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from workhorse.web.tabs import DashboardTab, client_for, render, url
from workhorse_enterprise.license_gate import FeatureNotLicensed
from workhorse_enterprise.periodic import control

TEMPLATES = Path(__file__).with_name("templates")
# Short codes a POST redirects with, so no visitor text is echoed back.
NOTICES = {
    "pause": "Entry paused.",
    "resume": "Entry resumed.",
    "run": "Job enqueued.",
    "dropped": "A client middleware dropped the job.",
}


def index(request: Request) -> Response:
    context: dict[str, object] = {
        "active": "periodic",
        "rows": [],
        "leader": None,
        "notice": NOTICES.get(request.query_params.get("did", ""), ""),
    }
    client = client_for(request)
    try:
        context.update(rows=control.status(client), leader=control.leader(client))
    except FeatureNotLicensed as exc:
        context["problem"] = str(exc)
    return render(request, "periodic/index.html", context)


async def action(request: Request) -> Response:
    form = await request.form()
    name, verb = request.path_params["name"], form.get("action")
    client = client_for(request)
    try:
        if verb == "pause":
            await run_in_threadpool(control.pause, name, client)
        elif verb == "resume":
            await run_in_threadpool(control.resume, name, client)
        elif verb == "run":
            jid = await run_in_threadpool(control.run_now, name, client)
            verb = "run" if jid else "dropped"
        else:
            raise HTTPException(400, f"unknown action {verb!r}; use pause, resume or run")
    except (FeatureNotLicensed, control.UnknownEntryError) as exc:
        raise HTTPException(
            404 if isinstance(exc, control.UnknownEntryError) else 403, str(exc)
        ) from None
    return RedirectResponse(url(request, "periodic", "", did=verb), status_code=303)


def tab() -> DashboardTab:
    return DashboardTab(
        "periodic",
        "Periodic",
        [Route("/", index), Route("/{name:path}", action, methods=["POST"])],
        templates_dir=TEMPLATES,
        order=70,
    )
