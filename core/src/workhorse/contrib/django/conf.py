"""The ``WORKHORSE`` Django setting, read and checked once.

```python
WORKHORSE = {
    "REDIS_URL": "redis://localhost:6379/0",  # default: workhorse's resolution order
    "PREFIX": "",                # key prefix
    "ON_COMMIT": False,          # True: every enqueue inside atomic() waits for the commit
    "DATABASE": "default",       # the database alias whose commits ON_COMMIT follows
    "DASHBOARD_AUTH": None,      # callable(request) -> bool; default: active staff users
}
```
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

KNOWN = ("REDIS_URL", "PREFIX", "ON_COMMIT", "DATABASE", "DASHBOARD_AUTH", "SETTINGS")


@dataclass(frozen=True)
class WorkhorseSettings:
    redis_url: str | None = None
    prefix: str | None = None
    on_commit: bool = False
    database: str = "default"
    dashboard_auth: Callable[[HttpRequest], bool] | None = None
    # Any other workhorse Settings field, e.g. {"timestamp_format": "float"}.
    extra: Mapping[str, object] | None = None


def load() -> WorkhorseSettings:
    raw = getattr(django_settings, "WORKHORSE", {})
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"settings.WORKHORSE must be a dict, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(KNOWN))
    if unknown:
        raise ImproperlyConfigured(
            f"settings.WORKHORSE has unknown key(s) {', '.join(map(str, unknown))}; "
            f"known keys: {', '.join(KNOWN)}"
        )
    return WorkhorseSettings(
        redis_url=_optional_str(raw, "REDIS_URL"),
        prefix=_optional_str(raw, "PREFIX"),
        on_commit=_bool(raw, "ON_COMMIT"),
        database=_optional_str(raw, "DATABASE") or "default",
        dashboard_auth=_callable(raw.get("DASHBOARD_AUTH")),
        extra=_mapping(raw, "SETTINGS"),
    )


def _optional_str(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise ImproperlyConfigured(
            f"settings.WORKHORSE[{key!r}] must be a string, got {type(value).__name__}"
        )
    return value


def _bool(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ImproperlyConfigured(
            f"settings.WORKHORSE[{key!r}] must be True or False, got {value!r}"
        )
    return value


def _mapping(raw: Mapping[str, Any], key: str) -> Mapping[str, object] | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise ImproperlyConfigured(
            f"settings.WORKHORSE[{key!r}] must be a dict of workhorse settings, "
            f"got {type(value).__name__}"
        )
    return value


def _callable(value: object) -> Callable[[HttpRequest], bool] | None:
    if isinstance(value, str):
        value = import_string(value)
    if value is not None and not callable(value):
        raise ImproperlyConfigured(
            "settings.WORKHORSE['DASHBOARD_AUTH'] must be a callable(request) -> bool "
            f"or its dotted path, got {value!r}"
        )
    return value
