"""Bytes another program wrote into Redis, and URLs a visitor typed, never turn a page into a
500: a malformed record is left out with a note, a bad job URL is a 404, a compressed
backtrace is inflated only so far."""

from __future__ import annotations

import base64
import json
import time
import zlib
from typing import Any

import pytest
import redis
from jobdata import add_to_set, failed, process
from web_client import DashboardClient

from workhorse import stats
from workhorse.api import Inspector
from workhorse.api.sets import parse_key
from workhorse.keys import Keys
from workhorse.payload import BACKTRACE_LIMIT, compress_backtrace, expand_backtrace

PROCESS_PAGES = ["/", "/busy", "/api/stats"]
GOOD = "good:1:aaaaaaaaaaaa"
BAD = "bad:2:bbbbbbbbbbbb"


def good_process(rr: redis.Redis, keys: Keys) -> None:
    process(
        rr,
        keys,
        GOOD,
        {
            "hostname": "good",
            "pid": 1,
            "queues": ["default"],
            "concurrency": 5,
            "started_at": time.time(),
        },
        busy=2,
    )


# Each breaks one field of a heartbeat hash as another program might write it.
BROKEN_FIELDS: dict[str, dict[str, Any]] = {
    "busy not a number": {"busy": "lots"},
    "beat not a number": {"beat": "yesterday"},
    "rss not a number": {"rss": "[]"},
    "concurrency not a number": {"concurrency": "ten"},
    "info not JSON": {"info": "{not json"},
    "info a JSON list": {"info": "[1, 2]"},
    "info null": {"info": "null"},
    "pid not a number": {"info": json.dumps({"pid": "one", "queues": []})},
    "pid infinite": {"info": '{"pid": 1e400}'},
    "started_at not a number": {"info": json.dumps({"started_at": "monday"})},
    "queues not a list": {"info": json.dumps({"queues": 7})},
    "concurrency a dict": {"concurrency": "", "info": json.dumps({"concurrency": {"a": 1}})},
}


@pytest.mark.parametrize("broken", list(BROKEN_FIELDS), ids=list(BROKEN_FIELDS))
def test_a_malformed_process_record_is_left_out_with_a_note(
    client: DashboardClient, rr: redis.Redis, keys: Keys, broken: str
) -> None:
    good_process(rr, keys)
    process(rr, keys, BAD, {"hostname": "bad", "pid": 2, "queues": ["default"]})
    rr.hset(keys.process(BAD), mapping=BROKEN_FIELDS[broken])
    for path in PROCESS_PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
    assert client.get("/api/stats").json()["busy"] == 2, "the good process still counts"
    assert client.get("/api/stats").json()["unreadable_processes"] == 1
    busy = client.get("/busy").text
    assert GOOD in busy and f"{BAD}:" in busy and "could not be read" in busy
    assert "could not be read" in client.get("/").text


def test_unreadable_work_entries_are_skipped_and_the_process_shown(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    good_process(rr, keys)
    rr.hset(
        keys.work(GOOD),
        mapping={
            "t1": "{not json",
            "t2": "[1]",
            "t3": "7",
            "t4": json.dumps({"queue": "q", "payload": "x", "run_at": 1e400}),
        },
    )
    page = client.get("/busy")
    assert page.status_code == 200 and GOOD in page.text and "could not be read" not in page.text


def test_quiet_all_still_reaches_a_process_whose_record_is_malformed(
    inspector: Inspector, rr: redis.Redis, keys: Keys
) -> None:
    good_process(rr, keys)
    process(rr, keys, BAD, {"pid": 2})
    rr.hset(keys.process(BAD), "busy", "lots")
    assert inspector.processes.quiet_all() == 2
    assert rr.lrange(keys.signals(BAD), 0, -1) == ["TSTP"]


@pytest.mark.parametrize("value", ["abc", "", "nan", "1e400", "-inf"])
def test_a_malformed_metric_value_is_skipped_with_a_note(
    client: DashboardClient, rr: redis.Redis, keys: Keys, value: str
) -> None:
    bucket = keys.metrics(stats.minute_bucket())
    rr.hset(bucket, mapping={"Good|p": 4, "Good|ms": 40, "Bad|p": value, "Odd|zz": "x"})
    page = client.get("/metrics")
    assert page.status_code == 200 and "Good" in page.text
    assert "1 stored metric value(s) were not numbers" in page.text
    body = client.get("/api/metrics").json()
    assert body["jobs"]["Good"]["p"] == 4 and body["unreadable"] == 1


def test_malformed_counters_read_as_zero(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    rr.set(keys.stat("processed"), "many")
    rr.set(keys.stat("failed"), "1.5")
    assert client.get("/").status_code == 200
    body = client.get("/api/stats").json()
    assert (body["processed"], body["failed"]) == (0, 0)
    assert client.get("/api/history?days=7").status_code == 200


@pytest.mark.parametrize(
    "key",
    ["abc", "nan-x", "1_0-x", "1.5.5-x", "--", "0x10-x", "%ff-x", "1e999999-x", "(1-x", "[1-x"],
)
def test_an_invalid_score_in_a_job_url_is_a_404_and_never_reaches_redis(
    client: DashboardClient, key: str
) -> None:
    for slug in ("retries", "scheduled", "dead"):
        page = client.get(f"/{slug}/{key}")
        assert page.status_code == 404, (slug, key, page.status_code)
        assert "did not answer" not in page.text
        done = client.submit(f"/{slug}/{key}", {"action": "delete"})
        assert done.status_code == 303, "a POST to it says the job is gone"


def test_parse_key_reads_scores_with_dashes() -> None:
    assert parse_key("1700000000.25-abc") == (1700000000.25, "abc")
    assert parse_key("-1.5-abc") == (-1.5, "abc")
    assert parse_key("1e-05-a-b") == (1e-05, "a-b")
    assert parse_key("12-a/b") == (12.0, "a/b")
    assert parse_key("abc") is None and parse_key("nan-x") is None


@pytest.mark.parametrize("jid", ["a/b", "../../etc", "a/b/../c", "x?y#z", "100%", " sp ace"])
def test_a_job_whose_jid_holds_slashes_or_url_syntax_can_be_opened_and_acted_on(
    client: DashboardClient, rr: redis.Redis, keys: Keys, jid: str
) -> None:
    key = add_to_set(rr, keys, "retry", failed("web.Slashed", [1], jid=jid), time.time() + 60)
    listing = client.get("/retries").text
    assert "web.Slashed" in listing
    page = client.get("/retries/" + _quote(key))
    assert page.status_code == 200 and "web.Slashed" in page.text
    assert f'action="/retries/{_quote(key)}"' in page.text, "the form posts to the same job"
    done = client.submit("/retries/" + _quote(key), {"action": "delete"})
    assert done.status_code == 303 and "did=delete" in done.headers["location"]
    assert rr.zcard(keys.retry) == 0


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def bomb(size: int) -> str:
    """A compressed backtrace that inflates to ``size`` bytes."""
    lines = json.dumps(["at job.rb:1 in `perform' " + "x" * 200] * (size // 230))
    return base64.b64encode(zlib.compress(lines.encode(), 9)).decode()


def test_a_compressed_backtrace_is_inflated_only_up_to_the_limit() -> None:
    stored = bomb(20 * 1024 * 1024)
    assert len(stored) < 200 * 1024
    lines = expand_backtrace(stored)
    assert sum(len(line) for line in lines) <= BACKTRACE_LIMIT + 200
    assert lines[0].startswith("at job.rb:1") and "cut" in lines[-1]
    assert expand_backtrace(compress_backtrace(["a", "b"])) == ["a", "b"], "small ones intact"


def test_the_job_page_of_a_backtrace_bomb_stays_small_and_says_it_was_cut(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    key = add_to_set(rr, keys, "dead", failed("web.Bomb", error_backtrace=bomb(20 * 1024**2)))
    page = client.get("/dead/" + _quote(key))
    assert page.status_code == 200
    assert len(page.content) < 4 * BACKTRACE_LIMIT
    assert "cut: this backtrace inflates to more than" in page.text
