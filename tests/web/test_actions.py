"""Actions: retry now, delete, kill, bulk and all, queue delete and clear, process signals."""

from __future__ import annotations

import time

import redis
from jobdata import add_to_set, failed, fill_set, job, process, push
from web_client import DashboardClient

from workhorse import payload
from workhorse.keys import Keys


def queued(r: redis.Redis, keys: Keys, queue: str = "default") -> list[dict[str, object]]:
    return [payload.loads(raw) for raw in r.lrange(keys.queue(queue), 0, -1)]


def test_retry_now_moves_a_retry_to_its_queue(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    item = failed(queue="mail", retry_count=3)
    key = add_to_set(rr, keys, "retry", item, time.time() + 300)
    answer = client.submit(f"/retries/{key}", {"action": "retry"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/retries?did=retry&n=1"
    assert rr.zcard(keys.retry) == 0
    [moved] = queued(rr, keys, "mail")
    assert moved["jid"] == item["jid"]
    assert moved["retry_count"] == 2  # a manual retry does not use up an attempt
    assert "1 job(s) queued to run now." in client.get(answer.headers["location"]).text


def test_delete_removes_a_dead_job(client: DashboardClient, rr: redis.Redis, keys: Keys) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    other = add_to_set(rr, keys, "dead", failed(), time.time() - 5)
    assert client.submit(f"/dead/{key}", {"action": "delete"}).status_code == 303
    assert rr.zcard(keys.dead) == 1
    assert client.get(f"/dead/{other}").status_code == 200


def test_kill_moves_a_retry_to_dead(client: DashboardClient, rr: redis.Redis, keys: Keys) -> None:
    item = failed()
    key = add_to_set(rr, keys, "retry", item)
    client.submit(f"/retries/{key}", {"action": "kill"})
    assert rr.zcard(keys.retry) == 0
    [raw] = rr.zrange(keys.dead, 0, -1)
    assert payload.loads(str(raw))["jid"] == item["jid"]


def test_action_on_a_job_that_already_left_reports_it(client: DashboardClient) -> None:
    answer = client.submit("/retries/1.0-0123456789abcdef01234567", {"action": "retry"})
    assert answer.headers["location"] == "/retries?did=gone"
    assert "no longer there" in client.get("/retries?did=gone").text


def test_unknown_action_is_a_400(client: DashboardClient, rr: redis.Redis, keys: Keys) -> None:
    key = add_to_set(rr, keys, "dead", failed())
    assert client.submit(f"/dead/{key}", {"action": "kill"}).status_code == 400
    assert client.submit("/dead", {"action": "explode", "key": key}).status_code == 400
    assert rr.zcard(keys.dead) == 1


def test_bulk_action_applies_to_the_selected_jobs_only(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    chosen = [add_to_set(rr, keys, "dead", failed(), time.time() - i) for i in range(3)]
    kept = add_to_set(rr, keys, "dead", failed(), time.time() - 10)
    answer = client.submit(
        "/dead", {"action": "retry", "scope": "selected", "key": chosen, "q": "boom", "page": "1"}
    )
    assert answer.headers["location"] == "/dead?did=retry&n=3&q=boom&page=1"
    assert rr.zcard(keys.dead) == 1 and rr.zrange(keys.dead, 0, -1, withscores=True)[0][1] == float(
        kept.split("-")[0]
    )
    assert len(queued(rr, keys)) == 3


def test_bulk_all_acts_on_the_whole_set(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    fill_set(rr, keys, "retry", 250)
    answer = client.submit("/retries", {"action": "kill", "scope": "all"})
    assert answer.headers["location"] == "/retries?did=kill&n=250"
    assert rr.zcard(keys.retry) == 0 and rr.zcard(keys.dead) == 250
    client.submit("/dead", {"action": "delete", "scope": "all"})
    assert rr.zcard(keys.dead) == 0


def test_scheduled_job_can_be_run_now(client: DashboardClient, rr: redis.Redis, keys: Keys) -> None:
    item = job("mail.Reminder")
    key = add_to_set(rr, keys, "schedule", item, time.time() + 3600)
    client.submit(f"/scheduled/{key}", {"action": "retry"})
    assert [j["jid"] for j in queued(rr, keys)] == [item["jid"]]


def test_delete_one_job_from_a_queue(client: DashboardClient, rr: redis.Redis, keys: Keys) -> None:
    items = [job(args=[i], queue="low") for i in range(3)]
    for item in items:
        push(rr, keys, item)
    raw = payload.encode(items[1])
    answer = client.submit("/queues/low", {"action": "delete", "job": raw, "page": "1"})
    assert answer.headers["location"] == "/queues/low?did=delete&n=1&page=1"
    assert [j["jid"] for j in queued(rr, keys, "low")] == [items[2]["jid"], items[0]["jid"]]
    again = client.submit("/queues/low", {"action": "delete", "job": raw})
    assert "did=gone" in again.headers["location"]


def test_clear_a_queue(client: DashboardClient, rr: redis.Redis, keys: Keys) -> None:
    for i in range(5):
        push(rr, keys, job(args=[i], queue="bulk"))
    answer = client.submit("/queues/bulk", {"action": "clear"})
    assert answer.headers["location"] == "/queues?did=clear&n=5"
    assert rr.llen(keys.queue("bulk")) == 0
    assert "bulk" not in rr.smembers(keys.queues)


def test_quiet_and_stop_signal_a_process(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    identity = "host:1:0123456789ab"
    process(rr, keys, identity, {"hostname": "host", "pid": 1, "version": "workhorse-1.0.0"})
    client.submit("/busy", {"action": "quiet", "identity": identity})
    client.submit("/busy", {"action": "stop", "identity": identity})
    assert rr.lrange(keys.signals(identity), 0, -1) == ["TERM", "TSTP"]
    gone = client.submit("/busy", {"action": "stop", "identity": "other:2:ffffffffffff"})
    assert gone.headers["location"] == "/busy?did=left"


def test_stop_worker_signals_every_process_of_one_supervisor(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    children = ["host:11:0123456789ab", "host:12:0123456789ab"]
    for n, identity in enumerate(children):
        process(rr, keys, identity, {"hostname": "host", "pid": 11 + n, "supervisor_pid": 10})
    process(rr, keys, "host:10:ffffffffffff", {"hostname": "host", "pid": 10})
    process(
        rr, keys, "other:11:0123456789ab", {"hostname": "other", "pid": 11, "supervisor_pid": 10}
    )
    page = client.get("/busy").text
    assert page.count('name="group" value="host:10"') == 2 and "worker host:10" in page
    answer = client.submit("/busy", {"action": "stop", "group": "host:10"})
    assert answer.headers["location"] == "/busy?did=stop&n=2"
    assert [rr.lrange(keys.signals(i), 0, -1) for i in children] == [["TERM"], ["TERM"]]
    assert not rr.exists(keys.signals("host:10:ffffffffffff"))
    assert not rr.exists(keys.signals("other:11:0123456789ab"))
    gone = client.submit("/busy", {"action": "stop", "group": "host:99"})
    assert gone.headers["location"] == "/busy?did=left"


def test_quiet_all_signals_every_process(
    client: DashboardClient, rr: redis.Redis, keys: Keys
) -> None:
    for n in range(3):
        process(rr, keys, f"h{n}:{n}:0123456789ab", {"hostname": f"h{n}", "pid": n})
    answer = client.submit("/busy", {"action": "quiet"})
    assert answer.headers["location"] == "/busy?did=quiet&n=3"
    assert all(
        rr.lrange(keys.signals(f"h{n}:{n}:0123456789ab"), 0, -1) == ["TSTP"] for n in range(3)
    )
