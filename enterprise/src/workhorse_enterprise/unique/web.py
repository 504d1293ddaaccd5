"""The dashboard's Unique tab: held unique-job locks, their jid and TTL, and clearing them."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from workhorse.web.tabs import DashboardTab, inspector, render, url
from workhorse_enterprise.license_gate import FeatureNotLicensed
from workhorse_enterprise.unique import locks

TEMPLATES = Path(__file__).with_name("templates")
SHOWN = 500  # a page, not a dump: `workhorse unique list --json` has them all
# Short codes a POST redirects with, so no visitor text is echoed back.
NOTICES = {
    "clear": "Lock cleared: that identity can be pushed again.",
    "gone": "That lock was already released or expired.",
    "clear-all": "{n} lock(s) cleared.",
}


def index(request: Request) -> Response:
    did = request.query_params.get("did", "")
    count = request.query_params.get("n", "")
    notice = NOTICES.get(did, "").replace("{n}", count if count.isdigit() else "?")
    context: dict[str, object] = {"active": "unique", "rows": [], "notice": notice, "shown": SHOWN}
    api = inspector(request)
    try:
        context["rows"] = locks.held(api.redis, api.keys, limit=SHOWN)
    except FeatureNotLicensed as exc:
        context["problem"] = str(exc)
    return render(request, "unique/index.html", context)


async def clear_one(request: Request) -> Response:
    digest = request.path_params["digest"]
    if not locks.DIGEST.fullmatch(digest):
        raise HTTPException(404, "no such unique lock: a lock is named by 64 hex characters")
    api = inspector(request)
    try:
        found = await run_in_threadpool(locks.clear, api.redis, api.keys, digest)
    except FeatureNotLicensed as exc:
        raise HTTPException(403, str(exc)) from None
    return RedirectResponse(
        url(request, "unique", "", did="clear" if found else "gone"), status_code=303
    )


async def clear_all(request: Request) -> Response:
    api = inspector(request)
    try:
        cleared = await run_in_threadpool(locks.clear_all, api.redis, api.keys)
    except FeatureNotLicensed as exc:
        raise HTTPException(403, str(exc)) from None
    return RedirectResponse(url(request, "unique", "", did="clear-all", n=cleared), status_code=303)


def tab() -> DashboardTab:
    return DashboardTab(
        "unique",
        "Unique",
        [
            Route("/", index),
            Route("/clear-all", clear_all, methods=["POST"]),
            Route("/{digest}", clear_one, methods=["POST"]),
        ],
        templates_dir=TEMPLATES,
        order=75,
    )
