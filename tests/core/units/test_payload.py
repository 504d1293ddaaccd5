"""workhorse.payload: the job JSON on the wire (Sidekiq's format), read and written."""

from __future__ import annotations

import pytest

from workhorse import payload
from workhorse.errors import ArgumentError, PayloadError


def test_a_job_survives_encode_then_decode() -> None:
    job = {"class": "Mail", "args": [1, "two", {"three": [3.0]}], "jid": payload.new_jid()}
    assert payload.decode(payload.encode(job)) == job
    assert payload.decode(payload.encode(job).encode()) == job


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"args": []}', 'no "class"'),
        ('{"class": "", "args": []}', 'no "class"'),
        ('{"class": 5, "args": []}', 'no "class"'),
        ('{"class": "Mail", "args": {"a": 1}}', '"args" must be a JSON list'),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_decode_refuses_what_is_not_a_job_and_says_why(raw: str | bytes, says: str) -> None:
    with pytest.raises(PayloadError, match=says):
        payload.decode(raw)


def test_decode_errors_show_a_bounded_preview_of_the_value() -> None:
    with pytest.raises(PayloadError) as caught:
        payload.decode("[" + "1," * 5000 + "1]")
    assert len(str(caught.value)) < 400 and str(caught.value).endswith("...")


def test_encode_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(ArgumentError, match="cannot be encoded as JSON"):
        payload.encode({"class": "Mail", "args": [object()]})


def test_jids_are_24_lowercase_hex_and_unique() -> None:
    jids = {payload.new_jid() for _ in range(2000)}
    assert len(jids) == 2000
    assert all(len(j) == 24 and set(j) <= set("0123456789abcdef") for j in jids)


def test_timestamps_are_int_milliseconds_or_float_seconds() -> None:
    assert payload.timestamp("ms", 1.5) == 1500
    assert payload.timestamp("s", 1.5) == 1.5


def test_seconds_reads_either_timestamp_format_and_rejects_garbage() -> None:
    assert payload.seconds(1_700_000_000_000) == 1_700_000_000.0
    assert payload.seconds(1_700_000_000.25) == 1_700_000_000.25
    for garbage in (None, "1", True, [1]):
        assert payload.seconds(garbage) is None


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([{1: "a"}], "non-string key 1"),
        ([float("nan")], "JSON cannot encode"),
        ([[1, {"when": object()}]], r"args\[0\]\[1\]\['when'\] is a builtins.object"),
        ([{1, 2}], "is a builtins.set"),
    ],
)
def test_check_args_refuses_values_that_would_not_round_trip(args: list[object], says: str) -> None:
    with pytest.raises(ArgumentError, match=says) as caught:
        payload.check_args(args)
    assert "Pass only JSON-native values" in str(caught.value)


def test_check_args_accepts_json_native_values() -> None:
    args = [None, True, 1, 2.5, "s", [1, [2]], {"k": {"n": None}}]
    assert payload.check_args(iter(args)) == args


def test_backtraces_round_trip_compressed_and_old_plain_lists_still_read() -> None:
    lines = ["File a.py, line 1", "File b.py, line 2"]
    assert payload.expand_backtrace(payload.compress_backtrace(lines)) == lines
    assert payload.expand_backtrace(lines) == lines
    assert payload.expand_backtrace(None) == []


def test_a_backtrace_that_inflates_too_far_is_cut_and_says_so() -> None:
    bomb = payload.compress_backtrace(["x" * 1000] * 10_000)
    lines = payload.expand_backtrace(bomb, limit=64 * 1024)
    assert lines[-1].startswith("… cut") and len(lines) < 70


def test_a_backtrace_that_is_not_base64_zlib_is_shown_as_it_is() -> None:
    assert payload.expand_backtrace("not base64!") == ["not base64!"]


def test_error_messages_are_truncated_to_the_limit() -> None:
    assert len(payload.truncate_message("x" * 100_000)) == payload.ERROR_MESSAGE_LIMIT
