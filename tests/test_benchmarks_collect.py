"""Every benchmark file still imports and is collected by the documented command.

Benchmarks are never run by the normal suite (they time things), so a helper moved or
renamed under them would otherwise go unnoticed until someone follows the README.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_benchmark_file_is_collected_by_the_bench_command() -> None:
    files = sorted(  # bench_jobs.py holds jobs; bench_lifecycle.py is run as a script
        p.name
        for p in (ROOT / "tests" / "benchmarks").glob("bench_*.py")
        if "\ndef test_" in p.read_text()
    )
    assert len(files) >= 10
    command = ["-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    result = subprocess.run(
        [sys.executable, *command, "-o", "python_files=bench_*.py", "tests/benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    collected = {line.split("::")[0].rsplit("/", 1)[-1] for line in result.stdout.splitlines()}
    missing = [name for name in files if name not in collected]
    assert not missing, f"benchmark files with no test collected: {missing}"
