"""The swarm's parts that need no process tree: limits, systemd notify, the pipe protocol,
the rolling-restart handoff and ``workhorse restart``'s hostile inputs (issue 22)."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.licenses import licensed

from workhorse.errors import ConfigError
from workhorse_enterprise.swarm import handoff
from workhorse_enterprise.swarm.channel import MAX_LINE, Channel
from workhorse_enterprise.swarm.cli import restart
from workhorse_enterprise.swarm.limits import RecycleLimits
from workhorse_enterprise.swarm.notify import Notifier


def test_limits_name_which_one_was_passed() -> None:
    limits = RecycleLimits(max_memory_mb=100, max_jobs=50)
    assert limits.exceeded(rss_kb=50 * 1024, jobs_done=10) is None
    assert "over --max-memory 100 MB" in (limits.exceeded(101 * 1024, 10) or "")
    assert limits.exceeded(10, 50) == "50 jobs done, --max-jobs 50"
    assert RecycleLimits().exceeded(10**9, 10**9) is None and not RecycleLimits().active


@pytest.mark.parametrize("kwargs", [{"max_memory_mb": 0}, {"max_jobs": 0}, {"max_jobs": -3}])
def test_limits_that_cannot_be_met_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="--max-"):
        RecycleLimits(**kwargs)  # type: ignore[arg-type]


@pytest.fixture
def notify_socket(tmp_path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(5)
    return sock


def test_systemd_hears_ready_status_reloading_and_the_watchdog(
    notify_socket: socket.socket, tmp_path: Path
) -> None:
    env = {
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        "WATCHDOG_USEC": "2000000",
        "WATCHDOG_PID": str(os.getpid()),
    }
    notifier = Notifier.from_env(env)
    assert notifier.watchdog_every == 1.0, "half the interval systemd enforces"
    notifier.ready("3 children working")
    assert notify_socket.recv(4096) == b"READY=1\nSTATUS=3 children working"
    notifier.ping(100.0)
    notifier.ping(100.5)  # too soon: not sent
    notifier.ping(101.0)
    assert [notify_socket.recv(4096) for _ in range(2)] == [b"WATCHDOG=1", b"WATCHDOG=1"]
    notifier.reloading("rolling restart")
    assert notify_socket.recv(4096).startswith(b"RELOADING=1\nMONOTONIC_USEC=")


def test_without_systemd_or_with_a_watchdog_for_another_pid_nothing_is_sent() -> None:
    assert not Notifier.from_env({}).enabled
    other = Notifier.from_env(
        {"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"}
    )
    assert other.watchdog_every is None
    other.ready("x")  # a socket that is not there is logged, never raised


def test_the_pipe_protocol_yields_whole_lines_and_notices_the_other_end_leaving() -> None:
    parent, child = Channel.pair()
    child.send("ready")
    os.write(child.write_fd, b"recycle mem")
    assert parent.receive() == ["ready"]
    os.write(child.write_fd, b"ory\n" + b"x" * (MAX_LINE + 5) + b"\n")
    assert parent.receive() == ["recycle memory"], "an oversized line is dropped"
    child.close()
    assert parent.receive() == [] and parent.closed
    parent.close()


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "{}",
        "[[1, 2]]",
        '[["1", 3, 4]]',
        "[[-1, 3, 4]]",
        "[[true, 3, 4]]",
        json.dumps([[1, 10**6, 10**6 + 1]]),
    ],
)
def test_a_malformed_or_foreign_handoff_adopts_nothing(raw: str) -> None:
    env = {handoff.ENV: raw}
    assert handoff.adopt(env) == []
    assert handoff.ENV not in env, "our own children must not inherit it"


@pytest.fixture
def enterprise() -> Iterator[None]:
    with licensed(("enterprise",)):
        yield


@pytest.mark.usefixtures("enterprise")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read pidfile"),
        ("", "does not hold a pid"),
        ("12abc", "does not hold a pid"),
        ("99999999999", "does not hold a pid"),
        ("\x00\xff", "does not hold a pid"),
    ],
)
def test_restart_says_what_is_wrong_with_the_pidfile(
    tmp_path: Path, content: str | None, message: str
) -> None:
    pidfile = tmp_path / "swarm.pid"
    if content is not None:
        pidfile.write_text(content, encoding="latin-1")
    result = CliRunner().invoke(restart, ["--pidfile", str(pidfile)])
    assert result.exit_code != 0 and message in str(result.exception or result.output)


@pytest.mark.usefixtures("enterprise")
def test_restart_needs_exactly_one_way_to_find_the_swarm(tmp_path: Path) -> None:
    for args in ([], ["--pid", "1", "--pidfile", str(tmp_path / "p")]):
        result = CliRunner().invoke(restart, args)
        assert "give the swarm's --pidfile PATH or its --pid N" in str(result.exception)


def test_a_listener_that_stopped_reading_never_blocks_the_notifier(
    notify_socket: socket.socket, tmp_path: Path
) -> None:
    notifier = Notifier(str(tmp_path / "notify"), watchdog_seconds=0.002)
    for n in range(500):  # far past the kernel's queue of unread datagrams
        notifier.ping(float(n))
    assert notify_socket.recv(4096) == b"WATCHDOG=1"
