"""The job JSON codec: Sidekiq 7 (float seconds) and 8 (int ms) times, unknown fields kept."""

from __future__ import annotations

import base64
import json
import math
import os
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from workhorse.config import TimestampFormat
from workhorse.errors import ArgumentError, PayloadError
from workhorse.types import JobPayload

ERROR_MESSAGE_LIMIT = 10_000
# Inflated size of a stored error_backtrace that inspection shows (see expand_backtrace).
BACKTRACE_LIMIT = 64 * 1024
_SCALARS = (str, bool, int)
_PLAIN = frozenset({str, bool, int, type(None)})
_MS_THRESHOLD = 100_000_000_000  # an int above this is epoch ms, below it epoch seconds

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
dumps = _encoder.encode
# (value, end) of the JSON value at an index; StopIteration when none starts there
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def loads(raw: str | bytes) -> Any:
    """``json.loads``, about twice as fast for text that is one JSON value with no space
    around it (every stored job): its C scanner is called directly, skipping the two
    whitespace regex matches ``json.loads`` makes per call. Anything else (bytes,
    surrounding whitespace, trailing data, invalid JSON) goes through ``json.loads``,
    which also gives the error."""
    if type(raw) is str:
        try:
            value, end = _scan(raw, 0)
        except StopIteration:
            return json.loads(raw)
        if end == len(raw):
            return value
    return json.loads(raw)


_jid_pool = threading.local()
# A child process must never hand out jids its parent already drew.
os.register_at_fork(after_in_child=_jid_pool.__dict__.clear)


def new_jid() -> str:
    """24 lowercase hex characters, like Sidekiq's ``SecureRandom.hex(12)``.

    Drawn from the OS's CSPRNG 256 at a time: one urandom call per job was the
    largest single cost of bulk enqueue.
    """
    ids: list[str] | None = getattr(_jid_pool, "ids", None)
    if not ids:
        raw = secrets.token_hex(12 * 256)
        ids = _jid_pool.ids = [raw[i : i + 24] for i in range(0, len(raw), 24)]
    return ids.pop()


def timestamp(fmt: TimestampFormat, now: float | None = None) -> int | float:
    """The current time in the wire format: int ms (Sidekiq 8) or float s (Sidekiq 7)."""
    now = time.time() if now is None else now
    return int(now * 1000) if fmt == "ms" else now


def seconds(value: object) -> float | None:
    """Read a wire timestamp of either format as epoch seconds (None if absent/bad)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and value > _MS_THRESHOLD:
        return value / 1000.0
    return float(value)


def encode(job: Mapping[str, Any]) -> str:
    try:
        return dumps(job)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"job cannot be encoded as JSON: {exc}") from None


def decode(raw: str | bytes) -> JobPayload:
    """Parse one stored job, raising :class:`PayloadError` with the reason."""
    try:
        job = loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"job payload is not valid JSON ({exc}): {_preview(raw)}") from None
    if not isinstance(job, dict):
        raise PayloadError(f"job payload is not a JSON object: {_preview(raw)}")
    if not isinstance(job.get("class"), str) or not job["class"]:
        raise PayloadError(f'job payload has no "class" naming the job: {_preview(raw)}')
    if not isinstance(job.get("args", []), list):
        raise PayloadError(f'job payload "args" must be a JSON list: {_preview(raw)}')
    return cast(JobPayload, job)


def _preview(raw: str | bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text if len(text) <= limit else text[:limit] + "..."


def check_args(args: Iterable[object]) -> list[object]:
    """Refuse anything that would not survive a JSON round trip unchanged."""
    checked = list(args)
    for index, value in enumerate(checked):
        if type(value) in _PLAIN:
            continue  # the common case, decided without the recursive walk
        problem = _json_problem(value, f"args[{index}]")
        if problem:
            raise ArgumentError(
                f"argument {index + 1} cannot be sent to a job: {problem}. Pass only JSON-native "
                "values (str, int, float, bool, None, list, dict with str keys); e.g. send a "
                "datetime as an ISO string or epoch number, a set as a list, an object by its id"
            )
    return checked


def _json_problem(value: object, path: str) -> str | None:
    if value is None or isinstance(value, _SCALARS):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} is {value!r}, which JSON cannot encode"
    if isinstance(value, list):
        for i, item in enumerate(value):
            problem = _json_problem(item, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path} has the non-string key {key!r} ({type(key).__name__})"
            problem = _json_problem(item, f"{path}[{key!r}]")
            if problem:
                return problem
        return None
    return f"{path} is a {type(value).__module__}.{type(value).__qualname__} ({value!r:.80})"


def compress_backtrace(lines: list[str]) -> str:
    """Sidekiq's ``error_backtrace``: base64 of zlib of a JSON list of lines."""
    return base64.b64encode(zlib.compress(dumps(lines).encode())).decode("ascii")


def expand_backtrace(value: object, limit: int = BACKTRACE_LIMIT) -> list[str]:
    """Inverse of :func:`compress_backtrace`; also reads Sidekiq <= 6's plain list.

    Inflates at most ``limit`` bytes: a small stored payload can inflate to gigabytes
    (a zip bomb in the retry set), so a longer backtrace is cut, and its last line says so.
    """
    if isinstance(value, list):
        return [str(line) for line in value]
    if not isinstance(value, str) or not value:
        return []
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(base64.b64decode(value), limit + 1)
    except (ValueError, zlib.error):
        return [value]
    if len(text) > limit:
        lines = _leading_strings(text[:limit].decode("utf-8", "replace"))
        return [*lines, f"… cut: this backtrace inflates to more than {limit // 1024} KiB"]
    try:
        lines = loads(text)
    except ValueError:
        return [value]
    return [str(line) for line in lines] if isinstance(lines, list) else [str(lines)]


def _leading_strings(text: str) -> list[str]:
    """The complete JSON values at the start of a cut-off JSON list."""
    decoder = json.JSONDecoder()
    found: list[str] = []
    at = text.find("[") + 1
    while 0 < at < len(text):
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        try:
            item, at = decoder.raw_decode(text, at)
        except ValueError:
            break
        found.append(str(item))
    return found


def truncate_message(message: str) -> str:
    return message[:ERROR_MESSAGE_LIMIT]
