from django_tasks import task  # Django 6: from django.tasks import task

from orders.models import Order


@task()
def count_orders() -> int:
    return Order.objects.count()
