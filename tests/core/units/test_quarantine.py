"""workhorse.quarantine: what cannot run goes to the dead set, kept, with an honest error."""

from __future__ import annotations

import base64
import json

from workhorse import quarantine

JOB = '{"class":"Mail","args":[1],"jid":"abc","queue":"mail"}'


def test_a_job_that_met_an_internal_error_is_kept_as_it_was_under_the_errors_class() -> None:
    dead = json.loads(quarantine.failed_internally(JOB, "mail", KeyError("k"), "ms", now=2.0))
    assert (dead["class"], dead["args"], dead["jid"]) == ("Mail", [1], "abc")
    assert dead["error_class"] == "KeyError" and dead["failed_at"] == 2000
    assert dead["retry_count"] == 0
    assert "KeyError('k')" in dead["error_message"] and "retry the job" in dead["error_message"]


def test_an_internal_error_on_bytes_that_are_no_job_wraps_them_but_names_the_error() -> None:
    raw = b"\xff not a job"
    dead = json.loads(quarantine.failed_internally(raw, "q", RuntimeError("x"), "ms"))
    assert dead["class"] == quarantine.UNDECODABLE and dead["error_class"] == "RuntimeError"
    assert base64.b64decode(dead[quarantine.ORIGINAL_FIELD]) == raw


def test_unparseable_text_is_wrapped_with_the_original_as_args0_and_never_retried() -> None:
    dead = json.loads(quarantine.wrap("{nope", "q", "job payload is not valid JSON", "ms"))
    assert dead["class"] == quarantine.UNPARSEABLE and dead["args"] == ["{nope"]
    assert dead["retry"] == 0 and dead["error_class"] == quarantine.ERROR_CLASS
    assert dead["error_message"].startswith("job payload is not valid JSON. The original")


def test_units_keep_bytes_that_are_not_utf8_exactly() -> None:
    units = quarantine.units("q", [b"ok", b"\xffbad"])
    assert [u.raw for u in units] == ["ok", "\\xffbad"]
    assert [u.stored for u in units] == ["ok", b"\xffbad"]
