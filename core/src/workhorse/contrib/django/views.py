"""The dashboard inside Django, behind Django's authentication (active staff by default).

``path("admin/jobs/", include("workhorse.contrib.django.urls"))``. Anonymous users
are sent to ``LOGIN_URL``; signed-in users the check refuses get 403. Set
``WORKHORSE["DASHBOARD_AUTH"]`` to a callable(request) -> bool to decide otherwise.
"""

from __future__ import annotations

import io
from functools import cache
from http.cookies import SimpleCookie
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt

from workhorse.contrib.django import conf


def staff_only(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff)


@cache
def _dashboard() -> Any:
    from workhorse.client import default_client
    from workhorse.web import wsgi_app

    settings = default_client().settings
    return wsgi_app(redis_url=settings.redis_url, prefix=settings.prefix)


# The dashboard checks its own CSRF token on every form (workhorse.web.csrf).
@csrf_exempt  # type: ignore[untyped-decorator]
def dashboard(request: HttpRequest, rest: str = "") -> HttpResponse:
    allowed = conf.load().dashboard_auth or staff_only
    if not request.user.is_authenticated and allowed is staff_only:
        return redirect_to_login(request.get_full_path())
    if not allowed(request):
        return HttpResponseForbidden("the workhorse dashboard is for staff users")
    return forward(request, rest)


def forward(request: HttpRequest, rest: str) -> HttpResponse:
    """Run the dashboard's WSGI app for this request, mounted where this view is."""
    mount = request.path[: len(request.path) - len(rest)].rstrip("/")
    environ = dict(request.META)
    environ["SCRIPT_NAME"] = request.META.get("SCRIPT_NAME", "").rstrip("/") + mount
    environ["PATH_INFO"] = "/" + rest
    # request.body works even after a middleware read request.POST (urlencoded forms).
    environ["wsgi.input"] = io.BytesIO(request.body)
    environ["CONTENT_LENGTH"] = str(len(request.body))
    started: dict[str, Any] = {}

    # WSGI dictates this signature; recording the response does not need exc_info.
    def start_response(
        status: str,
        headers: list[tuple[str, str]],
        exc_info: Any = None,  # noqa: ARG001
    ) -> Any:
        started.update(status=int(status.split()[0]), headers=headers)
        return lambda _data: None

    chunks = _dashboard()(environ, start_response)
    body = b"".join(chunks)
    response = HttpResponse(body, status=started["status"])
    for name, value in started["headers"]:
        if name.lower() == "set-cookie":
            response.cookies.load(SimpleCookie(value))
        else:
            response[name] = value
    return response
