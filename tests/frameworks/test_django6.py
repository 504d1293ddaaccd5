"""The same Django test project on Django 6 and its own ``django.tasks`` (Python 3.12).

The dev environment runs Python 3.11, where only Django 5.2 and the django-tasks
backport install. This test builds a Python 3.12 virtualenv once (kept in pytest's
cache, rebuilt when core's dependencies change), installs Django>=6, psycopg and
this repository's core into it, and runs Django's test runner there: the backend
conformance checks of shop/test_tasks_backend.py (ported from Django 6's
tests/tasks/), transactional enqueue and the dashboard, on PostgreSQL.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_django import PROJECT, django_env

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ["Django>=6", "psycopg[binary]>=3.1", f"-e{ROOT / 'core'}[web]"]


def python312() -> str:
    """A working python3.12: on PATH, or pyenv's (whose shim may not be switched on)."""
    candidates = [
        shutil.which("python3.12"),
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12"))),
    ]
    for path in filter(None, candidates):
        if (
            subprocess.run([path, "-c", "import venv"], capture_output=True, check=False).returncode
            == 0
        ):
            return path
    pytest.fail(
        "Django 6 needs Python 3.12, and no working python3.12 is on this machine "
        "(PATH or ~/.pyenv/versions/3.12*): install it, e.g. `pyenv install 3.12`"
    )


@pytest.fixture(scope="session")
def django6_python(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The python of a cached Python 3.12 venv with Django 6 installed (cached in pytest's
    cache; built in this session's tmp dir when the cache plugin is off)."""
    stamp = hashlib.sha256(
        "\n".join([*REQUIREMENTS, (ROOT / "core" / "pyproject.toml").read_text()]).encode()
    ).hexdigest()
    cache = getattr(request.config, "cache", None)
    venv = Path(cache.mkdir("django6-venv")) if cache else tmp_path_factory.mktemp("django6")
    python = venv / "bin" / "python"
    if (venv / "stamp").is_file() and (venv / "stamp").read_text() == stamp:
        return str(python)
    shutil.rmtree(venv)
    subprocess.run([python312(), "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *REQUIREMENTS],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"installing Django 6 failed:\n{done.stdout}\n{done.stderr}"
    (venv / "stamp").write_text(stamp)
    return str(python)


def test_the_django_project_passes_on_django_6s_own_tasks_framework(
    django6_python: str, redis_url: str, pg_name: str
) -> None:
    version = subprocess.run(
        [django6_python, "-c", "import django, django.tasks; print(django.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert int(version.split(".")[0]) >= 6, version
    done = subprocess.run(
        [django6_python, "manage.py", "test", "shop", "--noinput", "-v", "2"],
        cwd=PROJECT,
        env=django_env(redis_url, pg_name),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, f"Django {version}'s test runner failed:\n{done.stderr}"
    ran = re.search(r"^Ran (\d+) tests?", done.stderr, re.M)
    assert ran and int(ran.group(1)) >= 34, f"too few tests ran:\n{done.stderr}"
    assert re.search(r"test_django_6_uses_its_own_tasks_framework .* ok$", done.stderr, re.M), (
        done.stderr
    )
