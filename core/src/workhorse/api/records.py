"""One stored job as the inspection API shows it: exact bytes plus decoded fields."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from workhorse import payload
from workhorse.errors import PayloadError

ENCRYPTED = "[encrypted]"  # what readers see instead of an encrypted job's last argument


@dataclass(frozen=True)
class JobRecord:
    raw: str
    score: float | None = None  # run/retry/death time for sorted-set entries
    queue_hint: str = ""

    @cached_property
    def item(self) -> dict[str, Any] | None:
        """The decoded job, or None if the stored bytes are not a job."""
        try:
            return dict(payload.decode(self.raw))
        except PayloadError:
            return None

    @property
    def parse_error(self) -> str | None:
        try:
            payload.decode(self.raw)
        except PayloadError as exc:
            return str(exc)
        return None

    def get(self, name: str, default: Any = None) -> Any:
        return (self.item or {}).get(name, default)

    @property
    def jid(self) -> str:
        return str(self.get("jid", ""))

    @property
    def klass(self) -> str:
        return str(self.get("class", "(unparseable)"))

    @property
    def display_name(self) -> str:
        """What dashboards show: ``display_class``, ActiveJob's ``wrapped``, or ``class``."""
        return str(self.get("display_class") or self.get("wrapped") or self.klass)

    @property
    def args(self) -> list[Any]:
        """Arguments for display; an encrypted job's last one shows as ``[encrypted]``."""
        args = self.get("args", [])
        if not isinstance(args, list):
            return []
        if self.get("encrypt") is True and args:
            # The ciphertext is noise to a reader; Sidekiq shows the same placeholder.
            return [*args[:-1], ENCRYPTED]
        return args

    @property
    def queue(self) -> str:
        return str(self.get("queue") or self.queue_hint or "default")

    @property
    def enqueued_at(self) -> float | None:
        return payload.seconds(self.get("enqueued_at"))

    @property
    def created_at(self) -> float | None:
        return payload.seconds(self.get("created_at"))

    @property
    def failed_at(self) -> float | None:
        return payload.seconds(self.get("failed_at"))

    @property
    def retried_at(self) -> float | None:
        return payload.seconds(self.get("retried_at"))

    @property
    def error_class(self) -> str | None:
        value = self.get("error_class")
        return None if value is None else str(value)

    @property
    def error_message(self) -> str | None:
        value = self.get("error_message")
        return None if value is None else str(value)

    @property
    def retry_count(self) -> int | None:
        count = self.get("retry_count")
        return int(count) if isinstance(count, int) else None

    @property
    def backtrace(self) -> list[str]:
        return payload.expand_backtrace(self.get("error_backtrace"))

    @property
    def key(self) -> str:
        """Sidekiq's web row key ``<score>-<jid>``."""
        return f"{self.score!r}-{self.jid}" if self.score is not None else self.jid

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view for ``--json`` output and dashboard endpoints."""
        return {
            "jid": self.jid,
            "class": self.klass,
            "display_class": self.display_name,
            "queue": self.queue,
            "args": self.args,
            "score": self.score,
            "enqueued_at": self.enqueued_at,
            "created_at": self.created_at,
            "failed_at": self.failed_at,
            "retry_count": self.retry_count,
            "error_class": self.error_class,
            "error_message": self.error_message,
            "parse_error": self.parse_error,
            "raw": self.raw,
        }


def paged(
    fetch_page: Callable[[int, int], list[JobRecord]], size: int = 100
) -> Iterator[JobRecord]:
    """Every record, fetched ``size`` at a time so a large set is never loaded whole."""
    offset = 0
    while True:
        records = fetch_page(offset, size)
        yield from records
        if len(records) < size:
            return
        offset += size
