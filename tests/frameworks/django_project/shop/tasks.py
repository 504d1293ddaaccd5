"""Django tasks of the test project (django.tasks on Django 6; the backport on 5.2)."""

from typing import Any

from shop.compat import task
from shop.models import Order


@task(queue_name="emails")
def add(a: int, b: int) -> int:
    return a + b


@task()
def record(item: str) -> dict[str, Any]:
    order = Order.objects.create(item=item)
    return {"id": order.pk}


@task()
def explode() -> None:
    raise ValueError("boom")


@task(takes_context=True)
def attempt(context: Any) -> int:
    return int(context.attempt)


@task(takes_context=True)
def own_id(context: Any) -> str:
    return str(context.task_result.id)


@task()
def unserialisable() -> object:
    return {1, 2}  # JSON cannot hold a set


@task()
async def shout(word: str) -> str:
    return word.upper()
