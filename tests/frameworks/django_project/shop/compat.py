"""The Django Tasks API: Django 6's own ``django.tasks``, or the backport on Django 5.2."""

try:
    from django.tasks import task, task_backends
    from django.tasks.base import TaskResultStatus
    from django.tasks.exceptions import InvalidTask, TaskResultDoesNotExist, TaskResultMismatch
    from django.tasks.signals import task_enqueued, task_finished, task_started

    NATIVE = True
except ImportError:
    from django_tasks import task, task_backends
    from django_tasks.base import TaskResultStatus
    from django_tasks.exceptions import InvalidTaskError as InvalidTask
    from django_tasks.exceptions import TaskResultDoesNotExist, TaskResultMismatch
    from django_tasks.signals import task_enqueued, task_finished, task_started

    NATIVE = False

# The framework logs enqueue, start and finish here (its signal receivers).
LOGGER = "django.tasks" if NATIVE else "django_tasks"

__all__ = [
    "LOGGER",
    "NATIVE",
    "InvalidTask",
    "TaskResultDoesNotExist",
    "TaskResultMismatch",
    "TaskResultStatus",
    "task",
    "task_backends",
    "task_enqueued",
    "task_finished",
    "task_started",
]
