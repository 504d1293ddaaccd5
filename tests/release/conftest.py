"""Release tests: the release code in tools/ and a copy of the tree to release from."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.release_tree import copy_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_tree(tmp_path / "tree")
