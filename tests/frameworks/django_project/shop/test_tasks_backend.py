"""The Django Tasks backend: enqueue into workhorse, run as a workhorse job, read results."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import redis
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.test import TransactionTestCase

from shop import tasks
from shop.compat import (
    InvalidTask,
    TaskResultDoesNotExist,
    TaskResultMismatch,
    TaskResultStatus,
    task_backends,
    task_enqueued,
    task_finished,
    task_started,
)
from shop.models import Order
from workhorse import client as client_module
from workhorse.contrib.django import conf
from workhorse.contrib.django.apps import configure
from workhorse.contrib.django.tasks import JOB_NAME, WorkhorseBackend, run_task


class Rollback(Exception):
    pass


class TasksBackendTests(TransactionTestCase):
    def setUp(self) -> None:
        self.r = redis.Redis.from_url(os.environ["WH_TEST_REDIS_URL"], decode_responses=True)
        for key in self.r.scan_iter("{dj}:*"):
            self.r.delete(key)
        self.addCleanup(self.r.close)
        previous = client_module.set_default_client(None)
        self.addCleanup(client_module.set_default_client, previous)
        configure(conf.load())

    def pop(self, queue: str) -> dict[str, object]:
        raw = self.r.rpop(f"{{dj}}:queue:{queue}")
        self.assertIsNotNone(raw, f"nothing in queue {queue}")
        return json.loads(str(raw))

    def run_job(self, job: dict[str, object]) -> None:
        args = job["args"]
        assert isinstance(args, list)
        run_task(*args)

    def test_a_task_is_a_workhorse_job_on_its_queue_whose_jid_is_the_result_id(self) -> None:
        result = tasks.add.enqueue(2, 3)
        self.assertEqual(result.status, TaskResultStatus.READY)
        job = self.pop("emails")
        self.assertEqual(job["class"], JOB_NAME)
        self.assertEqual(job["jid"], result.id)
        self.assertEqual(tasks.add.get_result(result.id).status, TaskResultStatus.READY)
        self.run_job(job)
        done = tasks.add.get_result(result.id)
        self.assertEqual(done.status, TaskResultStatus.SUCCESSFUL)
        self.assertEqual(done.return_value, 5)
        self.assertEqual(done.args, [2, 3])
        self.assertIsNotNone(done.enqueued_at)
        self.assertIsNotNone(done.finished_at)
        self.assertEqual(done.attempts, 1)
        result.refresh()
        self.assertEqual(result.return_value, 5)

    def test_a_task_touches_the_database_when_the_worker_runs_it(self) -> None:
        result = tasks.record.enqueue(item="lamp")
        self.run_job(self.pop("default"))
        order_id = tasks.record.get_result(result.id).return_value["id"]
        self.assertEqual(Order.objects.get(pk=order_id).item, "lamp")

    def test_a_failing_task_is_failed_with_its_error_and_the_job_fails_too(self) -> None:
        result = tasks.explode.enqueue()
        with self.assertRaises(ValueError):
            self.run_job(self.pop("default"))
        failed = tasks.explode.get_result(result.id)
        self.assertEqual(failed.status, TaskResultStatus.FAILED)
        self.assertEqual(failed.errors[0].exception_class, ValueError)
        self.assertIn("boom", failed.errors[0].traceback)

    def test_a_context_task_sees_its_attempt(self) -> None:
        result = tasks.attempt.enqueue()
        self.run_job(self.pop("default"))
        self.assertEqual(tasks.attempt.get_result(result.id).return_value, 1)

    def test_run_after_schedules_the_job(self) -> None:
        when = datetime.now(UTC) + timedelta(hours=1)
        result = tasks.add.using(run_after=when).enqueue(1, 1)
        [(raw, score)] = self.r.zrange("{dj}:schedule", 0, -1, withscores=True)
        self.assertEqual(json.loads(raw)["jid"], result.id)
        self.assertAlmostEqual(score, when.timestamp(), places=3)

    def test_what_the_backend_cannot_honour_is_refused_at_definition(self) -> None:
        with self.assertRaises(InvalidTask):
            tasks.add.using(queue_name="unknown")
        with self.assertRaises(InvalidTask):
            tasks.record.using(backend="fifo", priority=10)  # no PRIORITY_QUEUES there
        with self.assertRaises(InvalidTask):
            tasks.add.using(run_after=datetime.now())  # naive, with USE_TZ
        for priority in (101, -101, 3.1):
            with self.assertRaises(InvalidTask):
                tasks.add.using(priority=priority)  # type: ignore[arg-type]

    def test_priority_picks_the_queue_suffix_that_priority_queues_maps_it_to(self) -> None:
        self.assertTrue(task_backends["default"].supports_priority)
        self.assertFalse(task_backends["fifo"].supports_priority)
        for priority, queue in [
            (100, "emails_high"),
            (1, "emails_high"),
            (0, "emails"),
            (-1, "emails_low"),
            (-100, "emails_low"),
        ]:
            result = tasks.add.using(priority=priority).enqueue(1, 2)
            self.assertEqual(self.pop(queue)["jid"], result.id)
            self.assertEqual(tasks.add.get_result(result.id).task.priority, priority)

    def test_malformed_priority_queues_are_refused_with_what_to_write(self) -> None:
        for bad in ({"high": 0}, {"high": 101}, {"high": "1"}, {"a b": 1}, [], {}):
            with (
                self.subTest(bad=bad),
                self.assertRaisesRegex(ImproperlyConfigured, "PRIORITY_QUEUES"),
            ):
                WorkhorseBackend("x", {"OPTIONS": {"PRIORITY_QUEUES": bad}})

    def test_the_furthest_matching_threshold_wins(self) -> None:
        from workhorse.contrib.django import priority

        table = priority.parse({"high": 1, "critical": 50, "low": -1}, "x")
        self.assertEqual(priority.queue_for("q", 60, table), "q_critical")
        self.assertEqual(priority.queue_for("q", 49, table), "q_high")
        self.assertEqual(priority.queue_for("q", -3, table), "q_low")
        self.assertEqual(priority.queue_for("q", 0, table), "q")

    def test_get_result_returns_what_enqueue_returned_and_checks_the_task(self) -> None:
        result = tasks.add.using(priority=5).enqueue(1, 2)
        self.assertEqual(tasks.add.using(priority=5).get_result(result.id), result)
        with self.assertRaises(TaskResultMismatch):
            tasks.record.get_result(result.id)

    def test_arguments_json_cannot_hold_are_refused_at_enqueue(self) -> None:
        with self.assertRaises(TypeError):
            tasks.add.enqueue(datetime.now(UTC), 1)
        self.assertEqual(self.r.llen("{dj}:queue:emails"), 0)

    def test_a_return_value_json_cannot_hold_fails_the_task(self) -> None:
        result = tasks.unserialisable.enqueue()
        with self.assertRaises(TypeError):
            self.run_job(self.pop("default"))
        failed = tasks.unserialisable.get_result(result.id)
        self.assertEqual(failed.status, TaskResultStatus.FAILED)
        self.assertEqual(failed.errors[0].exception_class, TypeError)
        with self.assertRaises(ValueError):
            _ = failed.return_value

    def test_a_context_task_sees_its_own_result_id(self) -> None:
        result = tasks.own_id.enqueue()
        self.run_job(self.pop("default"))
        self.assertEqual(tasks.own_id.get_result(result.id).return_value, result.id)

    def test_enqueue_start_and_finish_are_logged_with_the_result_id(self) -> None:
        from shop.compat import LOGGER

        with self.assertLogs(LOGGER, level="DEBUG") as logs:
            result = tasks.add.enqueue(1, 1)
            self.run_job(self.pop("emails"))
        self.assertEqual(len(logs.output), 3, logs.output)
        self.assertTrue(all(result.id in line for line in logs.output), logs.output)
        self.assertIn("SUCCESSFUL", logs.output[2])

    def test_under_on_commit_a_rolled_back_enqueue_leaves_no_result(self) -> None:
        configure(
            conf.WorkhorseSettings(
                redis_url=os.environ["WH_TEST_REDIS_URL"], prefix="{dj}", on_commit=True
            )
        )
        with self.assertRaises(Rollback), transaction.atomic():
            lost = tasks.record.enqueue(item="ghost")
            raise Rollback
        self.assertEqual(self.r.keys("{dj}:django:task:*"), [])
        self.assertEqual(self.r.llen("{dj}:queue:default"), 0)
        with self.assertRaises(TaskResultDoesNotExist):
            tasks.record.get_result(lost.id)
        with transaction.atomic():
            kept = tasks.record.enqueue(item="real")
            self.assertEqual(self.r.keys("{dj}:django:task:*"), [], "not before the commit")
        self.assertEqual(tasks.record.get_result(kept.id).status, TaskResultStatus.READY)
        self.assertEqual(self.pop("default")["jid"], kept.id)

    def test_unknown_and_unreadable_results_do_not_exist(self) -> None:
        backend = task_backends["default"]
        with self.assertRaises(TaskResultDoesNotExist):
            backend.get_result("0" * 24)
        self.r.hset("{dj}:django:task:bad", mapping={"task": "os.path", "status": "??"})
        with self.assertRaises(TaskResultDoesNotExist):
            backend.get_result("bad")

    def test_hostile_job_args_fail_with_a_clear_error(self) -> None:
        from workhorse.errors import ArgumentError

        with self.assertRaises(ArgumentError):
            run_task("shop.tasks.add", "not a list", {}, "default", "x")
        with self.assertRaises(ImportError):
            run_task("os.path.join", [], {}, "default", "x")

    def test_async_tasks_run_and_async_apis_work(self) -> None:
        from asgiref.sync import async_to_sync

        result = async_to_sync(tasks.shout.aenqueue)("hi")
        self.run_job(self.pop("default"))
        done = async_to_sync(tasks.shout.aget_result)(result.id)
        self.assertEqual(done.return_value, "HI")
        async_to_sync(result.arefresh)()
        self.assertEqual(result.status, TaskResultStatus.SUCCESSFUL)
        with self.assertRaises(TaskResultDoesNotExist):
            async_to_sync(tasks.shout.aget_result)("0" * 24)
        with self.assertRaises(InvalidTask):
            async_to_sync(tasks.shout.using(queue_name="nope").aenqueue)()

    def test_the_task_signals_fire_in_order(self) -> None:
        seen: list[tuple[str, str]] = []

        def listener(name: str):  # type: ignore[no-untyped-def]
            return lambda sender, task_result, **kw: seen.append((name, str(task_result.status)))

        receivers = [
            (signal, listener(name))
            for signal, name in [
                (task_enqueued, "enqueued"),
                (task_started, "started"),
                (task_finished, "finished"),
            ]
        ]
        for signal, receiver in receivers:
            signal.connect(receiver)
            self.addCleanup(signal.disconnect, receiver)
        tasks.add.enqueue(1, 2)
        self.run_job(self.pop("emails"))
        self.assertEqual(
            seen, [("enqueued", "READY"), ("started", "RUNNING"), ("finished", "SUCCESSFUL")]
        )

    def test_a_function_not_at_module_level_is_refused(self) -> None:
        from shop.compat import task

        def local() -> None:
            pass

        with self.assertRaises(InvalidTask):
            task(local)

    def test_django_6_uses_its_own_tasks_framework(self) -> None:
        import django

        from shop.compat import NATIVE
        from workhorse.contrib.django import tasks as backend_module

        self.assertEqual(NATIVE, django.VERSION >= (6,))
        framework = "django.tasks" if NATIVE else "django_tasks"
        self.assertTrue(backend_module.BaseTaskBackend.__module__.startswith(framework))

    def test_the_backend_passes_djangos_system_checks(self) -> None:
        self.assertEqual(list(task_backends["default"].check()), [])
