"""The main flows in a real Chromium (Playwright) against a real Redis and a real server.

Chromium is Debian's ``/usr/bin/chromium`` (CI installs it with apt); never
``playwright install``. Screenshots of every page land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import showcase
import uvicorn
import web_jobs
from jobdata import HOSTILE, HOSTILE_QUEUE, add_to_set, failed, fill_set, job, process, push
from starlette.applications import Starlette
from support.waiting import wait_for

from workhorse import client as client_module
from workhorse.client import Client
from workhorse.config import Settings, parse_queues
from workhorse.keys import Keys
from workhorse.worker.launcher import WorkerProcess

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
# Without the networking switches Chromium stalls on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PAGES = {
    "dashboard": "/",
    "busy": "/busy",
    "queues": "/queues",
    "retries": "/retries",
    "scheduled": "/scheduled",
    "dead": "/dead",
    "metrics": "/metrics",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the CI script does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Tab:
    """One browser page plus what it reported: console errors, page errors, dialogs."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self._dialog_handler: Callable[[Any], None] | None = None
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message: Any) -> None:
        if message.type == "error":  # CSP violations are reported here too
            self.errors.append(message.text)

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, path
        return response

    def answer_dialogs(self, accept: bool) -> None:
        def handle(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        if self._dialog_handler is not None:
            self.page.remove_listener("dialog", self._dialog_handler)
        self._dialog_handler = handle
        self.page.on("dialog", handle)

    def wait_attr(
        self, selector: str, name: str, check: Callable[[str], bool], timeout: float = 10
    ) -> None:
        # Not page.wait_for_function: it evaluates a string, which our CSP forbids.
        locator = self.page.locator(selector)
        wait_for(
            lambda: check(locator.get_attribute(name) or "0"),
            f"{selector} {name} to satisfy the check",
            timeout=timeout,
            interval=0.1,
        )

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """uvicorn in a thread on a free port of 127.0.0.1."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "the dashboard server to start")
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def open_tab(browser: Any, make_app: Callable[..., Starlette]) -> Iterator[Callable[..., Tab]]:
    contexts: list[Any] = []
    servers: list[Any] = []

    def open_(**options: Any) -> Tab:
        served = serve(make_app(**options))
        base = served.__enter__()
        servers.append(served)
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return Tab(context.new_page(), base)

    yield open_
    for context in contexts:
        context.close()
    for served in servers:
        served.__exit__(None, None, None)


@pytest.fixture
def worker(settings: Settings) -> Iterator[WorkerProcess]:
    """An in-process worker on this test's database, running web_jobs."""
    assert web_jobs.record.name == "web.Record"
    previous = client_module.set_default_client(Client(settings=settings))
    process_ = WorkerProcess(settings.with_changes(queues=parse_queues(("default",))))
    process_.start()
    yield process_
    if not process_.stopped.is_set():
        process_.stop()
        process_.shutdown()
    client_module.set_default_client(previous)


def test_every_page_loads_cleanly_and_is_captured(
    open_tab: Callable[..., Tab], rr: redis.Redis, keys: Keys
) -> None:
    showcase.fill(rr, keys)
    tab = open_tab(poll_interval=0.4)
    stop = threading.Event()

    def traffic() -> None:  # jobs finishing, as the live chart would see them
        while not stop.wait(0.2):
            rr.incrby(keys.stat("processed"), 40 + int(time.time() * 7) % 60)
            rr.incrby(keys.stat("failed"), int(time.time()) % 3)

    feeder = threading.Thread(target=traffic, daemon=True)
    feeder.start()
    try:
        tab.go("/")
        tab.wait_attr("#live-chart", "data-samples", lambda v: int(v) >= 12, timeout=20)
        tab.wait_attr("#history-chart", "data-days", lambda v: v == "30")
        tab.shot("dashboard")
    finally:
        stop.set()
        feeder.join(5)
    for name, path in PAGES.items():
        tab.go(path)
        assert tab.page.locator("header nav a.on").inner_text() == name.capitalize()
        if name != "dashboard":
            tab.shot(name)
    tab.go("/dead")
    tab.page.locator("table.jobs a.job-name").first.click()
    assert tab.page.locator("h2", has_text="Error").is_visible()
    tab.shot("dead-job")
    assert tab.errors == []


def test_live_chart_and_cards_follow_redis(
    open_tab: Callable[..., Tab], rr: redis.Redis, keys: Keys
) -> None:
    tab = open_tab(poll_interval=0.3)
    tab.go("/")
    tab.wait_attr("#live-chart", "data-samples", lambda v: int(v) >= 2)
    rr.set(keys.stat("processed"), 4321)
    add_to_set(rr, keys, "dead", failed())
    card = tab.page.locator('[data-stat="processed"]')
    card.filter(has_text="4,321").wait_for(timeout=10_000)
    tab.page.locator('[data-stat="dead"]').filter(has_text="1").wait_for(timeout=10_000)
    assert tab.page.locator("#live-chart polyline.series.processed").count() == 1
    assert tab.page.locator("#history-chart rect.bar").count() == 60  # 30 days x 2 series
    assert tab.errors == []


def test_retry_a_job_from_the_retry_page_and_see_it_run(
    open_tab: Callable[..., Tab], worker: WorkerProcess, rr: redis.Redis, keys: Keys
) -> None:
    item = failed("web.Record", ["ran-from-the-dashboard"], error_message="first try failed")
    add_to_set(rr, keys, "retry", item, time.time() + 3600)
    tab = open_tab()
    tab.go("/retries")
    tab.page.get_by_role("link", name="web.Record").click()
    assert "first try failed" in tab.page.locator('[data-field="error_message"]').inner_text()
    tab.page.get_by_role("button", name="Retry now").click()
    tab.page.get_by_role("status").filter(has_text="1 job(s) queued to run now.").wait_for()
    wait_for(
        lambda: rr.lrange(web_jobs.RAN, 0, -1) == ["ran-from-the-dashboard"],
        "the retried job to run in the worker",
    )
    assert rr.zcard(keys.retry) == 0
    assert tab.errors == []


def test_delete_a_dead_job_after_confirming(
    open_tab: Callable[..., Tab], rr: redis.Redis, keys: Keys
) -> None:
    add_to_set(rr, keys, "dead", failed("web.Doomed", [1]), time.time())
    add_to_set(rr, keys, "dead", failed("web.Kept", [2]), time.time() - 60)
    tab = open_tab()
    tab.go("/dead")
    tab.page.get_by_role("link", name="web.Doomed").click()
    tab.answer_dialogs(accept=False)
    tab.page.get_by_role("button", name="Delete").click()
    assert tab.dialogs == ["Delete this job?"] and rr.zcard(keys.dead) == 2
    tab.answer_dialogs(accept=True)
    tab.page.get_by_role("button", name="Delete").click()
    tab.page.get_by_role("status").filter(has_text="1 job(s) deleted.").wait_for()
    assert tab.page.locator("table.jobs tbody tr").count() == 1
    assert tab.page.get_by_role("link", name="web.Kept").is_visible()
    assert rr.zcard(keys.dead) == 1


def test_bulk_retry_with_select_all_asks_first(
    open_tab: Callable[..., Tab], rr: redis.Redis, keys: Keys
) -> None:
    fill_set(rr, keys, "dead", 30)
    tab = open_tab()
    tab.go("/dead")
    tab.answer_dialogs(accept=True)
    tab.page.locator(".actions").get_by_role("button", name="Retry now").click()
    assert tab.dialogs == ["Select at least one job first."]
    tab.page.get_by_label("Select every job on this page").check()
    tab.page.locator(".actions").get_by_role("button", name="Retry now").click()
    tab.page.get_by_role("status").filter(has_text="25 job(s) queued to run now.").wait_for()
    assert tab.dialogs[-1] == "Retry now: the selected jobs?"
    assert rr.zcard(keys.dead) == 5 and rr.llen(keys.queue("default")) == 25


def test_page_through_ten_thousand_dead_jobs(
    open_tab: Callable[..., Tab], rr: redis.Redis, keys: Keys
) -> None:
    jids = fill_set(rr, keys, "dead", 10_000)
    tab = open_tab()
    tab.go("/dead")
    page = tab.page
    assert page.locator("[data-total]").inner_text() == "10,000"
    assert page.locator("table.jobs tbody tr").count() == 25
    assert page.locator("tbody tr").first.get_attribute("data-jid") == jids[-1]
    for expected in (2, 3):
        page.get_by_role("link", name="Next \u203a").click()
        assert page.locator("[data-page]").inner_text() == str(expected)
    assert page.locator("tbody tr").first.get_attribute("data-jid") == jids[-51]
    page.get_by_role("link", name="Last \u00bb").click()
    assert page.locator("[data-page]").inner_text() == "400"
    assert page.locator("tbody tr").last.get_attribute("data-jid") == jids[0]
    page.get_by_label("Filter").fill("payload-1234")
    page.get_by_role("button", name="Filter").click()
    assert [row.get_attribute("data-jid") for row in page.locator("tbody tr").all()] == [jids[1234]]
    assert tab.errors == []


def test_hostile_data_never_runs_in_the_browser(
    open_tab: Callable[..., Tab], rr: redis.Redis, keys: Keys
) -> None:
    item = failed(
        HOSTILE,
        [HOSTILE],
        queue=HOSTILE_QUEUE,
        error_class=HOSTILE,
        error_message=HOSTILE,
        display_class=HOSTILE,
    )
    key = add_to_set(rr, keys, "dead", item)
    push(rr, keys, job(HOSTILE, [HOSTILE], queue=HOSTILE_QUEUE))
    process(rr, keys, "x:1:0123456789ab", {"hostname": HOSTILE, "pid": 1, "tag": HOSTILE})
    tab = open_tab()
    tab.answer_dialogs(accept=True)
    for path in [*PAGES.values(), f"/dead/{key}"]:
        tab.go(path)
        assert tab.page.locator("script:not([src])").count() == 0
        assert tab.page.locator("img[src=x]").count() == 0
    tab.go("/queues")
    tab.page.locator("table.queues a").first.click()
    assert HOSTILE_QUEUE in tab.page.locator("h1 .name").inner_text()
    assert tab.dialogs == []


def test_job_page_shows_the_status_and_cancels_a_waiting_job_with_its_csrf_token(
    open_tab: Callable[..., Tab], settings: Settings, rr: redis.Redis, keys: Keys
) -> None:
    handle = Client(settings=settings).enqueue("web.Record", ["later"], at=time.time() + 3600)
    assert handle is not None
    tab = open_tab()
    tab.go(f"/jobs/{handle}")
    assert tab.page.locator('[data-field="state"]').inner_text() == "scheduled"
    assert tab.page.locator('[data-field="where"]').inner_text() == "schedule"
    # A form post without the page's token (another site's, say) is refused.
    forged = tab.page.request.post(f"{tab.base}/jobs/{handle}", form={"action": "cancel"})
    assert forged.status == 403 and rr.zcard(keys.schedule) == 1
    tab.answer_dialogs(accept=False)
    tab.page.get_by_role("button", name="Cancel").click()
    assert tab.dialogs == ["Cancel this job?"] and rr.zcard(keys.schedule) == 1
    tab.answer_dialogs(accept=True)
    tab.page.get_by_role("button", name="Cancel").click()
    tab.page.get_by_role("status").filter(
        has_text="the job was waiting and has been removed"
    ).wait_for()
    assert tab.page.locator('[data-field="state"]').inner_text() == "cancelled"
    assert tab.page.get_by_role("button", name="Cancel").count() == 0  # nothing left to cancel
    assert rr.zcard(keys.schedule) == 0
    tab.shot("job-cancelled")
    assert tab.errors == []


def _state_on_page(tab: Tab, jid: str) -> str:
    """The state the job page shows (a job between its fetch and the next heartbeat is
    unknown: 404)."""
    tab.page.goto(f"{tab.base}/jobs/{jid}")
    return tab.page.locator('[data-field="state"]').inner_text()


def test_job_page_cancels_a_running_job_and_shows_it_stop(
    open_tab: Callable[..., Tab], worker: WorkerProcess, settings: Settings, rr: redis.Redis
) -> None:
    handle = Client(settings=settings).enqueue("web.Slow", [30])
    assert handle is not None
    wait_for(lambda: "slow-started" in rr.lrange(web_jobs.RAN, 0, -1), "the job to start")
    tab = open_tab()
    wait_for(lambda: _state_on_page(tab, handle) == "running", "the page to show it running")
    assert tab.page.locator('[data-field="where"]').inner_text() == worker.identity
    tab.shot("job-running")
    tab.answer_dialogs(accept=True)
    tab.page.get_by_role("button", name="Cancel").click()
    tab.page.get_by_role("status").filter(has_text="its worker stops the job").wait_for()
    wait_for(lambda: _state_on_page(tab, handle) == "cancelled", "the page to show it cancelled")
    assert "JobCancelled" in tab.page.locator('[data-field="error"]').inner_text()
    assert "slow-finished" not in rr.lrange(web_jobs.RAN, 0, -1)
    assert [e for e in tab.errors if "404 (Not Found)" not in e] == []  # the unknown moment
