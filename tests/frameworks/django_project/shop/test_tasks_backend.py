"""The Django Tasks backend: enqueue into workhorse, run as a workhorse job, read results."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import redis
from django.test import TransactionTestCase
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus
from django_tasks.exceptions import InvalidTaskError, TaskResultDoesNotExist

from shop import tasks
from shop.models import Order
from workhorse import client as client_module
from workhorse.contrib.django import conf
from workhorse.contrib.django.apps import configure
from workhorse.contrib.django.tasks import JOB_NAME, run_task


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
        with self.assertRaises(InvalidTaskError):
            tasks.add.using(queue_name="unknown")
        with self.assertRaises(InvalidTaskError):
            tasks.add.using(priority=10)

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

    def test_the_task_signals_fire_in_order(self) -> None:
        from django_tasks.signals import task_enqueued, task_finished, task_started

        seen: list[tuple[str, str]] = []

        def listener(name: str):  # type: ignore[no-untyped-def]
            return lambda sender, task_result, **kw: seen.append((name, str(task_result.status)))

        receivers = [(signal, listener(name)) for signal, name in [
            (task_enqueued, "enqueued"), (task_started, "started"), (task_finished, "finished")]]
        for signal, receiver in receivers:
            signal.connect(receiver)
            self.addCleanup(signal.disconnect, receiver)
        tasks.add.enqueue(1, 2)
        self.run_job(self.pop("emails"))
        self.assertEqual(seen, [("enqueued", "READY"), ("started", "RUNNING"),
                                ("finished", "SUCCESSFUL")])

    def test_a_function_not_at_module_level_is_refused(self) -> None:
        from django_tasks import task

        def local() -> None:
            pass

        with self.assertRaises(InvalidTaskError):
            task(local)

    def test_the_backend_passes_djangos_system_checks(self) -> None:
        self.assertEqual(list(task_backends["default"].check()), [])
