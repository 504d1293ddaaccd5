"""A stand-in application for bench_swarm: what a real app imports and builds at start-up
(libraries, a registry of jobs, a few tens of MB of Python objects)."""

from __future__ import annotations

import decimal  # noqa: F401 - weight, as an application's imports have
import email.mime.multipart  # noqa: F401
import http.client  # noqa: F401
import json
import xml.dom.minidom  # noqa: F401

import workhorse

# ~60 MB of small objects: the reference data and caches an app loads at start-up.
CATALOGUE = {
    f"sku-{n}": {"id": n, "name": f"item {n}", "tags": [n % 7, n % 11]} for n in range(200_000)
}
BLOB = json.dumps(list(CATALOGUE.values())[:20_000])


@workhorse.job(name="swarm_app.noop")
def noop() -> None:
    return None
