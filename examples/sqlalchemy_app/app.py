"""SQLAlchemy + workhorse: ``hatch run python examples/sqlalchemy_app/app.py``.

A rolled-back session enqueues nothing; a committed one enqueues after COMMIT.
SQLite by default; set DATABASE_URL (e.g. postgresql+psycopg://...) to use another.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

import workhorse
from workhorse.client import configure
from workhorse.config import Settings
from workhorse.contrib.sqlalchemy import after_commit
from workhorse.demo.runner import resolve_redis
from workhorse.worker.launcher import WorkerProcess

REDIS_URL, WHERE = resolve_redis(os.environ.get("WORKHORSE_REDIS_URL"))
PREFIX = "{example-sqlalchemy}"
# A file, not sqlite:// (in memory): the worker's threads must see the same database.
DEFAULT_DB = f"sqlite:///{tempfile.mkdtemp(prefix='wh-example-')}/shop.db"
engine = create_engine(os.environ.get("DATABASE_URL", DEFAULT_DB))


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "example_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(50))
    shipped: Mapped[bool] = mapped_column(default=False)


@workhorse.job(name="examples.sqlalchemy.ship")
def ship(order_id: int) -> None:
    with Session(engine) as session, session.begin():
        order = session.get(Order, order_id)
        if order is None:
            raise LookupError(f"order {order_id} does not exist")  # never: see on_commit
        order.shipped = True
    print(f"shipped order {order_id}")


def place(item: str, *, fail: bool) -> int | None:
    try:
        with Session(engine) as session, session.begin():
            order = Order(item=item)
            session.add(order)
            session.flush()
            jid = ship.on_commit(after_commit(session)).perform_async(order.id)
            print(f"order {order.id} ({item}): job {jid} waits for COMMIT")
            if fail:
                raise RuntimeError("payment declined")
            return order.id
    except RuntimeError as exc:
        print(f"{item}: rolled back ({exc}); its job was never enqueued")
        return None


def main() -> None:
    print(f"Redis: {WHERE}")
    client = configure(redis_url=REDIS_URL, prefix=PREFIX)
    Base.metadata.create_all(engine)
    worker = WorkerProcess(Settings.from_env(None, redis_url=REDIS_URL, prefix=PREFIX))
    worker.start()  # in-process for the example; production runs `workhorse worker`
    try:
        place("broken vase", fail=True)
        kept = place("lamp", fail=False)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with Session(engine) as session:
                if session.scalars(select(Order).where(Order.shipped)).all():
                    break
            time.sleep(0.02)
        with Session(engine) as session:
            shipped = [o.id for o in session.scalars(select(Order).where(Order.shipped))]
        assert client.redis.llen(f"{PREFIX}:queue:default") == 0
        if shipped != [kept]:
            raise SystemExit(f"check failed: shipped {shipped}, expected [{kept}]")
        print("check passed: only the committed order was shipped")
    finally:
        worker.stop()
        worker.shutdown()


if __name__ == "__main__":
    sys.exit(main())
