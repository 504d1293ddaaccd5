"""Walk through the integration: a rolled-back order, a committed one, a Django task."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_tasks.base import TaskResultStatus

import workhorse.contrib.django.worker  # noqa: F401 (what manage.py workhorse loads)
from orders.jobs import ship
from orders.models import Order
from orders.tasks import count_orders
from workhorse.client import default_client
from workhorse.worker.launcher import WorkerProcess


class Declined(Exception):
    pass


class Command(BaseCommand):
    help = "Show transactional enqueue and the Tasks backend with an in-process worker."

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        call_command("migrate", verbosity=0)
        worker = WorkerProcess(default_client().settings)
        worker.start()  # in-process for the demo; production runs `manage.py workhorse`
        try:
            self.demo()
        finally:
            worker.stop()
            worker.shutdown()

    def demo(self) -> None:
        try:
            with transaction.atomic():
                vase = Order.objects.create(item="vase")
                ship.on_commit().perform_async(vase.pk)
                raise Declined
        except Declined:
            self.stdout.write("vase: rolled back, so its job was never enqueued")
        with transaction.atomic():
            lamp = Order.objects.create(item="lamp")
            ship.on_commit().perform_async(lamp.pk)
        self.stdout.write(f"lamp: committed as order {lamp.pk}; its job is enqueued now")
        result = count_orders.enqueue()
        self.wait(lambda: Order.objects.filter(pk=lamp.pk, shipped=True).exists())
        self.wait(lambda: count_orders.get_result(result.id).status == TaskResultStatus.SUCCESSFUL)
        self.stdout.write(f"count_orders task: {count_orders.get_result(result.id).return_value}")
        self.stdout.write("check passed: the committed order shipped, the task ran")

    def wait(self, condition: Any, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise CommandError("check failed: the worker did not finish in time")
            time.sleep(0.05)
