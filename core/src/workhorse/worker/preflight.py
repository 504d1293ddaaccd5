"""Checks before a worker runs: the modules given to ``-r`` import, the queues given to ``-q``
are ones Redis has seen. Each failure is one line that says what to do (issue 17)."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import logging
import os
import sys
import traceback
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from workhorse.errors import ConfigError

if TYPE_CHECKING:
    import redis

    from workhorse.config import QueueWeight
    from workhorse.keys import Keys

log = logging.getLogger("workhorse.worker")


class RequireError(ConfigError):
    """A module given to ``-r`` cannot be imported: a configuration error (exit code 2)."""


def require(modules: Sequence[str]) -> None:
    """Import the user's job modules (``-r myapp.jobs`` or ``-r path/to/jobs.py``).

    Raises :class:`RequireError` with one line naming the module, the error and
    where Python looked; the traceback goes to the DEBUG log (``-v``)."""
    for spec in modules:
        name = _module_name(spec)
        try:
            importlib.import_module(name)
        except Exception as exc:  # whatever it raised, it did not import
            log.debug("importing %s failed", name, exc_info=True)
            raise RequireError(_explain(spec, name, exc)) from exc


def locate(modules: Sequence[str]) -> None:
    """Check that each ``-r`` module can be found, without running it (packages that
    contain it are imported). The supervisor calls this before starting children."""
    for spec in modules:
        name = _module_name(spec)
        try:
            found = importlib.util.find_spec(name)
        except Exception as exc:  # a package on the way failed to import
            raise RequireError(_explain(spec, name, exc)) from exc
        if found is None:
            raise RequireError(_not_found(spec, name))


def _module_name(spec: str) -> str:
    """The importable name for ``spec``; puts its directory on ``sys.path``."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    if not (spec.endswith(".py") or os.sep in spec):
        return spec
    path = Path(spec).resolve()
    if not path.is_file():
        raise RequireError(
            f"cannot import -r {spec}: there is no file {path} (the current directory is {cwd}); "
            "pass the path of a .py file, or a module name such as myapp.jobs"
        )
    sys.path.insert(0, str(path.parent))
    return path.stem


def _explain(spec: str, name: str, exc: BaseException) -> str:
    missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    if missing and (name == missing or name.startswith(missing + ".")):
        return _not_found(spec, name, missing)
    where = _origin(exc)
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    return (
        f"cannot import -r {spec}: importing it raised {detail}{where}; fix the module "
        f'(python -c "import {name}" shows the whole traceback, or add -v)'
    )


def _not_found(spec: str, name: str, missing: str | None = None) -> str:
    # The user's own directories are the interesting part; Python's and the venv's
    # (stdlib, site-packages) are only counted.
    installed = (sys.prefix, sys.base_prefix, sys.exec_prefix)
    paths = [p for p in sys.path if p]
    own = [p for p in paths if not p.startswith(installed)]
    looked = ", ".join(own[:5]) + (f" and {len(own) - 5} more" if len(own) > 5 else "")
    looked += f"{', then ' if own else ''}{len(paths) - len(own)} of Python's own"
    return (
        f"cannot import -r {spec}: no module named {missing or name!r}; Python looked in "
        f"the current directory {os.getcwd()} and on sys.path ({looked}). Start the worker in "
        "your project's directory, add that directory to PYTHONPATH, or pass a file path "
        "(-r path/to/jobs.py)"
    )


def _origin(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" at {exc.filename}:{exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    own = [f for f in frames if "importlib" not in f.filename]
    return f" at {own[-1].filename}:{own[-1].lineno}" if own else ""


def queue_warnings(wanted: Sequence[str], known: Collection[str]) -> list[str]:
    """One warning per queue in ``wanted`` that is not in ``known`` (Redis's ``queues``
    set): nobody ever pushed a job to it, so its name may be a typo."""
    warnings = []
    for name in wanted:
        if name in known:
            continue
        text = f"queue {name!r} given to -q is unknown to Redis: no job was ever pushed to it"
        near = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
        if near:
            text += f"; did you mean {near[0]!r}?"
        elif known:
            text += f" (known queues: {', '.join(sorted(known)[:6])})."
        else:
            text += " (no queue is known there yet: check --redis-url and --prefix)."
        warnings.append(text + " This process works it anyway.")
    return warnings


def warn_unknown_queues(client: redis.Redis, keys: Keys, queues: Sequence[QueueWeight]) -> None:
    """Log :func:`queue_warnings` for this process's queues (one SMEMBERS at start-up)."""
    known = {k.decode() if isinstance(k, bytes) else str(k) for k in client.smembers(keys.queues)}
    for warning in queue_warnings([q.name for q in queues], known):
        log.warning(warning)
