"""Leader election (Enterprise): one worker process in the cluster holds a lease in Redis.

::

    from workhorse_enterprise.leader import is_leader, current_leader, on_leader

    @on_leader
    def leadership_changed(elected: bool) -> None: ...

The lease lives in ``dear-leader`` (Sidekiq Enterprise's key) and holds the
leader's identity. Cron (``workhorse_enterprise.periodic``) enqueues only on
the leader. Timings: ``leader_lease`` / ``leader_renew`` / ``leader_retry``
in ``Settings.extras`` or ``WORKHORSE_LEADER_LEASE`` etc.
"""

from workhorse_enterprise.leader.config import LeaderConfig
from workhorse_enterprise.leader.elector import LeaderElector, electors, is_leader
from workhorse_enterprise.leader.events import on_leader, remove_listener
from workhorse_enterprise.leader.lease import LEADER_KEY, Lease, current_leader, leader_key
from workhorse_enterprise.leader.services import LeaderOnly, run_while_leader

__all__ = [
    "LEADER_KEY",
    "LeaderConfig",
    "LeaderElector",
    "LeaderOnly",
    "Lease",
    "current_leader",
    "electors",
    "is_leader",
    "leader_key",
    "on_leader",
    "remove_listener",
    "run_while_leader",
]
