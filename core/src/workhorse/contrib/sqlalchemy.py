"""Enqueue after a SQLAlchemy ``Session`` commits: ``job.on_commit(after_commit(session))``.

Jobs wait in ``session.info`` tagged with the transaction (or savepoint) that was
open when they were enqueued. The outermost commit writes them; a rollback drops
those of the rolled-back transaction and of every savepoint inside it. With no
transaction open, the job is written at once.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from workhorse.client import Deferrer

_PENDING = "workhorse.pending"
_LISTENING = "workhorse.listening"
Pending = list[tuple[SessionTransaction, Callable[[], None]]]


def after_commit(session: Session) -> Deferrer:
    """A hook for ``job.on_commit(...)`` that waits for ``session``'s commit."""
    _listen(session)

    def defer(write: Callable[[], None]) -> None:
        current = session.get_nested_transaction() or session.get_transaction()
        if current is None or not current.is_active:
            write()
            return
        session.info.setdefault(_PENDING, []).append((current, write))

    return defer


def _listen(session: Session) -> None:
    if session.info.get(_LISTENING):
        return
    event.listen(session, "after_commit", _flush_pending)
    event.listen(session, "after_soft_rollback", _drop_rolled_back)
    session.info[_LISTENING] = True


def _flush_pending(session: Session) -> None:
    pending: Pending = session.info.pop(_PENDING, [])
    for _, write in pending:
        write()


def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    pending: Pending = session.info.get(_PENDING, [])
    if pending:
        session.info[_PENDING] = [(t, w) for t, w in pending if not _within(t, previous)]


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
