"""Jinja filters: times, counts, sizes and job arguments as people read them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

ARGS_PREVIEW = 120


def ago(epoch: float | None, now: float | None = None) -> str:
    """``3 min ago`` / ``in 2 h``, or ``-`` when unknown."""
    if not epoch:
        return "-"
    delta = (time.time() if now is None else now) - epoch
    text = duration(abs(delta))
    return f"{text} ago" if delta >= 0 else f"in {text}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = float(seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    # Compare the rounded figure, so 3599.9 s reads "1 h", not "60 min".
    for unit, size, limit in (("s", 1, 60), ("min", 60, 60), ("h", 3600, 24)):
        if round(seconds / size) < limit:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds / 86400:.0f} d"


def utc(epoch: float | None) -> str:
    if not epoch:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat() if epoch else ""


def number(value: float | int | None) -> str:
    """``12345`` -> ``12,345``."""
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def kilobytes(value: int | None) -> str:
    if not value:
        return "-"
    for unit in ("KB", "MB", "GB"):
        if value < 1024:
            return f"{value:.0f} {unit}"
        value = value / 1024  # type: ignore[assignment]
    return f"{value:.1f} TB"


def args_preview(args: list[Any], limit: int = ARGS_PREVIEW) -> str:
    text = ", ".join(json.dumps(a, ensure_ascii=False) for a in args)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def pretty_raw(raw: str) -> str:
    """Stored job JSON, indented; unparseable bytes shown as they are."""
    try:
        return pretty_json(json.loads(raw))
    except ValueError:
        return raw


FILTERS = {
    "ago": ago,
    "duration": duration,
    "utc": utc,
    "iso": iso,
    "number": number,
    "kilobytes": kilobytes,
    "args_preview": args_preview,
    "pretty_json": pretty_json,
    "pretty_raw": pretty_raw,
}
