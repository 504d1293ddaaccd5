"""Exit codes and the exceptions that carry them (documented in docs/cli.md): 0 success,
1 a failure or a problem found (Redis unreachable, doctor found something), 2 bad
usage or input, 3 the job or process named does not exist.

A module of its own, free of ``rich``: the root group needs these to turn errors
into exits, and ``workhorse worker`` (every child process of ``-p N``) should not
load the table printing it never uses.
"""

from __future__ import annotations

import click

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3


class NotFound(click.ClickException):
    exit_code = EXIT_NOT_FOUND


class BadInput(click.ClickException):
    """Malformed input found after click parsed it (e.g. a ``-q`` weight): exit 2, no usage."""

    exit_code = EXIT_USAGE
