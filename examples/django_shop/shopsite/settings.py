"""The example shop: SQLite by default (set DATABASE_NAME etc. for PostgreSQL)."""

import os
from pathlib import Path

from workhorse.demo.runner import resolve_redis

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("SECRET_KEY", "example only: set SECRET_KEY")
DEBUG = True
USE_TZ = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "shopsite.urls"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "workhorse.contrib.django",
    "django_tasks",
    "orders",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_SQLITE", BASE_DIR / "db.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/admin/login/"
STATIC_URL = "static/"

# Given/env URL, else workhorse's embedded Redis.
WORKHORSE = {
    "REDIS_URL": resolve_redis(os.environ.get("WORKHORSE_REDIS_URL"))[0],
    "PREFIX": "{example-django}",
}
TASKS = {"default": {"BACKEND": "workhorse.contrib.django.tasks.WorkhorseBackend"}}
