"""``manage.py workhorse [worker options]``: ``workhorse worker`` with Django set up.

Every option of ``workhorse worker`` works (``-q``, ``-c``, ``-p``...); the Redis URL
and prefix default to ``settings.WORKHORSE``. Each installed app's ``jobs`` and
``tasks`` modules are loaded, plus any ``-r MODULE``.
"""

from __future__ import annotations

import importlib.util
from argparse import ArgumentParser
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand

from workhorse.contrib.django import conf

BOOT = "workhorse.contrib.django.worker"


class Command(BaseCommand):
    help = "Run a workhorse worker with Django set up (options as `workhorse worker --help`)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("args", nargs="*", help="options for `workhorse worker`")

    def run_from_argv(self, argv: list[str]) -> None:
        # Hand everything after the command name to click untouched.
        self.handle(*argv[2:])

    def handle(self, *args: str, **options: Any) -> None:  # noqa: ARG002
        from workhorse.cli.worker_cmd import worker

        worker.main(args=worker_argv(list(args)), prog_name="manage.py workhorse")


def worker_argv(args: list[str]) -> list[str]:
    settings = conf.load()
    argv = ["-r", BOOT]
    for module in discovered_modules():
        argv += ["-r", module]
    if settings.redis_url and "--redis-url" not in args:
        argv += ["--redis-url", settings.redis_url]
    if settings.prefix and "--prefix" not in args:
        argv += ["--prefix", settings.prefix]
    return argv + args


def discovered_modules() -> list[str]:
    found = []
    for config in apps.get_app_configs():
        for name in ("jobs", "tasks"):
            module = f"{config.name}.{name}"
            if importlib.util.find_spec(module) is not None:
                found.append(module)
    return found
