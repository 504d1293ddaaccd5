"""Settings of the Django project the integration tests run: PostgreSQL, a private Redis.

tests/frameworks/test_django.py passes the database name and the Redis URL in the
environment; Django's test runner creates and drops ``test_<name>``.
"""

import importlib.util
import os

# Django 6 ships django.tasks; on Django 5.2 the django-tasks backport is an app.
NATIVE_TASKS = importlib.util.find_spec("django.tasks") is not None

SECRET_KEY = "workhorse-tests-only"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "djangoproj.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "workhorse.contrib.django",
    *([] if NATIVE_TASKS else ["django_tasks"]),
    "shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("WH_TEST_PGHOST", "127.0.0.1"),
        "PORT": os.environ.get("WH_TEST_PGPORT", "5432"),
        "USER": os.environ.get("WH_TEST_PGUSER", "postgres"),
        "NAME": os.environ["WH_TEST_DB"],
        "TEST": {"NAME": os.environ["WH_TEST_DB"]},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/login/"
WORKHORSE = {"REDIS_URL": os.environ["WH_TEST_REDIS_URL"], "PREFIX": "{dj}"}
TASKS = {
    "default": {
        "BACKEND": "workhorse.contrib.django.tasks.WorkhorseBackend",
        "QUEUES": ["default", "emails"],
        "OPTIONS": {"PRIORITY_QUEUES": {"high": 1, "low": -1}},
    },
    # No PRIORITY_QUEUES: priority cannot be honoured, so Django refuses it.
    "fifo": {
        "BACKEND": "workhorse.contrib.django.tasks.WorkhorseBackend",
        "QUEUES": ["default"],
    },
}
