"""The dashboard's ASGI middleware: auth, read-only mode, CSRF and security headers.

It wraps every route, plugin tabs included, so a tab cannot forget a check. With
``csrf=False`` it guards an app that only holds dashboards (the base-path wrapper,
the shard index): the same auth, read-only rule and headers, and no second CSRF
cookie beside the one each dashboard inside sets.
"""

from __future__ import annotations

import inspect
import time
from http.cookies import SimpleCookie

from starlette.datastructures import URL, Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workhorse.web import csrf
from workhorse.web.options import DashboardOptions
from workhorse.web.state import CSRF_SCOPE_KEY, ROOT_SCOPE_KEY

MAX_BODY = 4 * 1024 * 1024  # a form post, even one carrying a large job payload

# No inline script or style anywhere: injected markup cannot run (issue 5).
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


class DashboardGuard:
    def __init__(self, app: ASGIApp, options: DashboardOptions, *, csrf: bool = True) -> None:
        self.app = app
        self.options = options
        self.csrf = csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root = str(scope.get("root_path", ""))
        scope[ROOT_SCOPE_KEY] = root
        request = Request(scope)
        cookie = request.cookies.get(csrf.COOKIE)
        new_cookie = None
        if self.csrf:
            new_cookie = None if cookie and len(cookie) >= 32 else csrf.new_cookie_value()
            scope[CSRF_SCOPE_KEY] = csrf.token_for(self.options.secret, new_cookie or cookie or "")
        send = _with_headers(
            send,
            _static(scope, root),
            _cookie_header(new_cookie, root, scope),
            time.perf_counter(),
            _origin(scope),
        )

        refusal = await self._refusal(request)
        if refusal is None and self.csrf and request.method not in csrf.SAFE_METHODS:
            refusal, receive = await self._check_post(request, receive, cookie)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refusal(self, request: Request) -> Response | None:
        auth = self.options.auth
        if auth is not None:
            result = auth(request)
            allowed = await result if inspect.isawaitable(result) else result
            if not allowed:
                challenge = getattr(auth, "challenge", None)
                if challenge:
                    return PlainTextResponse(
                        "authentication required", 401, {"www-authenticate": str(challenge)}
                    )
                return PlainTextResponse("forbidden: the dashboard's auth hook refused", 403)
        if self.options.read_only and request.method not in csrf.SAFE_METHODS:
            return PlainTextResponse(
                "refused: this dashboard is read-only (started with --read-only)", 403
            )
        return None

    async def _check_post(
        self, request: Request, receive: Receive, cookie: str | None
    ) -> tuple[Response | None, Receive]:
        if csrf.cross_site(request.headers.get("sec-fetch-site")):
            return PlainTextResponse(
                "cross-site request refused: state changes must come from the dashboard's "
                "own pages",
                403,
            ), receive
        body = await _read_body(receive)
        if body is None:
            return PlainTextResponse("request body too large", 413), receive
        replay = _replay(body)
        token = request.headers.get(csrf.HEADER) or await _form_token(request.scope, replay)
        if not csrf.token_matches(self.options.secret, cookie, token):
            return PlainTextResponse(
                "refused: missing or stale CSRF token; reload the page and try again", 403
            ), replay
        return None, _replay(body)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _form_token(scope: Scope, receive: Receive) -> str | None:
    content_type = Headers(scope=scope).get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    form = await Request(scope, receive).form()
    try:
        value = form.get(csrf.FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


def _static(scope: Scope, root: str) -> bool:
    return str(scope.get("path", ""))[len(root) :].startswith("/static/")


def _cookie_header(value: str | None, root: str, scope: Scope) -> str | None:
    if value is None:
        return None
    cookie: SimpleCookie = SimpleCookie()
    cookie[csrf.COOKIE] = value
    morsel = cookie[csrf.COOKIE]
    morsel["path"] = root or "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if scope.get("scheme") == "https":
        morsel["secure"] = True
    return morsel.OutputString()


def _origin(scope: Scope) -> str:
    """``scheme://host`` as Starlette builds absolute URLs: from the request's Host header."""
    url = URL(scope=scope)
    return f"{url.scheme}://{url.netloc}".lower()


def relative_location(location: str, origin: str) -> str:
    """A redirect to ``origin`` (the Host header echoed back) made relative to this host.

    Starlette's trailing-slash redirects are absolute URLs built from the Host header, so a
    forged Host would send the browser elsewhere. A location on another origin was chosen
    by code and is kept.
    """
    if not location.lower().startswith(origin):
        return location
    rest = location[len(origin) :]
    if rest[:1] not in ("", "/", "?", "#"):
        return location  # "http://host.evil" is not on origin "http://host"
    # "//evil.example/" would be protocol-relative: leave exactly one leading slash.
    return "/" + rest.lstrip("/")


def _with_headers(
    send: Send, static: bool, set_cookie: str | None, started: float, origin: str
) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            # Time to the first byte, shown by browsers' dev tools and read by bench_web.
            headers["server-timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
            # Pages show live job data: never cache them. Assets revalidate by ETag.
            # (setdefault: a guard around mounted dashboards keeps what the inner one chose.)
            headers.setdefault("cache-control", "no-cache" if static else "no-store")
            if "location" in headers:
                headers["location"] = relative_location(headers["location"], origin)
            if set_cookie:
                headers.append("set-cookie", set_cookie)
        await send(message)

    return wrapped
