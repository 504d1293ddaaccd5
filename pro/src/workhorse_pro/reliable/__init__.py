"""workhorse-pro reliable fetch: no job lost when a worker process dies (issue 7).

Switched on automatically in workers with a Pro license (entry point
``pro-reliable-fetch``). The public API below pauses queues and reads status.
"""

from workhorse_pro.reliable.config import ReliableConfig
from workhorse_pro.reliable.fetch import ReliableFetch
from workhorse_pro.reliable.pausing import pause, paused_queues, unpause
from workhorse_pro.reliable.poison import PoisonPill
from workhorse_pro.reliable.status import ReliableStatus, read_status

__all__ = [
    "PoisonPill",
    "ReliableConfig",
    "ReliableFetch",
    "ReliableStatus",
    "pause",
    "paused_queues",
    "read_status",
    "unpause",
]
