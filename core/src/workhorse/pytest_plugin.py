"""pytest fixtures for code that uses workhorse (loaded through the ``pytest11`` entry point).

=========================  =======  ===================================================
fixture                    scope    what it gives
=========================  =======  ===================================================
``workhorse_fake``         test     :class:`workhorse.testing.Fake`: pushed jobs kept in memory
``workhorse_inline``       test     :class:`workhorse.testing.Inline`: pushed jobs run at once
``workhorse_redis_server`` session  a private redis-server/valkey-server (unix socket + free port)
``workhorse_redis_url``    test     URL of an empty database of that server, unique to the test
``workhorse_client``       test     a :class:`workhorse.Client` on that database, installed as
                                    the default client (``perform_async`` writes there)
=========================  =======  ===================================================

The private server never touches a Redis you run yourself (nothing on 6379,
persistence off, deleted at the end of the session). Imports are deferred so
that merely having workhorse installed costs a pytest run nothing.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from workhorse.client import Client
    from workhorse.embedded.server import ServerProcess
    from workhorse.testing import Fake, Inline

DATABASES = 1000
_databases = itertools.count(1)


@pytest.fixture
def workhorse_fake() -> Iterator[Fake]:
    """Jobs pushed during the test are collected, not written to Redis."""
    from workhorse.testing import Fake

    with Fake() as jobs:
        yield jobs


@pytest.fixture
def workhorse_inline() -> Iterator[Inline]:
    """Jobs pushed during the test run immediately, through the server middleware."""
    from workhorse.testing import Inline

    with Inline() as mode:
        yield mode


@pytest.fixture(scope="session")
def workhorse_redis_server() -> Iterator[ServerProcess]:
    """One private Redis for the session; ``.url(db)`` (unix socket) or ``.url(db, tcp=True)``."""
    from workhorse.embedded.binary import require_binary
    from workhorse.embedded.server import ServerProcess

    directory = Path(tempfile.mkdtemp(prefix="whp-"))  # short: unix socket paths are limited
    server = ServerProcess.spawn(
        require_binary().path, directory, persistent=False, tcp=True, databases=DATABASES
    )
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def workhorse_redis_url(workhorse_redis_server: ServerProcess) -> str:
    """An empty database of the private server, for this test only."""
    import redis

    db = next(_databases) % DATABASES or 1
    url = workhorse_redis_server.url(db)
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def workhorse_client(workhorse_redis_url: str) -> Iterator[Client]:
    """The default client, pointed at this test's database, restored afterwards."""
    from workhorse.client import Client, set_default_client
    from workhorse.config import Settings

    client = Client(settings=Settings.from_env(redis_url=workhorse_redis_url))
    previous = set_default_client(client)
    try:
        yield client
    finally:
        set_default_client(previous)
        client.redis.close()
