"""The embedded Redis is per project: two projects on one machine never share queues
silently, and the start line says which data directory holds the jobs. Issue 17."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workhorse import embedded
from workhorse.embedded import project
from workhorse.embedded.server import MAX_SOCKET_PATH
from workhorse.errors import InputError


def make_project(parent: Path, name: str) -> Path:
    folder = parent / name
    (folder / "src" / "app").mkdir(parents=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return folder


def test_two_projects_get_two_data_directories(tmp_path: Path) -> None:
    first = project.default_data_dir({}, make_project(tmp_path, "billing"))
    second = project.default_data_dir({}, make_project(tmp_path, "shop"))
    assert first != second
    assert first.parent == second.parent == project.base_dir() / "projects"
    assert first.name.startswith("billing-") and second.name.startswith("shop-")


def test_same_folder_name_in_two_places_is_still_two_projects(tmp_path: Path) -> None:
    first = project.default_data_dir({}, make_project(tmp_path / "a", "app"))
    second = project.default_data_dir({}, make_project(tmp_path / "b", "app"))
    assert first != second


def test_a_subfolder_of_a_project_uses_the_project_directory(tmp_path: Path) -> None:
    root = make_project(tmp_path, "billing")
    assert project.default_data_dir({}, root / "src" / "app") == project.default_data_dir({}, root)


def test_outside_any_project_the_working_directory_is_the_project(tmp_path: Path) -> None:
    loose = tmp_path / "scratch"
    loose.mkdir()
    assert project.project_root(loose) == loose
    assert project.project_name({}, loose).startswith("scratch-")


def test_workhorse_embedded_name_names_the_project(tmp_path: Path) -> None:
    env = {"WORKHORSE_EMBEDDED_NAME": "billing-app"}
    assert (
        project.default_data_dir(env, tmp_path) == project.base_dir() / "projects" / "billing-app"
    )


@pytest.mark.parametrize(
    "bad",
    ["../../etc", "a/b", " ", "-rf", ".hidden", "x" * 41, "caf\u00e9", "two words", "nul\x00"],
)
def test_a_hostile_or_malformed_name_is_refused_with_advice(bad: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"WORKHORSE_EMBEDDED_NAME=.*e\.g\. billing-app"):
        project.default_data_dir({"WORKHORSE_EMBEDDED_NAME": bad}, tmp_path)


def test_workhorse_data_dir_wins_over_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKHORSE_EMBEDDED_NAME", "billing")
    monkeypatch.setenv("WORKHORSE_DATA_DIR", str(tmp_path / "mine"))
    assert embedded.data_dir() == tmp_path / "mine"


@given(st.binary(min_size=1, max_size=255).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_any_folder_name_gives_a_short_safe_project_name(folder: bytes) -> None:
    # Any bytes a folder name may hold, as Python decodes them (undecodable ones as surrogates).
    name = project.project_name({}, Path("/nonexistent-workhorse-test") / os.fsdecode(folder))
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,29}", name)
    assert not name.startswith((".", "-"))
    # With a short home the socket path stays under the limit of unix sockets.
    assert len(f"/home/someone/.local/share/workhorse/projects/{name}/redis.sock") < MAX_SOCKET_PATH


@pytest.fixture
def machine() -> Iterator[dict[str, str]]:
    """A user data directory of our own (short, for socket paths) and nothing configured."""
    home = tempfile.mkdtemp(prefix="whp-")
    env = {
        **os.environ,
        "XDG_DATA_HOME": home,
        "WORKHORSE_EMBEDDED_LINGER": "0.3",
        "WORKHORSE_NO_LOCALHOST": "1",
    }
    for name in (
        "WORKHORSE_REDIS_URL",
        "REDIS_URL",
        "WORKHORSE_DATA_DIR",
        "WORKHORSE_EMBEDDED_NAME",
        "WORKHORSE_PREFIX",
    ):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    yield env
    for data in Path(home, "workhorse", "projects").glob("*"):
        embedded.stop(data)
    shutil.rmtree(home, ignore_errors=True)


def workhorse(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "workhorse", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_two_projects_on_one_machine_do_not_share_queues(
    machine: dict[str, str], tmp_path: Path
) -> None:
    billing, shop = make_project(tmp_path, "billing"), make_project(tmp_path, "shop")
    workhorse(machine, billing, "enqueue", "HardJob", "[1]")
    workhorse(machine, billing / "src" / "app", "enqueue", "HardJob", "[2]")
    billing_queues = json.loads(workhorse(machine, billing, "queues", "--json").stdout)
    assert [(q["name"], q["size"]) for q in billing_queues] == [("default", 2)]
    assert json.loads(workhorse(machine, shop, "queues", "--json").stdout) == []
    projects = sorted(
        p.name.split("-")[0]
        for p in Path(machine["XDG_DATA_HOME"], "workhorse", "projects").iterdir()
    )
    assert projects == ["billing", "shop"]


def test_the_worker_start_lines_say_which_data_directory_holds_the_jobs(
    machine: dict[str, str], tmp_path: Path
) -> None:
    billing = make_project(tmp_path, "billing")
    data = Path(
        machine["XDG_DATA_HOME"], "workhorse", "projects", project.project_name({}, billing)
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "workhorse", "worker", "-c", "1"],
        env=machine,
        cwd=billing,
        text=True,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    lines: list[str] = []
    try:
        assert worker.stderr is not None
        deadline = time.monotonic() + 60
        while not any(" started: " in line for line in lines):
            assert worker.poll() is None and time.monotonic() < deadline, (
                f"waiting for the worker's start line; got {lines}"
            )
            lines.append(worker.stderr.readline())
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    text = "".join(lines)
    assert f"embedded Redis: data in {data} (project {data.name}; started " in text
    assert f"embedded Redis, data in {data}" in text


def test_data_left_in_the_old_shared_directory_is_pointed_out(
    machine: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in ("XDG_DATA_HOME", "WORKHORSE_EMBEDDED_LINGER", "WORKHORSE_NO_LOCALHOST"):
        monkeypatch.setenv(name, machine[name])
    monkeypatch.delenv("WORKHORSE_DATA_DIR", raising=False)
    monkeypatch.chdir(make_project(tmp_path, "billing"))
    shared = Path(machine["XDG_DATA_HOME"], "workhorse")
    (shared / "appendonlydir").mkdir(parents=True)
    with caplog.at_level(logging.INFO, logger="workhorse.embedded"):
        embedded.ensure_server()
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning and f"set WORKHORSE_DATA_DIR={shared} to use them" in warning[0]
