"""Loaded into every worker process by ``manage.py workhorse`` (``-r`` this module).

Sets Django up and closes database connections that are unusable or past
``CONN_MAX_AGE`` before and after each job, as Django does around a request.
"""

from __future__ import annotations

import django
from django.apps import apps
from django.db import close_old_connections

from workhorse import plugins
from workhorse.middleware import AsyncRunNext, JobContext, RunNext, ServerMiddleware

if not apps.ready:
    django.setup()


class RecycleConnections:
    def __call__(self, ctx: JobContext, call_next: RunNext) -> object:  # noqa: ARG002
        close_old_connections()
        try:
            return call_next()
        finally:
            close_old_connections()

    async def call_async(self, ctx: JobContext, call_next: AsyncRunNext) -> object:  # noqa: ARG002
        # An async job reaches the ORM through sync_to_async, whose threads hold their own
        # connections and recycle them as Django's async views do: nothing to close here.
        return await call_next()


recycle_connections = RecycleConnections()


class DjangoWorkerPlugin:
    @staticmethod
    def workhorse_server_middleware() -> list[ServerMiddleware]:
        return [recycle_connections]


if DjangoWorkerPlugin.__name__ not in plugins.names():
    plugins.register(DjangoWorkerPlugin(), DjangoWorkerPlugin.__name__)

# Django Tasks run through this job; register it in every worker.
from workhorse.contrib.django import tasks as _tasks  # noqa: E402,F401
