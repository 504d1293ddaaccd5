"""Helpers shared by the embedded-server tests (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

CHILD = str(Path(__file__).with_name("embedded_child.py"))


@dataclass
class Child:
    process: subprocess.Popen[str]
    url: str
    pid: int

    def finish(self) -> None:
        """Let a ``wait`` child exit normally (it unregisters at exit)."""
        if self.process.poll() is None and self.process.stdin:
            self.process.stdin.write("\n")
            self.process.stdin.flush()
        self.process.wait(10)
