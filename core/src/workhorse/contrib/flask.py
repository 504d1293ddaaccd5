"""Flask: ``Workhorse(app)`` or ``workhorse_ext.init_app(app)``.

Config keys: ``WORKHORSE_REDIS_URL``, ``WORKHORSE_PREFIX``. Gives ``flask workhorse
worker ...`` (the worker, inside the app context) and ``mount_dashboard``, which serves
the dashboard from a blueprint whose every request passes a login check first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import click
from flask import Blueprint, Flask, Response, abort, redirect, request
from flask.cli import AppGroup, with_appcontext

from workhorse import client as client_module

EXTENSION = "workhorse"


class Workhorse:
    def __init__(self, app: Flask | None = None) -> None:
        self.client: client_module.Client | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Configure ``perform_async`` from the app's config and add ``flask workhorse``."""
        self.client = client_module.configure(
            redis_url=app.config.get("WORKHORSE_REDIS_URL"),
            prefix=app.config.get("WORKHORSE_PREFIX"),
        )
        app.extensions[EXTENSION] = self
        app.cli.add_command(_cli_group(self.client))


def _cli_group(client: client_module.Client) -> AppGroup:
    group = AppGroup("workhorse", help="Background jobs (workhorse) for this app.")

    @group.command(
        "worker", context_settings={"ignore_unknown_options": True, "help_option_names": []}
    )
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    @with_appcontext
    def worker(args: tuple[str, ...]) -> None:
        """Run `workhorse worker` with this app's Redis (options as `workhorse worker`)."""
        from workhorse.cli.worker_cmd import worker as worker_cmd

        argv = list(args)
        if client.settings.redis_url and "--redis-url" not in argv:
            argv += ["--redis-url", client.settings.redis_url]
        if client.settings.prefix and "--prefix" not in argv:
            argv += ["--prefix", client.settings.prefix]
        worker_cmd.main(args=argv, prog_name="flask workhorse worker")

    return group


def mount_dashboard(
    app: Flask,
    url_prefix: str = "/jobs",
    *,
    login_check: Callable[[], bool],
    login_url: str | None = None,
    **dashboard_options: Any,
) -> None:
    """Serve the dashboard under ``url_prefix``. ``login_check()`` runs in the request
    context (``flask_login.current_user`` works); when it says no, the visitor goes to
    ``login_url`` if given, else gets 403."""
    blueprint = Blueprint("workhorse_dashboard", __name__, url_prefix=url_prefix)
    ext = app.extensions.get(EXTENSION)
    settings = ext.client.settings if isinstance(ext, Workhorse) and ext.client else None
    options = {
        "redis_url": settings.redis_url if settings else None,
        "prefix": settings.prefix if settings else None,
        **dashboard_options,
    }
    dashboard = cache(lambda: _wsgi_dashboard(options))

    @blueprint.route("/", defaults={"rest": ""}, methods=["GET", "POST"])
    @blueprint.route("/<path:rest>", methods=["GET", "POST"])
    def view(rest: str) -> Any:
        if not login_check():
            if login_url:
                return redirect(f"{login_url}?next={request.full_path.rstrip('?')}")
            abort(403)
        return _forward(dashboard(), url_prefix, rest)

    app.register_blueprint(blueprint)


def _wsgi_dashboard(options: dict[str, Any]) -> Any:
    from workhorse.web import wsgi_app

    return wsgi_app(**options)


def _forward(dashboard: Any, url_prefix: str, rest: str) -> Response:
    environ = dict(request.environ)
    environ["SCRIPT_NAME"] = request.script_root + url_prefix.rstrip("/")
    environ["PATH_INFO"] = "/" + rest
    started: dict[str, Any] = {}

    # WSGI dictates this signature; recording the response does not need exc_info.
    def start_response(
        status: str,
        headers: list[tuple[str, str]],
        exc_info: Any = None,  # noqa: ARG001
    ) -> Any:
        started.update(status=status, headers=headers)
        return lambda _data: None

    chunks: Iterable[bytes] = dashboard(environ, start_response)
    body = b"".join(chunks)
    return Response(body, status=started["status"], headers=started["headers"])
