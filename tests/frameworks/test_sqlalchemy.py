"""After-commit enqueue for a SQLAlchemy Session, on a real PostgreSQL database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import workhorse
from workhorse.client import Client
from workhorse.contrib.sqlalchemy import after_commit


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(50))


@workhorse.job(name="sa.ship")
def ship(order_id: int) -> None:
    pass


class Rollback(Exception):
    pass


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    eng = create_engine(pg_url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


def queued(r: redis.Redis) -> list[str]:
    return [json.loads(raw)["jid"] for raw in reversed(r.lrange("queue:default", 0, -1))]


def test_a_rolled_back_session_enqueues_nothing(
    engine: Engine, wh_client: Client, r: redis.Redis
) -> None:
    with pytest.raises(Rollback), Session(engine) as session, session.begin():
        session.add(order := Order(item="book"))
        session.flush()
        assert ship.on_commit(after_commit(session)).perform_async(order.id)
        raise Rollback
    assert queued(r) == []
    with Session(engine) as session:
        assert session.scalars(select(Order)).all() == []


def test_a_commit_enqueues_every_job_after_the_rows_are_visible(
    engine: Engine, wh_client: Client, r: redis.Redis
) -> None:
    with Session(engine) as session:
        orders = [Order(item=f"book {i}") for i in range(3)]
        session.add_all(orders)
        session.flush()
        hook = after_commit(session)
        jids = [ship.on_commit(hook).perform_async(o.id) for o in orders]
        assert queued(r) == []
        session.commit()
    assert queued(r) == jids


def test_a_rolled_back_savepoint_drops_only_its_own_jobs(
    engine: Engine, wh_client: Client, r: redis.Redis
) -> None:
    with Session(engine) as session, session.begin():
        hook = after_commit(session)
        kept = ship.on_commit(hook).perform_async(1)
        savepoint = session.begin_nested()
        ship.on_commit(hook).perform_async(2)
        savepoint.rollback()
        also_kept = ship.on_commit(hook).perform_async(3)
    assert queued(r) == [kept, also_kept]


def test_a_session_rolled_back_then_reused_forgets_the_earlier_jobs(
    engine: Engine, wh_client: Client, r: redis.Redis
) -> None:
    with Session(engine) as session:
        hook = after_commit(session)
        session.add(Order(item="x"))
        session.flush()
        ship.on_commit(hook).perform_async(1)
        session.rollback()
        session.add(Order(item="y"))
        session.flush()
        second = ship.on_commit(hook).perform_async(2)
        session.commit()
    assert queued(r) == [second]


def test_without_an_open_transaction_the_job_is_enqueued_at_once(
    engine: Engine, wh_client: Client, r: redis.Redis
) -> None:
    with Session(engine) as session:
        jid = ship.on_commit(after_commit(session)).perform_async(1)
    assert queued(r) == [jid]


def test_on_commit_without_a_hook_or_integration_says_what_to_do(wh_client: Client) -> None:
    from workhorse.errors import ConfigError
    from workhorse.job import set_commit_hook

    previous = set_commit_hook(None)
    try:
        with pytest.raises(ConfigError, match=r"INSTALLED_APPS.*after_commit"):
            ship.on_commit()
    finally:
        set_commit_hook(previous)
