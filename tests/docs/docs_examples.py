"""Find the Python examples in the documentation, and the markers around them.

Conventions (docs/README is this docstring; tests/docs/test_docs_examples.py
runs them):

- Every fenced ```python block in ``docs/**/*.md`` is executed, in page
  order, all blocks of a page in one namespace, as a reader follows along.
  Top-level ``await`` is allowed. Functions named ``test_*`` that take no
  arguments are called right after the block that defines them.
- ``<!-- test-setup ... -->`` holds hidden Python run at that point: the
  stand-ins an example assumes (``rows``, ``charge(card)``, a ``myapp``
  package). Readers do not see it.
- ``<!-- skip-test: REASON -->`` on the line before a fence skips that one
  block. Use it only when the block genuinely needs something the suite does
  not have (another web framework, several Redis hosts, a running worker).

Examples reach Redis through ``WORKHORSE_REDIS_URL``, which the test points at
the suite's private server, and hold an Enterprise test license.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_SETUP = re.compile(r"^<!-- test-setup[ \t]*\n(.*?)^-->[ \t]*$", re.MULTILINE | re.DOTALL)
_SKIP = re.compile(r"<!-- skip-test: (?P<reason>[^\n]+?) -->\n$")


@dataclass(frozen=True)
class Snippet:
    page: Path
    line: int  # 1-based line of the code's first line in the page
    code: str
    kind: str  # "example" or "setup"
    skip: str | None = None


def snippets(page: Path) -> list[Snippet]:
    """The page's examples and hidden setups, in page order."""
    text = page.read_text()
    found = [_snippet(page, text, m, "example") for m in _FENCE.finditer(text)]
    found += [_snippet(page, text, m, "setup") for m in _SETUP.finditer(text)]
    return sorted(found, key=lambda s: s.line)


def _snippet(page: Path, text: str, match: re.Match[str], kind: str) -> Snippet:
    line = text.count("\n", 0, match.start(1)) + 1
    skip = _SKIP.search(text[: match.start()]) if kind == "example" else None
    return Snippet(page, line, match[1], kind, skip["reason"] if skip else None)


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if any(s.kind == "example" for s in snippets(p)))
