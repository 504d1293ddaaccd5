"""Log formats for the CLI: readable text or one JSON object per line, with job fields.

While a job runs, its jid, class, queue, attempt, bid and tags (see
:mod:`workhorse.logcontext`) appear in every line: as ``key=value`` in text,
as keys of the object in JSON.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from workhorse.errors import InputError
from workhorse.logcontext import JobFields, JobLogFilter, level_number

TEXT_FORMAT = (
    "%(asctime)s pid=%(process)d tid=%(threadName)s%(job)s %(levelname)s %(name)s: %(message)s"
)
# Loggers that -v and WORKHORSE_LOG_LEVEL change; the root (redis-py, user code) stays at INFO.
OUR_LOGGERS = ("workhorse", "workhorse_pro", "workhorse_enterprise", "workhorse_licensing")
# Extra record attributes the JSON lines carry when a log call passes them (``extra=``).
EXTRA_FIELDS = ("elapsed",)


# One encoder for every line (json.dumps with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def _job_fields(record: logging.LogRecord) -> JobFields | None:
    fields = getattr(record, "workhorse_job", None)
    return fields if isinstance(fields, JobFields) else None


def _text_value(value: object) -> str:
    text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    # Quote what would break key=value parsing: spaces, quotes, '=' or nothing at all.
    if not text or any(c.isspace() or c in '"=' for c in text):
        return json.dumps(text, ensure_ascii=False)
    return text


class TextFormatter(logging.Formatter):
    """The text format, with `` key=value`` job fields after the thread name."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        fields = _job_fields(record)
        pairs = fields.as_dict() if fields else {}
        elapsed = getattr(record, "elapsed", None)
        if elapsed is not None:
            pairs["elapsed"] = f"{elapsed:.3f}"
        record.job = "".join(f" {k}={_text_value(v)}" for k, v in pairs.items())
        return super().format(record)


class JSONFormatter(logging.Formatter):
    """``{"ts", "pid", "tid", "lvl", "logger", "msg", job fields..., "exc"?}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "pid": record.process,
            "tid": record.threadName,
            "lvl": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = _job_fields(record)
        if fields:
            entry.update(fields.as_dict())
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _ENCODER.encode(entry)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Install one stderr handler on the root logger (only the CLI calls this).

    ``level`` (or ``WORKHORSE_LOG_LEVEL``) applies to workhorse's own loggers; the
    root logger stays at INFO so ``-v`` does not turn on redis-py's debug output.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(JobLogFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    raw = os.environ.get("WORKHORSE_LOG_LEVEL", level)
    try:
        ours = level_number(raw.upper())
    except ValueError as exc:
        raise InputError(f"WORKHORSE_LOG_LEVEL={raw!r}: {exc}") from None
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(ours)
