"""FastAPI / Starlette: a lifespan that configures workhorse, the dashboard behind a dependency.

```python
app = FastAPI(lifespan=workhorse_lifespan(redis_url="redis://..."))
mount_dashboard(app, "/jobs", auth=require_admin)       # require_admin(request) -> bool

@app.post("/signup")
async def signup(request: Request) -> dict[str, str]:
    jid = await aio(request).perform_async(send_welcome, "a@b.c")   # never blocks the loop
```
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from workhorse import client as client_module
from workhorse.aio import AsyncClient

STATE_ATTR = "workhorse"
Lifespan = Callable[[Any], Any]
# Called like a FastAPI dependency that takes the request: return False, or raise
# HTTPException (401 with WWW-Authenticate, a redirect, ...) to refuse.
AuthDependency = Callable[[Request], bool | Awaitable[bool]]


def workhorse_lifespan(
    redis_url: str | None = None, prefix: str | None = None, **settings: object
) -> Callable[[Starlette], Any]:
    """``FastAPI(lifespan=...)``: configure ``perform_async`` and an :class:`AsyncClient`
    (``app.state.workhorse``) at startup; at shutdown close the async connection and
    put back the client that was there before."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        previous = client_module.set_default_client(None)
        client = client_module.configure(redis_url=redis_url, prefix=prefix, **settings)
        async_client = AsyncClient(client)
        async_client.redis  # resolve the URL now, not inside the first request  # noqa: B018
        setattr(app.state, STATE_ATTR, async_client)
        try:
            yield
        finally:
            await async_client.aclose()
            client_module.set_default_client(previous)

    return lifespan


def aio(request: HTTPConnection) -> AsyncClient:
    """The app's :class:`AsyncClient` (also usable as a FastAPI dependency)."""
    found = getattr(request.app.state, STATE_ATTR, None)
    if not isinstance(found, AsyncClient):
        raise RuntimeError(
            "workhorse is not configured for this app: pass "
            "lifespan=workhorse_lifespan(...) to FastAPI()/Starlette()"
        )
    return found


def mount_dashboard(
    app: Starlette, path: str = "/jobs", *, auth: AuthDependency, **dashboard_options: Any
) -> None:
    """Mount the dashboard at ``path``; every request passes ``auth`` first.

    ``auth`` is required: a dashboard can delete and retry jobs, so mounting it
    open must be a decision (pass ``auth=lambda request: True``)."""
    from workhorse.web import create_app

    app.mount(path, Guarded(create_app(**dashboard_options), auth))


class Guarded:
    """ASGI wrapper: refuses a request unless ``auth(request)`` says yes."""

    def __init__(self, app: ASGIApp, auth: AuthDependency) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = await self._refusal(Request(scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _refusal(self, request: Request) -> Response | None:
        try:
            allowed = self.auth(request)
            if inspect.isawaitable(allowed):
                allowed = await allowed
        except HTTPException as exc:
            return PlainTextResponse(str(exc.detail), exc.status_code, headers=exc.headers)
        if allowed is not True:
            return PlainTextResponse("Forbidden: the dashboard's auth check refused", 403)
        return None
