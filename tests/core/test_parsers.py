"""Property tests for the parsers users feed: payloads, -q specs, timestamps."""

from __future__ import annotations

import contextlib
import json

from hypothesis import given
from hypothesis import strategies as st

from workhorse import payload
from workhorse.config import QueueWeight, parse_queue
from workhorse.errors import ConfigError, PayloadError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.lists(json_values, max_size=5), st.dictionaries(st.text(min_size=1), json_values, max_size=3)
)
def test_payload_round_trips_and_keeps_unknown_fields(
    args: list[object], extra: dict[str, object]
) -> None:
    job = {**extra, "class": "X", "args": payload.check_args(args)}
    assert payload.decode(payload.encode(job)) == job


@given(st.text() | st.binary())
def test_decoding_garbage_raises_only_payload_error(raw: str | bytes) -> None:
    with contextlib.suppress(PayloadError):
        payload.decode(raw)


def _outcome(parse: object, raw: str | bytes) -> tuple[str, object]:
    try:
        return "value", parse(raw)  # type: ignore[operator]
    except ValueError as exc:
        return "error", type(exc)


@given(
    st.text()
    | st.binary()
    | json_values.map(json.dumps)
    | st.tuples(st.sampled_from(["", " ", "\n", "x", "1", "{}", "\ufeff"]), json_values).map(
        lambda pair: pair[0] + json.dumps(pair[1]) + pair[0]
    )
)
def test_payload_loads_answers_as_json_loads_does(raw: str | bytes) -> None:
    # payload.loads takes a faster way for the common case (issue 18): same values, same errors
    assert _outcome(payload.loads, raw) == _outcome(json.loads, raw)


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=30))
def test_queue_spec_parser_raises_only_config_error(spec: str) -> None:
    try:
        parsed = parse_queue(spec)
    except ConfigError:
        return
    assert isinstance(parsed, QueueWeight) and parsed.name and parsed.weight >= 0


@given(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.integers(1, 1000))
def test_queue_spec_round_trips(name: str, weight: int) -> None:
    assert parse_queue(f"{name},{weight}") == QueueWeight(name, weight)
    assert parse_queue(name) == QueueWeight(name, 0)


@given(st.floats(1e9, 4e9))
def test_both_timestamp_forms_read_as_the_same_second(seconds: float) -> None:
    assert abs(payload.seconds(int(seconds * 1000)) - seconds) < 0.002  # type: ignore[operator]
    assert payload.seconds(seconds) == seconds


def test_backtrace_round_trips_through_sidekiqs_encoding() -> None:
    lines = ['File "x.py", line 1, in f', "  raise ValueError()"]
    assert payload.expand_backtrace(payload.compress_backtrace(lines)) == lines
    assert json.loads(json.dumps(payload.compress_backtrace(lines)))
