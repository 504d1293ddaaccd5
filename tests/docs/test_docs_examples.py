"""Every Python example in docs/ runs, so none can rot (issue 25).

Conventions are in tests/docs/docs_examples.py. Each page runs in its own
process against its own database of the suite's private Redis.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from docs_examples import DOCS, Snippet, pages, snippets
from support.licenses import subprocess_env

RUNNER = Path(__file__).with_name("run_docs_page.py")


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_the_examples_of_each_page_run(page: Path, redis_url: str, tmp_path: Path) -> None:
    env = subprocess_env(
        tiers=("enterprise",),
        WORKHORSE_REDIS_URL=redis_url,
        HOME=str(tmp_path),
        PYTHONPATH=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, str(RUNNER), str(page)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{page.name}:\n{result.stdout}\n{result.stderr}"


def test_skipping_is_rare_and_always_says_why() -> None:
    examples = [s for p in DOCS.rglob("*.md") for s in snippets(p) if s.kind == "example"]
    skipped = [s for s in examples if s.skip is not None]
    assert all(len(s.skip or "") >= 20 for s in skipped), [_where(s) for s in skipped]
    assert len(skipped) * 4 <= len(examples), [_where(s) for s in skipped]


def _where(snippet: Snippet) -> str:
    return f"{snippet.page.name}:{snippet.line} ({snippet.skip})"


def test_the_extractor_sees_fences_setups_and_skip_markers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n<!-- test-setup\nrows = [1]\n-->\n\n```python\nprint(rows)\n```\n\n"
        "<!-- skip-test: needs a second Redis host -->\n```python\nboom()\n```\n"
        "```sh\nnot python\n```\n"
    )
    found = [(s.kind, s.line, s.code, s.skip) for s in snippets(page)]
    assert found == [
        ("setup", 3, "rows = [1]\n", None),
        ("example", 7, "print(rows)\n", None),
        ("example", 12, "boom()\n", "needs a second Redis host"),
    ]
