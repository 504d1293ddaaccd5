"""The job page ``/jobs/<jid>`` (issue 18): status, attempts, result or error, a Cancel
button; the Busy page links running jobs to it and shows their time limit."""

from __future__ import annotations

import json
import time

import redis
from jobdata import HOSTILE, add_to_set, failed, job, process, push
from web_client import DashboardClient

from workhorse import results
from workhorse.keys import Keys


def test_a_queued_job_can_be_seen_and_cancelled(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    item = job(args=[HOSTILE])
    push(rr, keys, item)
    page = client.get(f"/jobs/{item['jid']}")
    assert page.status_code == 200
    assert 'data-field="state" class="state queued">queued<' in page.text
    assert "<script>alert" not in page.text  # arguments are escaped
    answer = client.submit(f"/jobs/{item['jid']}", {"action": "cancel"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/jobs/{item['jid']}?did=cancel-removed"
    assert rr.llen(keys.queue("default")) == 0
    after = client.get(answer.headers["location"]).text
    assert ">cancelled<" in after and "has been removed" in after


def test_a_retrying_job_shows_its_attempt_and_error(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    item = failed(retry_count=4, error_message=HOSTILE)
    add_to_set(rr, keys, "retry", item, time.time() + 60)
    page = client.get(f"/jobs/{item['jid']}").text
    assert ">retrying<" in page and 'data-field="attempt">5<' in page
    assert "ValueError: &lt;script&gt;" in page


def test_a_finished_job_shows_its_result_and_has_no_cancel_button(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    jid = "d" * 24
    rr.set(keys.result(jid), results.finish(results.success({"jid": jid}, {"rows": 3})))
    page = client.get(f"/jobs/{jid}").text
    assert ">succeeded<" in page and "&#34;rows&#34;: 3" in page
    assert 'value="cancel"' not in page


def test_unknown_and_malformed_jids_are_404s(client: DashboardClient, rr: redis.Redis) -> None:
    assert client.get(f"/jobs/{'e' * 24}").status_code == 404
    for bad in ("%3Cscript%3E", "a*b", "x" * 101):
        assert client.get(f"/jobs/{bad}").status_code == 404
    assert client.submit("/jobs/a*b", {"action": "cancel"}).status_code == 404
    assert rr.exists("cancelled") == 0
    assert client.submit(f"/jobs/{'e' * 24}", {"action": "explode"}).status_code == 400


def test_busy_links_running_jobs_and_shows_their_limit(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    item = job(timeout=30)
    raw = json.dumps(item)
    process(
        rr,
        keys,
        "host:1:0123456789ab",
        {"hostname": "host", "pid": 1},
        work={"t1": {"queue": "default", "payload": raw, "run_at": int(time.time())}},
        busy=1,
    )
    page = client.get("/busy").text
    assert f'href="/jobs/{item["jid"]}"' in page and 'data-field="limit">30 s<' in page
    status = client.get(f"/jobs/{item['jid']}").text
    assert ">running<" in status and "Time limit" in status
