"""A Django Tasks backend: ``@task`` functions are enqueued to and run by workhorse workers.

```python
TASKS = {"default": {
    "BACKEND": "workhorse.contrib.django.tasks.WorkhorseBackend",
    "QUEUES": ["default", "emails"],                 # workhorse queue = task.queue_name
    "OPTIONS": {"RESULT_TTL": 86400, "RETRY": 0,    # result lifetime (s); job retries
                "PRIORITY_QUEUES": {"high": 1, "low": -1}},  # optional: see .priority
}}
```
A task travels as the job ``workhorse.django.task`` with ``[module_path, args,
kwargs, backend_alias, result_id]``; its jid is the result id. Results (status,
times, return value, errors) live in the hash ``django:task:<id>`` for
``RESULT_TTL`` seconds, so ``get_result()`` works from any process. The result
record is written with the job: when ``WORKHORSE["ON_COMMIT"]`` defers the push
until the transaction commits, the record waits too, so a rollback leaves neither.

Priority: workhorse queues are FIFO, so priority is honoured only through
``PRIORITY_QUEUES`` (a priority picks a queue suffix; workers poll those queues
first). Without it the backend says ``supports_priority = False`` and Django
refuses a task with a priority other than 0.
"""

from __future__ import annotations

import dataclasses
import json
import traceback
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from django.utils.module_loading import import_string

import workhorse
from workhorse import payload
from workhorse.client import Client, default_client
from workhorse.contrib.django import priority
from workhorse.errors import ArgumentError

if TYPE_CHECKING:
    from django_tasks.backends.base import BaseTaskBackend
    from django_tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
    from django_tasks.exceptions import InvalidTaskError as InvalidTask
    from django_tasks.exceptions import TaskResultDoesNotExist
    from django_tasks.signals import task_enqueued, task_finished, task_started
else:
    try:  # Django 6 ships the framework
        from django.tasks.backends.base import BaseTaskBackend
        from django.tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
        from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist
        from django.tasks.signals import task_enqueued, task_finished, task_started
    except ImportError:  # Django 5.2: the django-tasks backport (same API)
        from django_tasks.backends.base import BaseTaskBackend
        from django_tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
        from django_tasks.exceptions import InvalidTaskError as InvalidTask
        from django_tasks.exceptions import TaskResultDoesNotExist
        from django_tasks.signals import task_enqueued, task_finished, task_started

JOB_NAME = "workhorse.django.task"
DEFAULT_RESULT_TTL = 24 * 3600


class WorkhorseBackend(BaseTaskBackend):
    supports_defer = True
    supports_async_task = True
    supports_get_result = True
    # True per backend when OPTIONS["PRIORITY_QUEUES"] is set: only then is it honoured.
    supports_priority = False

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.result_ttl = int(self.options.get("RESULT_TTL", DEFAULT_RESULT_TTL))
        self.retry = self.options.get("RETRY", 0)
        self.priority_queues = priority.parse(self.options.get("PRIORITY_QUEUES"), alias)
        self.supports_priority = bool(self.priority_queues)

    @property
    def client(self) -> Client:
        return default_client()

    def enqueue(self, task: Task[Any, Any], args: Any, kwargs: Any) -> TaskResult[Any]:
        self.validate_task(task)
        jid = payload.new_jid()
        result = _result(
            task, jid, TaskResultStatus.READY, args, kwargs, self.alias, enqueued=_now()
        )
        item: dict[str, Any] = {
            "class": JOB_NAME,
            "jid": jid,
            "args": [task.module_path, result.args, result.kwargs, self.alias, jid],
            "queue": priority.queue_for(task.queue_name, task.priority, self.priority_queues),
            "retry": self.retry,
        }
        if task.run_after is not None:
            item["at"] = task.run_after.timestamp()
        client = self.client
        fields = _fields(result)  # a snapshot: the caller may change its result object
        ttl = self.result_ttl

        def record() -> None:
            _write(client, jid, fields, ttl)

        # The record goes where the push goes: after the commit under ON_COMMIT, so a
        # rolled-back transaction leaves no READY result behind; queued before the push.
        if client.defer is not None:
            client.defer(record)
        else:
            record()
        client.push(item)
        task_enqueued.send(type(self), task_result=result)
        return result

    def get_result(self, result_id: str) -> TaskResult[Any]:
        fields = cast(dict[str, str], self.client.redis.hgetall(result_key(self.client, result_id)))
        if not fields:
            raise TaskResultDoesNotExist(result_id)
        try:
            return _load(fields, result_id)
        except (KeyError, ValueError, TypeError, ImportError) as exc:
            # Bytes in Redis may be anything another program wrote.
            raise TaskResultDoesNotExist(
                f"{result_id}: the stored result is unreadable ({exc})"
            ) from exc


def result_key(client: Client, result_id: str) -> str:
    return client.keys.key(f"django:task:{result_id}")


def store(client: Client, result: TaskResult[Any], ttl: int) -> None:
    _write(client, result.id, _fields(result), ttl)


def _fields(result: TaskResult[Any]) -> dict[str, str]:
    stamp = {
        k: _iso(getattr(result, k))
        for k in ("enqueued_at", "started_at", "finished_at", "last_attempted_at")
    }
    task = result.task
    return {
        "task": task.module_path,
        "status": str(result.status),
        "args": json.dumps(result.args),
        "kwargs": json.dumps(result.kwargs),
        "backend": result.backend,
        "queue": task.queue_name,
        "priority": str(task.priority),
        "run_after": _iso(task.run_after),
        "errors": json.dumps([[e.exception_class_path, e.traceback] for e in result.errors]),
        "worker_ids": json.dumps(result.worker_ids),
        "return_value": json.dumps(result._return_value),
        **{k: v for k, v in stamp.items() if v},
    }


def _write(client: Client, result_id: str, fields: dict[str, str], ttl: int) -> None:
    key = result_key(client, result_id)
    pipe = client.redis.pipeline(transaction=True)
    pipe.hset(key, mapping=cast(Any, fields))
    pipe.expire(key, ttl)
    pipe.execute()


def _load(fields: dict[str, str], result_id: str) -> TaskResult[Any]:
    task = _as_enqueued(_find_task(fields["task"]), fields)
    result = _result(
        task,
        result_id,
        TaskResultStatus(fields["status"]),
        json.loads(fields["args"]),
        json.loads(fields["kwargs"]),
        fields["backend"],
        enqueued=_time(fields.get("enqueued_at")),
        started=_time(fields.get("started_at")),
        finished=_time(fields.get("finished_at")),
        attempted=_time(fields.get("last_attempted_at")),
    )
    result.errors.extend(
        TaskError(exception_class_path=str(path), traceback=str(tb))
        for path, tb in json.loads(fields["errors"])
    )
    result.worker_ids.extend(str(w) for w in json.loads(fields["worker_ids"]))
    object.__setattr__(result, "_return_value", json.loads(fields["return_value"]))
    return result


def _find_task(module_path: str) -> Task[Any, Any]:
    found = import_string(module_path)
    if not isinstance(found, Task):
        raise ImportError(f"{module_path} is not a Django task (decorate it with @task)")
    return found


def _as_enqueued(task: Task[Any, Any], fields: dict[str, str]) -> Task[Any, Any]:
    """The task as it was enqueued (``.using()`` may have changed queue, priority, time)."""
    changes: dict[str, Any] = {
        "queue_name": fields.get("queue", task.queue_name),
        "priority": int(fields.get("priority") or task.priority),
        "run_after": _time(fields.get("run_after")),
    }
    if all(getattr(task, name) == value for name, value in changes.items()):
        return task
    try:
        return dataclasses.replace(task, **changes)
    except InvalidTask:
        # The settings changed since (e.g. a queue was removed): the task as declared.
        return task


def _result(
    task: Task[Any, Any],
    result_id: str,
    status: Any,
    args: Any,
    kwargs: Any,
    backend: str,
    *,
    enqueued: datetime | None = None,
    started: datetime | None = None,
    finished: datetime | None = None,
    attempted: datetime | None = None,
) -> TaskResult[Any]:
    return TaskResult(
        task=task,
        id=result_id,
        status=status,
        enqueued_at=enqueued,
        started_at=started,
        finished_at=finished,
        last_attempted_at=attempted,
        args=list(args),
        kwargs=dict(kwargs),
        backend=backend,
        errors=[],
        worker_ids=[],
    )


@workhorse.job(name=JOB_NAME)
def run_task(
    module_path: str, args: list[Any], kwargs: dict[str, Any], alias: str, result_id: str
) -> None:
    """The worker side: run the task and record its result for ``get_result``."""
    if not (
        isinstance(module_path, str)
        and isinstance(args, list)
        and isinstance(kwargs, dict)
        and isinstance(result_id, str)
    ):
        raise ArgumentError(
            f"{JOB_NAME} needs [module_path, args list, kwargs dict, backend, result id]; "
            f"got {[module_path, args, kwargs, alias, result_id]!r:.200}"
        )
    task = _find_task(module_path)
    backend = task.get_backend()
    ttl = getattr(backend, "result_ttl", DEFAULT_RESULT_TTL)
    client = default_client()
    result = _running(task, args, kwargs, alias, result_id, client)
    store(client, result, ttl)
    task_started.send(type(backend), task_result=result)
    try:
        if task.takes_context:
            value = task.call(TaskContext(task_result=result), *args, **kwargs)
        else:
            value = task.call(*args, **kwargs)
        # In the try: a value JSON cannot hold fails the task (as Django's backends do).
        object.__setattr__(result, "_return_value", _normalize_json(value))
    except Exception as exc:
        result.errors.append(
            TaskError(
                exception_class_path=_path(type(exc)),
                traceback="".join(traceback.format_exception(exc)),
            )
        )
        _finish(result, TaskResultStatus.FAILED)
        store(client, result, ttl)
        task_finished.send(type(backend), task_result=result)
        raise
    _finish(result, TaskResultStatus.SUCCESSFUL)
    store(client, result, ttl)
    task_finished.send(type(backend), task_result=result)


def _running(
    task: Task[Any, Any],
    args: list[Any],
    kwargs: dict[str, Any],
    alias: str,
    jid: str,
    client: Client,
) -> TaskResult[Any]:
    now = _now()
    previous: TaskResult[Any] | None = None
    fields = cast(dict[str, str], client.redis.hgetall(result_key(client, jid)))
    if fields:
        try:
            previous = _load(fields, jid)
        except (KeyError, ValueError, TypeError, ImportError):
            previous = None
    # The task as enqueued (priority, queue), when the READY record says so.
    result = _result(
        previous.task if previous else task,
        jid,
        TaskResultStatus.RUNNING,
        args,
        kwargs,
        alias,
        enqueued=previous.enqueued_at if previous else None,
        started=now,
        attempted=now,
    )
    if previous:
        result.worker_ids.extend(previous.worker_ids)
    result.worker_ids.append(_worker_id())
    return result


def _finish(result: TaskResult[Any], status: Any) -> None:
    object.__setattr__(result, "status", status)
    object.__setattr__(result, "finished_at", _now())


def _normalize_json(value: Any) -> Any:
    """``value`` as JSON gives it back; TypeError when JSON cannot hold it."""
    try:
        from django.utils.json import normalize_json  # Django 6: its own message
    except ImportError:
        return json.loads(json.dumps(value))
    return normalize_json(value)


def _worker_id() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
