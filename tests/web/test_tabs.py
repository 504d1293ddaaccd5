"""The plugin seam: a plugin adds a tab with its own routes, templates and static files."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from web_client import DashboardClient

from workhorse import plugins
from workhorse.hookspecs import hookimpl
from workhorse.web.tabs import DashboardTab, inspector, read_only, render


def reports_index(request: Request) -> Response:
    size = inspector(request).dead.size()
    return render(request, "reports/index.html", {"dead": size, "hide_buttons": read_only(request)})


async def reports_rebuild(request: Request) -> Response:
    form = await request.form()
    inspector(request).redis.set("reports:rebuilt", str(form.get("what")))
    return PlainTextResponse("rebuilt")


class ReportsPlugin:
    """What a paid package's plugin module does, as an object registered in the test."""

    def __init__(self, folder: Path) -> None:
        (folder / "templates").mkdir()
        (folder / "static").mkdir()
        (folder / "templates" / "index.html").write_text(
            '{% extends "base.html" %}{% block title %}Reports{% endblock %}'
            '{% block head %}<link rel="stylesheet" href="{{ url.tab_static(\'reports\', '
            "'reports.css') }}\">{% endblock %}"
            '{% block content %}<h1>Reports</h1><p id="dead">{{ dead }} dead</p>'
            "{% if not hide_buttons %}"
            "<form method=\"post\" action=\"{{ url('reports', 'rebuild') }}\">"
            '<input type="hidden" name="csrf_token" value="{{ csrf_token }}"></form>{% endif %}'
            "{% endblock %}"
        )
        (folder / "static" / "reports.css").write_text("h1 { color: teal; }")
        self.tab = DashboardTab(
            "reports",
            "Reports",
            [Route("/", reports_index), Route("/rebuild", reports_rebuild, methods=["POST"])],
            templates_dir=folder / "templates",
            static_dir=folder / "static",
        )

    @hookimpl
    def workhorse_dashboard_tabs(self) -> list[object]:
        return [self.tab]


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[Callable[[object], None]]:
    added: list[object] = []

    def register(plugin: object) -> None:
        plugins.register(plugin)
        added.append(plugin)

    yield register
    for plugin in added:
        plugins.unregister(plugin)


@pytest.fixture
def tab_client(
    make_app: Callable[..., Starlette], registered: Callable[[object], None], tmp_path: Path
) -> Iterator[DashboardClient]:
    registered(ReportsPlugin(tmp_path))
    with DashboardClient(make_app(tabs=None)) as c:
        yield c


def test_plugin_tab_appears_in_the_navigation(tab_client: DashboardClient) -> None:
    assert '<a href="/reports/" class="tab">Reports</a>' in tab_client.get("/").text


def test_plugin_tab_renders_its_template_inside_the_layout(tab_client: DashboardClient) -> None:
    page = tab_client.get("/reports/")
    assert page.status_code == 200
    assert '<p id="dead">0 dead</p>' in page.text
    assert 'aria-current="page">Reports</a>' in page.text  # the shared layout's navigation
    assert 'href="/reports/static/reports.css?v=' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'none'")


def test_plugin_tab_serves_its_static_files(tab_client: DashboardClient) -> None:
    css = tab_client.get("/reports/static/reports.css")
    assert css.status_code == 200 and "teal" in css.text
    assert css.headers["x-content-type-options"] == "nosniff"


def test_plugin_posts_are_csrf_protected_by_the_dashboard(tab_client: DashboardClient) -> None:
    tab_client.get("/reports/")
    refused = tab_client.post("/reports/rebuild", data={"what": "all"})
    assert refused.status_code == 403
    accepted = tab_client.submit("/reports/rebuild", {"what": "all"}, page="/reports/")
    assert accepted.status_code == 200 and accepted.text == "rebuilt"


def test_read_only_mode_covers_plugin_tabs(
    make_app: Callable[..., Starlette], registered: Callable[[object], None], tmp_path: Path
) -> None:
    registered(ReportsPlugin(tmp_path))
    with DashboardClient(make_app(tabs=None, read_only=True)) as c:
        assert 'method="post"' not in c.get("/reports/").text
        assert c.submit("/reports/rebuild", {"what": "all"}).status_code == 403


class BadTabs:
    @hookimpl
    def workhorse_dashboard_tabs(self) -> list[object]:
        return [
            DashboardTab("dead", "Shadows a core page", []),
            DashboardTab("Bad Name", "Bad", []),
            DashboardTab("nodir", "Missing folder", [], templates_dir="/no/such/dir"),
            "not a tab",
        ]


class BrokenTabs:
    @hookimpl
    def workhorse_dashboard_tabs(self) -> list[object]:
        raise RuntimeError("plugin bug")


def test_invalid_tabs_are_skipped_with_a_clear_log(
    make_app: Callable[..., Starlette],
    registered: Callable[[object], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    registered(BadTabs())
    with caplog.at_level(logging.ERROR, logger="workhorse.web.tabs"):
        app = make_app(tabs=None)
    messages = caplog.text
    assert "'dead' is used by the dashboard itself" in messages
    assert "'Bad Name' must be 1-40 lowercase" in messages
    assert "'/no/such/dir' is not a directory" in messages
    assert "must return workhorse.web.tabs.DashboardTab" in messages
    with DashboardClient(app) as c:
        assert c.get("/dead").status_code == 200
        assert "Shadows a core page" not in c.get("/").text


def test_a_plugin_failing_to_list_tabs_leaves_core_pages_working(
    make_app: Callable[..., Starlette],
    registered: Callable[[object], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    registered(BrokenTabs())
    with caplog.at_level(logging.ERROR, logger="workhorse.web.tabs"):
        app = make_app(tabs=None)
    assert "showing core pages only" in caplog.text
    with DashboardClient(app) as c:
        assert c.get("/").status_code == 200
