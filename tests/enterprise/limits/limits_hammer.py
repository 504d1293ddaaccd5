"""A test subprocess that uses limiters from many threads and logs every admission.

Test harness only: like tests/support/licensed_workhorse.py it trusts the test
signing key named in WH_TEST_TRUSTED_KEY; the license comes from WORKHORSE_LICENSE.

    limits_hammer.py URL hammer SPECS THREADS SECONDS   # SPECS: kind:name:limit:interval,...
    limits_hammer.py URL hold NAME LOCK_TIMEOUT         # take a slot and never give it back
"""

from __future__ import annotations

import os
import sys
import time

from workhorse_testkeys import install_trusted_keys

key_id, _, public = os.environ["WH_TEST_TRUSTED_KEY"].partition(":")
install_trusted_keys((key_id, public))

from limits_hammer_local import start  # noqa: E402

from workhorse.client import Client, set_default_client  # noqa: E402
from workhorse.config import Settings  # noqa: E402
from workhorse_enterprise import limits  # noqa: E402


def hammer(url: str, specs: str, threads: int, seconds: float) -> None:
    client = Client(settings=Settings(redis_url=url))
    set_default_client(client)
    client.redis.incr("ready")
    client.redis.blpop(["go"], timeout=30)
    for thread in start(specs, threads, seconds, seed=os.getpid()):
        thread.join()


def hold(url: str, name: str, lock_timeout: float) -> None:
    client = Client(settings=Settings(redis_url=url))
    set_default_client(client)
    limits.concurrent(name, 1, lock_timeout=lock_timeout).acquire()
    client.redis.rpush("held", str(os.getpid()))
    time.sleep(600)  # until SIGKILLed


if __name__ == "__main__":
    if sys.argv[2] == "hammer":
        hammer(sys.argv[1], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    else:
        hold(sys.argv[1], sys.argv[3], float(sys.argv[4]))
