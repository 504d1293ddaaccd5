"""The dashboard's Batches tab: list/search with progress bars, one batch's status
with links to its failed and dead jobs (through ``workhorse.web.tabs``)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from workhorse.web.tabs import DashboardTab, client_for, render
from workhorse_pro.batches.errors import BatchNotFound
from workhorse_pro.batches.status import BatchStatus, list_batches

_LIST_LIMIT = 100
_JID_LIMIT = 200


def _row(status: BatchStatus) -> dict[str, object]:
    done = status.total - status.pending
    return {
        "status": status,
        "done": done,
        "percent": int(100 * done / status.total) if status.total else 100,
    }


async def index(request: Request) -> Response:
    search = request.query_params.get("q", "").strip()[:200]
    found = list_batches(client_for(request), search or None, _LIST_LIMIT)
    return render(
        request,
        "batches/index.html",
        {"rows": [_row(s) for s in found], "q": search, "limit": _LIST_LIMIT},
    )


async def show(request: Request) -> Response:
    bid = str(request.path_params["bid"])
    try:
        status = BatchStatus(bid, client_for(request))
    except BatchNotFound as exc:
        return render(request, "batches/missing.html", {"bid": bid, "error": str(exc)}, status=404)
    return render(
        request,
        "batches/show.html",
        {
            **_row(status),
            "failed": status.failed_jids[:_JID_LIMIT],
            "dead": status.dead_jids[:_JID_LIMIT],
            "jid_limit": _JID_LIMIT,
        },
    )


def tab() -> DashboardTab:
    return DashboardTab(
        "batches",
        "Batches",
        [Route("/", index), Route("/{bid}", show)],
        templates_dir=Path(__file__).with_name("templates"),
        order=10,
    )
