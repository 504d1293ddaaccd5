"""The pipes between the swarm parent and one child: newline-terminated ASCII words.

Child to parent: ``ready`` (fetching), ``recycle <reason>`` (over a limit).
Parent to child: ``drain`` (stop fetching, finish every running job, exit).
The parent closing its end means it died: the child then stops as on SIGTERM.
"""

from __future__ import annotations

import contextlib
import os

MAX_LINE = 1024  # a longer line is not ours: dropped


class Channel:
    """One direction of a parent/child pipe pair, non-blocking on both ends."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd = read_fd
        self.write_fd = write_fd
        os.set_blocking(read_fd, False)
        self._buffer = b""
        self.closed = False  # the other end is gone (EOF)

    @classmethod
    def pair(cls) -> tuple[Channel, Channel]:
        """(parent's end, child's end): each reads what the other writes."""
        to_child_r, to_child_w = os.pipe()
        to_parent_r, to_parent_w = os.pipe()
        return cls(to_parent_r, to_child_w), cls(to_child_r, to_parent_w)

    def send(self, line: str) -> bool:
        """Write one line; False if the other end is gone."""
        try:
            os.write(self.write_fd, line.encode("ascii", "replace")[:MAX_LINE] + b"\n")
            return True
        except (BrokenPipeError, BlockingIOError, OSError):
            return False

    def receive(self) -> list[str]:
        """Whole lines that arrived since the last call (never blocks)."""
        while True:
            try:
                data = os.read(self.read_fd, 4096)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        if len(self._buffer) > MAX_LINE:
            self._buffer = b""
        return [line.decode("ascii", "replace") for line in lines if 0 < len(line) <= MAX_LINE]

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
