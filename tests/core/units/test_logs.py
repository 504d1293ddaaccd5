"""workhorse.logs: how the worker's log lines are formatted."""

from __future__ import annotations

import json
import logging

from workhorse.logs import JSONFormatter


def test_json_log_format_is_one_object_per_line() -> None:
    record = logging.LogRecord(
        "workhorse.job", logging.WARNING, __file__, 1, "fail %s jid=%s", ("X", "abc"), None
    )
    line = JSONFormatter().format(record)
    entry = json.loads(line)
    assert entry["lvl"] == "WARNING" and entry["msg"] == "fail X jid=abc" and "\n" not in line
