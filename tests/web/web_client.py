"""A TestClient that behaves like a browser towards the dashboard's CSRF protection."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

_TOKEN = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


class DashboardClient(TestClient):
    """A browser stand-in: keeps cookies, finds the CSRF token on a page, posts forms."""

    def token(self, page: str = "/") -> str:
        found = _TOKEN.search(self.get(page).text)
        assert found, f"no CSRF token on {page}"
        return found.group(1)

    def submit(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        page: str = "/",
        headers: dict[str, str] | None = None,
    ) -> Any:
        form = {"csrf_token": self.token(page), **(data or {})}
        return self.post(path, data=form, headers=headers, follow_redirects=False)
