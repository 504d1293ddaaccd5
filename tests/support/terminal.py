"""A very small terminal: enough of VT100 to replay what rich's live view writes.

It keeps every line that ever scrolled by (no screen height), understands carriage
return, newline, cursor up (``ESC [ n A``), erase line (``ESC [ 2K``) and ignores colours
and cursor visibility. What is left on it is what a person would see after the run.
"""

from __future__ import annotations

import re

_CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")


def replay(output: str) -> list[str]:
    """The lines left on the terminal after ``output``, trailing spaces removed."""
    lines: list[list[str]] = [[]]
    row = col = 0
    pos = 0
    while pos < len(output):
        match = _CSI.match(output, pos)
        if match:
            row, col = _control(lines, row, col, match.group(1), match.group(2))
            pos = match.end()
            continue
        char = output[pos]
        pos += 1
        if char == "\r":
            col = 0
        elif char == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append([])
        elif char >= " ":
            line = lines[row]
            line.extend(" " * (col - len(line) + 1) if col >= len(line) else "")
            line[col] = char
            col += 1
    return ["".join(line).rstrip() for line in lines]


def _control(
    lines: list[list[str]], row: int, col: int, args: str, command: str
) -> tuple[int, int]:
    if command == "A":
        return max(0, row - int(args or 1)), col
    if command == "K" and args == "2":
        lines[row] = []
    elif command == "K":
        del lines[row][col:]
    return row, col
