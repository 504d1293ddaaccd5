"""URLs inside the dashboard, wherever it is mounted.

Every link is built from the dashboard's root path (the base path, or where a
host app mounted it) plus percent-encoded segments, so a queue named
``a/b?c`` or ``<script>`` can never change where a link points.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from workhorse.version import __version__

# Static files are served with revalidation; the version busts caches on upgrade.
_ASSET_VERSION = quote(__version__, safe="")


class Links:
    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")

    def __call__(self, *segments: object, **query: object) -> str:
        """``url("queues", name, page=2)`` -> ``/root/queues/<name>?page=2``."""
        path = "/".join(quote(str(s), safe="") for s in segments)
        params = {k: v for k, v in query.items() if v not in (None, "")}
        tail = "?" + urlencode(params, doseq=True) if params else ""
        return f"{self.root}/{path}{tail}"

    def static(self, filename: str) -> str:
        return f"{self.root}/static/{quote(filename)}?v={_ASSET_VERSION}"

    def tab_static(self, tab: str, filename: str) -> str:
        """A file from a plugin tab's ``static_dir``."""
        return f"{self.root}/{quote(tab, safe='')}/static/{quote(filename)}?v={_ASSET_VERSION}"
