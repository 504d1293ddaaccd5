import workhorse
from orders.models import Order


@workhorse.job(name="examples.django.ship")
def ship(order_id: int) -> None:
    Order.objects.filter(pk=order_id).update(shipped=True)
