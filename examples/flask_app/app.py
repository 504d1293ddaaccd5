"""Flask + workhorse: ``hatch run python examples/flask_app/app.py`` (then POST
http://127.0.0.1:5000/signup?address=a@b.c; /login makes you admin for /admin/jobs/)."""

from __future__ import annotations

import os
import sys
import time

from flask import Flask, redirect, request, session

import workhorse
from workhorse.client import default_client
from workhorse.config import Settings
from workhorse.contrib.flask import Workhorse, mount_dashboard
from workhorse.demo.runner import resolve_redis
from workhorse.worker.launcher import WorkerProcess

REDIS_URL, WHERE = resolve_redis(os.environ.get("WORKHORSE_REDIS_URL"))
PREFIX = "{example-flask}"


@workhorse.job(name="examples.flask.welcome")
def welcome(address: str) -> None:
    default_client().redis.rpush(f"{PREFIX}:welcomed", address)
    print(f"welcome mail sent to {address}")


app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY", "example only: set SECRET_KEY")
app.config.update(WORKHORSE_REDIS_URL=REDIS_URL, WORKHORSE_PREFIX=PREFIX)
Workhorse(app)  # also adds `flask --app examples/flask_app/app.py workhorse worker`
mount_dashboard(
    app, "/admin/jobs", login_url="/login", login_check=lambda: session.get("role") == "admin"
)


@app.get("/login")
def login() -> object:
    session["role"] = "admin"  # an example: a real app checks a password
    return redirect(request.args.get("next", "/admin/jobs/"))


@app.post("/signup")
def signup() -> dict[str, str | None]:
    return {"jid": welcome.perform_async(request.args["address"])}


def check() -> None:
    client = app.test_client()
    print("enqueued", client.post("/signup?address=ada@example.com").json)
    assert client.get("/admin/jobs/").status_code == 302
    client.get("/login")
    assert client.get("/admin/jobs/queues").status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if "ada@example.com" in default_client().redis.lrange(f"{PREFIX}:welcomed", 0, -1):
            print("check passed: the worker ran the job")
            return
        time.sleep(0.02)
    raise SystemExit("check failed: the job did not run")


if __name__ == "__main__":
    print(f"Redis: {WHERE}")
    worker = WorkerProcess(Settings.from_env(None, redis_url=REDIS_URL, prefix=PREFIX))
    worker.start()  # in-process for the example; production runs `flask workhorse worker`
    try:
        if "--check" in sys.argv:
            check()
        else:
            app.run(port=int(os.environ.get("PORT", "5000")))
    finally:
        worker.stop()
        worker.shutdown()
