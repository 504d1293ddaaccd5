"""Jobs and Django tasks of the test project."""

import workhorse
from shop.models import Order


@workhorse.job(name="shop.ship")
def ship(order_id: int) -> None:
    Order.objects.filter(pk=order_id).update(item="shipped")
