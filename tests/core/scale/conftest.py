"""One real 3-master Redis Cluster for every cluster test of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import cluster_servers


@pytest.fixture(scope="session")
def cluster() -> Iterator[cluster_servers.Cluster]:
    c = cluster_servers.start_cluster()
    yield c
    c.stop()
