"""Typed settings for a plugin: a frozen dataclass filled from extras, environment and defaults.

A plugin declares its settings once, as a frozen dataclass and a prefix::

    @dataclass(frozen=True)
    class AuditSettings:
        enabled: bool = True
        sample_rate: float = 1.0
        sink: str | None = None

    AUDIT = PluginSettings("audit", AuditSettings)

and reads them where it configures itself (a hook gets ``settings``)::

    config = AUDIT.read(process.settings)   # an AuditSettings

Each field is taken from the first of: ``Settings.extras["audit_sample_rate"]``
(what an application passes in code, or a worker's ``--set
audit_sample_rate=0.5``), the environment variable ``WORKHORSE_AUDIT_SAMPLE_RATE``
(an empty one counts as unset), the field's default. Values are converted to the
field's type (``bool``, ``int``, ``float``, ``str``, or one of those ``| None``);
a value that does not convert raises :class:`~workhorse.errors.ConfigError`
naming where it came from and what was expected. Checks across fields belong in
the dataclass's ``__post_init__``. A field may take another name in extras and
the environment with ``field(metadata={"name": "fetch"})`` (Pro's
``WORKHORSE_RELIABLE_FETCH`` for ``ReliableConfig.enabled``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from workhorse.config import Settings
from workhorse.errors import ConfigError

__all__ = ["PluginSettings"]

T = TypeVar("T")
_PREFIX = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_TRUE = frozenset({"1", "on", "true", "yes"})
_FALSE = frozenset({"0", "off", "false", "no"})


class PluginSettings(Generic[T]):
    """The settings of one plugin: ``prefix`` names its extras keys and variables."""

    def __init__(self, prefix: str, schema: type[T]) -> None:
        if not _PREFIX.match(prefix):
            raise ValueError(f"plugin settings prefix {prefix!r}: use lowercase words and _")
        params = getattr(schema, "__dataclass_params__", None)
        if not dataclasses.is_dataclass(schema) or params is None or not params.frozen:
            raise TypeError(f"{schema.__name__} must be a frozen dataclass")
        self.prefix = prefix
        self.schema = schema
        hints = typing.get_type_hints(schema)
        self._fields = [
            _Field(f.name, f.metadata.get("name", f.name), hints[f.name])
            for f in dataclasses.fields(schema)
            if f.init
        ]

    def key(self, field_name: str) -> str:
        """The extras key of a field: ``<prefix>_<name>``."""
        return f"{self.prefix}_{self._named(field_name).name}"

    def variable(self, field_name: str) -> str:
        """The environment variable of a field: ``WORKHORSE_<PREFIX>_<NAME>``."""
        return f"WORKHORSE_{self.key(field_name).upper()}"

    def read(self, settings: Settings, env: Mapping[str, str] | None = None) -> T:
        """The plugin's settings for ``settings`` (extras, then ``env``, then defaults)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for spec in self._fields:
            key = f"{self.prefix}_{spec.name}"
            variable = f"WORKHORSE_{key.upper()}"
            if key in settings.extras:
                values[spec.attribute] = spec.convert(settings.extras[key], f"setting {key!r}")
            elif env.get(variable):
                values[spec.attribute] = spec.convert(env[variable], variable)
        return self.schema(**values)

    def _named(self, field_name: str) -> _Field:
        for spec in self._fields:
            if field_name in (spec.attribute, spec.name):
                return spec
        raise KeyError(f"{self.schema.__name__} has no field {field_name!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    attribute: str
    name: str
    annotation: Any

    def convert(self, raw: object, source: str) -> object:
        kind, optional = _unwrap(self.annotation)
        if optional and (raw is None or (isinstance(raw, str) and raw.strip() == "")):
            return None
        converter = _CONVERTERS.get(kind)
        if converter is None:
            raise TypeError(f"plugin setting {self.name!r}: type {kind!r} is not supported")
        try:
            return converter(raw)
        except (TypeError, ValueError) as exc:
            hint = f": {exc.hint}" if isinstance(exc, _Refused) else ""
            raise ConfigError(f"{source}={raw!r} is not {_DESCRIBED[kind]}{hint}") from None


class _Refused(ValueError):
    """A value of the right shape but not one we take, with what to give instead."""

    def __init__(self, hint: str = "") -> None:
        super().__init__(hint)
        self.hint = hint


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type, whether None is allowed) of ``X`` or ``X | None``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _to_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Refused("use 1/on/true/yes or 0/off/false/no")


def _to_int(raw: object) -> int:
    if isinstance(raw, bool):
        raise _Refused()
    number = float(str(raw))  # "3" and "3.0" alike
    if not number.is_integer():
        raise _Refused()
    return int(number)


def _to_float(raw: object) -> float:
    if isinstance(raw, bool):
        raise _Refused()
    return float(str(raw))


def _to_str(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Refused()
    return raw


_CONVERTERS: dict[Any, Callable[[object], object]] = {
    bool: _to_bool,
    int: _to_int,
    float: _to_float,
    str: _to_str,
}
_DESCRIBED = {bool: "on or off", int: "a whole number", float: "a number", str: "text"}
