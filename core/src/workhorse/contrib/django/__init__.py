"""Django integration: add ``"workhorse.contrib.django"`` to ``INSTALLED_APPS``.

Settings (``WORKHORSE = {...}``): see ``workhorse.contrib.django.conf``. What it gives:
``Job.on_commit()`` (and ``ON_COMMIT`` for every enqueue), ``manage.py workhorse``,
a Django Tasks backend (``workhorse.contrib.django.tasks.WorkhorseBackend``) and the
dashboard behind Django's login (``workhorse.contrib.django.urls``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction


def on_commit_of(using: str | None = None) -> Callable[[Callable[[], None]], None]:
    """A hook for ``job.on_commit(...)``: run after the transaction on database ``using``
    commits; at once when no ``atomic()`` block is open (Django's own rule)."""

    def defer(write: Callable[[], None]) -> None:
        transaction.on_commit(write, using=using)

    return defer
