"""A plugin declares its settings as a frozen dataclass and a prefix; core fills it from
``Settings.extras``, ``WORKHORSE_<PREFIX>_*`` and the defaults, and refuses bad values clearly."""

from __future__ import annotations

from dataclasses import dataclass, field

import click
import pytest

from workhorse.cli.worker_cmd import parse_plugin_settings
from workhorse.config import Settings
from workhorse.errors import ConfigError
from workhorse.plugin_settings import PluginSettings


@dataclass(frozen=True)
class Audit:
    enabled: bool = True
    sample_rate: float = 1.0
    batch: int = 100
    sink: str | None = None
    paused: bool = field(default=False, metadata={"name": "off"})


AUDIT = PluginSettings("audit", Audit)


def read(extras: dict[str, object] | None = None, **env: str) -> Audit:
    return AUDIT.read(Settings(extras=extras or {}), env)


def test_defaults_when_nothing_is_set() -> None:
    assert read() == Audit()


def test_environment_variables_fill_the_fields_by_their_types() -> None:
    got = read(
        WORKHORSE_AUDIT_ENABLED="off",
        WORKHORSE_AUDIT_SAMPLE_RATE="0.25",
        WORKHORSE_AUDIT_BATCH="7",
        WORKHORSE_AUDIT_SINK="s3://bucket",
        WORKHORSE_AUDIT_OFF="yes",
    )
    assert got == Audit(enabled=False, sample_rate=0.25, batch=7, sink="s3://bucket", paused=True)


def test_extras_win_over_the_environment_and_an_empty_variable_counts_as_unset() -> None:
    got = read({"audit_batch": 5, "audit_sample_rate": "0.5"}, WORKHORSE_AUDIT_BATCH="9")
    assert (got.batch, got.sample_rate) == (5, 0.5)
    assert read(WORKHORSE_AUDIT_BATCH="").batch == 100


def test_names_of_a_field_in_extras_and_the_environment() -> None:
    assert AUDIT.key("sample_rate") == "audit_sample_rate"
    assert AUDIT.variable("paused") == "WORKHORSE_AUDIT_OFF"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WORKHORSE_AUDIT_ENABLED": "maybe"}, "WORKHORSE_AUDIT_ENABLED='maybe' is not on or off"),
        ({"WORKHORSE_AUDIT_BATCH": "2.5"}, "WORKHORSE_AUDIT_BATCH='2.5' is not a whole number"),
        ({"WORKHORSE_AUDIT_BATCH": "lots"}, "WORKHORSE_AUDIT_BATCH='lots' is not a whole number"),
        ({"WORKHORSE_AUDIT_SAMPLE_RATE": "half"}, "'half' is not a number"),
    ],
)
def test_a_bad_variable_is_refused_naming_it(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read(**env)


@pytest.mark.parametrize(
    ("extras", "message"),
    [
        ({"audit_batch": True}, "setting 'audit_batch'=True is not a whole number"),
        ({"audit_sample_rate": [1]}, r"setting 'audit_sample_rate'=\[1\] is not a number"),
        ({"audit_sink": 3}, "setting 'audit_sink'=3 is not text"),
        ({"audit_enabled": "2"}, "use 1/on/true/yes or 0/off/false/no"),
    ],
)
def test_a_bad_extra_is_refused_naming_it(extras: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        read(extras)


def test_an_optional_field_takes_none_or_an_empty_value() -> None:
    assert read({"audit_sink": None}).sink is None
    assert read({"audit_sink": ""}).sink is None


def test_only_a_frozen_dataclass_and_a_plain_prefix_declare_settings() -> None:
    @dataclass
    class Mutable:
        x: int = 1

    with pytest.raises(TypeError, match="frozen dataclass"):
        PluginSettings("mutable", Mutable)
    with pytest.raises(ValueError, match="prefix"):
        PluginSettings("Bad-Prefix", Audit)


def test_worker_set_options_become_extras() -> None:
    assert parse_plugin_settings(("audit_batch=5", "audit_sink=a=b")) == {
        "audit_batch": "5",
        "audit_sink": "a=b",
    }
    assert read(parse_plugin_settings(("audit_batch=5",))).batch == 5


@pytest.mark.parametrize("spec", ["audit_batch", "=5", "Audit_Batch=5", "audit batch=5", "a;b=1"])
def test_a_malformed_set_option_is_refused(spec: str) -> None:
    with pytest.raises(click.BadParameter, match="NAME=VALUE"):
        parse_plugin_settings((spec,))
