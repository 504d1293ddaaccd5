"""The Django app: configures the client from ``settings.WORKHORSE`` at startup."""

from __future__ import annotations

from django.apps import AppConfig

from workhorse import client as client_module
from workhorse.config import Settings
from workhorse.contrib.django import conf, on_commit_of
from workhorse.job import set_commit_hook


class WorkhorseConfig(AppConfig):
    name = "workhorse.contrib.django"
    label = "workhorse"
    verbose_name = "workhorse"

    def ready(self) -> None:
        configure(conf.load())


def configure(options: conf.WorkhorseSettings) -> client_module.Client:
    """Install the client ``perform_async`` uses and the default ``.on_commit()`` hook."""
    settings = Settings.from_env(
        None, redis_url=options.redis_url, prefix=options.prefix, **dict(options.extra or {})
    )
    client = client_module.Client(settings=settings)
    hook = on_commit_of(options.database)
    if options.on_commit:
        client.defer = hook
    set_commit_hook(hook)
    client_module.set_default_client(client)
    return client
