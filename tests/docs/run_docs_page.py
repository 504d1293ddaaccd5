"""Run one documentation page's examples in this process (a child of the test).

argv: the page. The test sets WORKHORSE_REDIS_URL, a test license in
WORKHORSE_LICENSE and the test public key in WH_TEST_TRUSTED_KEY; the child
trusts that key in code, as tests/support/licensed_workhorse.py does. Each
block is compiled under its page and line, so a traceback points into the
documentation.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())  # the page's setup may write a `myapp` package here

from docs_examples import snippets
from workhorse_testkeys import install_trusted_keys

key_id, _, public = os.environ["WH_TEST_TRUSTED_KEY"].partition(":")
install_trusted_keys((key_id, public))


def run(code: str, filename: str, first_line: int, namespace: dict[str, Any]) -> None:
    tree = ast.parse(textwrap.dedent(code), filename, "exec", type_comments=False)
    ast.increment_lineno(tree, first_line - 1)
    compiled = compile(tree, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)
    if inspect.iscoroutine(result):
        asyncio.run(result)


def main(page: Path) -> None:
    # A real module, so what a page defines can find its module (a dataclass does).
    module = types.ModuleType("__docs__")
    module.__file__ = str(page)
    sys.modules[module.__name__] = module
    namespace: dict[str, Any] = module.__dict__
    for snippet in snippets(page):
        if snippet.skip is None:
            defined = set(namespace)
            run(snippet.code, str(page), snippet.line, namespace)
            call_new_tests(namespace, defined)
    print(f"ran {page.name}")


def call_new_tests(namespace: dict[str, Any], before: set[str]) -> None:
    """Call the test functions a block defined, if they need no pytest fixtures."""
    for name in [n for n in namespace if n not in before and n.startswith("test_")]:
        value = namespace[name]
        if inspect.isfunction(value) and not inspect.signature(value).parameters:
            value()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
