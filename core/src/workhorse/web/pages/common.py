"""Helpers shared by the pages: paging, query parsing, redirects after a POST."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse

from workhorse.web.links import Links
from workhorse.web.state import dashboard_of, root_of

# Short codes a POST redirects with; the page shows the matching sentence, so
# nothing a visitor types into the URL is ever echoed back as a message.
NOTICES = {
    "retry": "{n} job(s) queued to run now.",
    "delete": "{n} job(s) deleted.",
    "kill": "{n} job(s) moved to the dead set.",
    "clear": "Queue cleared: {n} job(s) deleted.",
    "quiet": "Asked {n} process(es) to stop fetching jobs.",
    "stop": "Asked {n} process(es) to shut down.",
    "gone": "That job is no longer there: it already ran, moved or was deleted.",
    "left": "That process is no longer running.",
    "cancel-removed": "Cancelled: the job was waiting and has been removed.",
    "cancel-signalled": "Cancelling: its worker stops the job within a second or two.",
    "cancel-finished": "Not cancelled: the job had already finished.",
    "cancel-unknown": "No such job was seen; a worker that picks it up within a day cancels it.",
}


@dataclass(frozen=True)
class Pager:
    page: int
    per_page: int
    total: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def first_row(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.per_page)


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        return default
    return max(low, min(high, value))


def pager(request: Request, total: int, name: str = "page") -> Pager:
    per_page = int_param(request, "per", dashboard_of(request).options.page_size, 1, 500)
    pages = max(1, math.ceil(total / per_page))
    return Pager(int_param(request, name, 1, 1, pages), per_page, total)


def notice(request: Request) -> str:
    template = NOTICES.get(request.query_params.get("did", ""))
    if template is None:
        return ""
    return template.format(n=int_param(request, "n", 0, 0, 10**9))


def unreadable_processes(count: int, detail: list[str] | None = None) -> list[str]:
    """The note on pages that leave out processes whose heartbeat record is malformed."""
    if not count:
        return []
    what = f": {'; '.join(detail)}" if detail else "; the Busy page names them"
    return [f"{count} live process record(s) in Redis could not be read and are left out{what}."]


def redirect(
    request: Request,
    *segments: object,
    did: str,
    n: int | None = None,
    keep: Mapping[str, Any] | None = None,
) -> RedirectResponse:
    """303 back to a page (Post/Redirect/Get), with the outcome as a notice code."""
    url = Links(root_of(request))(*segments, did=did, n=n, **(keep or {}))
    return RedirectResponse(url, status_code=303)


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def form_list(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]
