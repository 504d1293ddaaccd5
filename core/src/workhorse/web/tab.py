"""``DashboardTab``: what a plugin's ``workhorse_dashboard_tabs`` hook returns.

Kept apart from :mod:`workhorse.web.tabs` (the helpers a tab's pages call) so the
hook contract can name it without importing the dashboard.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
# Top-level path segments the dashboard itself uses.
RESERVED = frozenset(
    {"busy", "queues", "retries", "scheduled", "dead", "metrics", "api", "static", "morgue"}
)


@dataclass(frozen=True)
class DashboardTab:
    """One tab in the dashboard's navigation.

    ``name`` is the URL segment (lowercase letters, digits, dashes); ``title``
    the label in the navigation; ``routes`` Starlette routes relative to the
    tab (``Route("/", index)`` is the tab's first page); ``order`` sorts tabs
    after the core pages (lower first).
    """

    name: str
    title: str
    routes: Sequence[BaseRoute]
    templates_dir: str | Path | None = None
    static_dir: str | Path | None = None
    order: int = 100

    def problem(self) -> str | None:
        """Why this tab cannot be mounted, or None."""
        if not _NAME.match(self.name):
            return (
                f"tab name {self.name!r} must be 1-40 lowercase letters, digits or dashes, "
                "starting with a letter"
            )
        if self.name in RESERVED:
            return f"tab name {self.name!r} is used by the dashboard itself; pick another"
        for label, folder in (
            ("templates_dir", self.templates_dir),
            ("static_dir", self.static_dir),
        ):
            if folder is not None and not Path(folder).is_dir():
                return f"tab {self.name!r}: {label} {str(folder)!r} is not a directory"
        return None

    def mount(self) -> Mount:
        routes: list[BaseRoute] = []
        if self.static_dir is not None:
            routes.append(Mount("/static", StaticFiles(directory=self.static_dir)))
        routes.extend(self.routes)
        return Mount(f"/{self.name}", routes=routes)
