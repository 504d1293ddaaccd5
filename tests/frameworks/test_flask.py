"""Flask through its test client: init_app, the CLI command, the dashboard behind a login."""

from __future__ import annotations

import json
import re

import redis
from flask import Flask, request

import workhorse
from workhorse import client as client_module
from workhorse.contrib.flask import Workhorse, mount_dashboard


@workhorse.job(name="fl.welcome")
def welcome(address: str) -> None:
    pass


def make_app(redis_url: str) -> Flask:
    app = Flask(__name__)
    app.config.update(WORKHORSE_REDIS_URL=redis_url, WORKHORSE_PREFIX="{fl}")
    Workhorse(app)
    mount_dashboard(
        app,
        "/admin/jobs",
        tabs=[],
        login_url="/login",
        login_check=lambda: request.headers.get("x-user") == "admin",
    )

    @app.post("/signup")
    def signup() -> dict[str, str | None]:
        return {"jid": welcome.perform_async(request.args["address"])}

    return app


def test_init_app_points_perform_async_at_the_configured_redis(
    redis_url: str, r: redis.Redis
) -> None:
    previous = client_module.set_default_client(None)
    try:
        jid = make_app(redis_url).test_client().post("/signup?address=a@b.c").json["jid"]
    finally:
        client_module.set_default_client(previous)
    [raw] = r.lrange("{fl}:queue:default", 0, -1)
    assert json.loads(raw)["jid"] == jid


def test_the_dashboard_asks_strangers_to_log_in(redis_url: str) -> None:
    answer = make_app(redis_url).test_client().get("/admin/jobs/queues")
    assert answer.status_code == 302
    assert answer.headers["location"] == "/login?next=/admin/jobs/queues"


def test_the_dashboard_works_for_a_logged_in_admin_including_its_forms(
    redis_url: str, r: redis.Redis
) -> None:
    r.zadd("{fl}:dead", {'{"class":"X","args":[],"jid":"abcabcabcabcabcabcabcabc"}': 1})
    c = make_app(redis_url).test_client()
    page = c.get("/admin/jobs/dead", headers={"x-user": "admin"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'action="/admin/jobs/dead"' in text
    token = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', text)
    assert token
    answer = c.post(
        "/admin/jobs/dead/1.0-abcabcabcabcabcabcabcabc",
        headers={"x-user": "admin"},
        data={"action": "delete", "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert r.zcard("{fl}:dead") == 0


def test_a_forged_form_without_the_token_is_refused(redis_url: str, r: redis.Redis) -> None:
    r.zadd("{fl}:dead", {'{"class":"X","args":[],"jid":"abcabcabcabcabcabcabcabc"}': 1})
    answer = (
        make_app(redis_url)
        .test_client()
        .post(
            "/admin/jobs/dead/1.0-abcabcabcabcabcabcabcabc",
            headers={"x-user": "admin"},
            data={"action": "delete"},
        )
    )
    assert answer.status_code == 403
    assert r.zcard("{fl}:dead") == 1


def test_flask_workhorse_worker_is_a_cli_command(redis_url: str) -> None:
    runner = make_app(redis_url).test_cli_runner()
    answer = runner.invoke(args=["workhorse", "worker", "--help"])
    assert answer.exit_code == 0, answer.output
    assert "--concurrency" in answer.output
