"""Which data directory the embedded Redis uses: one per project, so two projects on one
machine never share queues without knowing it (issue 17).

``WORKHORSE_DATA_DIR`` wins. Else the directory is
``<user data dir>/projects/<project>``, where ``<project>`` is
``WORKHORSE_EMBEDDED_NAME`` if set, else the name and a short hash of the project
root: the nearest folder, from the working directory up, holding ``pyproject.toml``,
``setup.py``, ``setup.cfg`` or ``.git`` (the working directory itself if none does).
So a worker started at the root and a script run from a subfolder share one server.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

from workhorse.errors import InputError

NAME_ENV = "WORKHORSE_EMBEDDED_NAME"
PROJECTS = "projects"
MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# Short enough that <user data dir>/projects/<name>/redis.sock fits a unix socket path.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def base_dir() -> Path:
    """The user data directory of workhorse (``~/.local/share/workhorse`` on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("workhorse", appauthor=False))


def project_root(start: Path) -> Path:
    """The nearest folder from ``start`` up that looks like a project root, else ``start``."""
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in MARKERS):
            return folder
    return start


def project_name(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> str:
    """``WORKHORSE_EMBEDDED_NAME``, else ``<root folder name>-<8 hex of its path>``."""
    env = os.environ if env is None else env
    explicit = env.get(NAME_ENV, "")
    if explicit:
        if not _NAME.fullmatch(explicit):
            raise InputError(
                f"{NAME_ENV}={explicit!r} is not a usable name: use 1 to 40 letters, digits, "
                "'.', '_' or '-', starting with a letter or digit, e.g. billing-app"
            )
        return explicit
    root = project_root((Path.cwd() if cwd is None else cwd).resolve())
    slug = _UNSAFE.sub("-", root.name)[:20].strip(".-") or "root"
    # fsencode: a folder name that is not UTF-8 is still a folder name.
    return f"{slug}-{hashlib.sha256(os.fsencode(root)).hexdigest()[:8]}"


def default_data_dir(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    return base_dir() / PROJECTS / project_name(env, cwd)


def legacy_data(path: Path) -> Path | None:
    """The shared directory workhorse 1.0 used for every project, if it still holds jobs
    and ``path`` is not it (its users should know where their queued jobs went)."""
    shared = base_dir()
    if path == shared:
        return None
    has_data = (shared / "appendonlydir").is_dir() or (shared / "appendonly.aof").is_file()
    return shared if has_data else None
