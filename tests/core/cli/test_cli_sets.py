"""``workhorse retries|scheduled|dead``: list with filters, show, retry now, delete, kill."""

from __future__ import annotations

import json

import redis
from cli_support import Invoke, add, as_json, failed, job  # type: ignore[import-not-found]


def test_retries_list_shows_each_job_with_its_error(cli: Invoke, r: redis.Redis) -> None:
    item = failed("HardJob", ["bob", 5])
    add(r, "retry", item)
    result = cli("retries")
    assert result.exit_code == 0
    assert item["jid"] in result.output and "ValueError: boom" in result.output
    assert "Retries (1 total)" in result.output


def test_list_filters_by_class_queue_and_text(cli: Invoke, r: redis.Redis) -> None:
    a = failed("HardJob", ["alpha"])
    b = failed("SoftJob", ["beta"], queue="low")
    add(r, "retry", a)
    add(r, "retry", b)
    by_class = as_json(cli("retries", "list", "--class", "SoftJob", "--json"))
    by_queue = as_json(cli("retries", "list", "--queue", "default", "--json"))
    by_text = as_json(cli("retries", "list", "--grep", "beta", "--json"))
    assert [j["jid"] for j in by_class["jobs"]] == [b["jid"]]
    assert [j["jid"] for j in by_queue["jobs"]] == [a["jid"]]
    assert [j["jid"] for j in by_text["jobs"]] == [b["jid"]]
    assert by_class["total"] == 2


def test_job_args_that_look_like_markup_are_printed_verbatim(cli: Invoke, r: redis.Redis) -> None:
    add(r, "dead", failed("HardJob", ["[bold]x[/bold]"]))
    assert "[bold]x[/bold]" in cli("dead").output


def test_show_prints_everything_about_one_job(cli: Invoke, r: redis.Redis) -> None:
    item = failed("HardJob", [1], custom="kept")
    add(r, "dead", item)
    shown = as_json(cli("dead", "show", item["jid"], "--json"))
    assert shown["jid"] == item["jid"] and json.loads(shown["raw"])["custom"] == "kept"
    assert "error_message" in cli("dead", "show", item["jid"]).output


def test_show_of_an_unknown_jid_exits_3_and_says_where_to_look(cli: Invoke) -> None:
    result = cli("retries", "show", "feedfacefeedfacefeedface")
    assert result.exit_code == 3
    assert "no job feedfacefeedfacefeedface in the retry set" in result.output
    assert "workhorse retries list" in result.output


def test_retry_now_moves_the_job_to_its_queue(cli: Invoke, r: redis.Redis) -> None:
    item = failed("HardJob", [7], queue="critical")
    add(r, "retry", item)
    assert cli("retries", "retry", item["jid"]).output.strip() == "retried 1 job(s)"
    assert r.zcard("retry") == 0
    [raw] = r.lrange("queue:critical", 0, -1)
    assert json.loads(raw)["jid"] == item["jid"]


def test_retry_all_with_a_class_filter_leaves_the_others(cli: Invoke, r: redis.Redis) -> None:
    keep = failed("SoftJob")
    add(r, "retry", keep)
    for _ in range(3):
        add(r, "retry", failed("HardJob"))
    assert as_json(cli("retries", "retry", "--all", "--class", "HardJob", "--json"))["count"] == 3
    assert r.llen("queue:default") == 3
    assert [json.loads(m)["jid"] for m in r.zrange("retry", 0, -1)] == [keep["jid"]]


def test_kill_moves_a_scheduled_job_to_the_dead_set(cli: Invoke, r: redis.Redis) -> None:
    item = job("Report")
    add(r, "schedule", item)
    assert cli("scheduled", "kill", item["jid"]).exit_code == 0
    assert r.zcard("schedule") == 0
    [raw] = r.zrange("dead", 0, -1)
    assert json.loads(raw)["jid"] == item["jid"]


def test_delete_all_empties_the_dead_set(cli: Invoke, r: redis.Redis) -> None:
    for _ in range(5):
        add(r, "dead", failed())
    assert cli("dead", "delete", "--all").output.strip() == "deleted 5 job(s)"
    assert r.zcard("dead") == 0


def test_actions_need_jids_or_all_but_not_both(cli: Invoke, r: redis.Redis) -> None:
    assert cli("retries", "retry").exit_code == 2
    assert cli("retries", "retry", "abc", "--all").exit_code == 2


def test_dead_jobs_cannot_be_killed_again(cli: Invoke) -> None:
    assert cli("dead", "kill", "--all").exit_code == 2  # no such command


def test_listing_pages_through_a_large_set(cli: Invoke, r: redis.Redis) -> None:
    r.zadd("retry", {json.dumps(failed("HardJob", [n])): 1000 + n for n in range(250)})
    page = as_json(cli("retries", "list", "--offset", "200", "--limit", "100", "--json"))
    assert page["total"] == 250
    assert [j["args"][0] for j in page["jobs"]] == list(range(200, 250))
    filtered = as_json(cli("retries", "list", "--class", "HardJob", "--offset", "240", "--json"))
    assert [j["args"][0] for j in filtered["jobs"]] == list(range(240, 250))
