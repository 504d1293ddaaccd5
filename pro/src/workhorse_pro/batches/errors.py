"""Errors of batches (issue 8). They extend core's tree::

    WorkhorseError
    └── BatchError          a batch cannot be created, changed or read
        ├── BatchNotFound   no such batch (never existed, or its data expired); also a
        │                   core NotFoundError, so the CLI exits 3
        └── BatchClosed     the batch already completed: no more jobs or children

Using batches without a Pro license raises ``workhorse_pro.FeatureNotLicensed`` (also a
``workhorse_licensing.FeatureNotLicensed``).
"""

from __future__ import annotations

from workhorse.errors import NotFoundError, WorkhorseError


class BatchError(WorkhorseError):
    """A batch cannot be created, changed or read."""


class BatchNotFound(BatchError, NotFoundError):
    def __init__(self, bid: str) -> None:
        self.bid = bid
        super().__init__(
            f"batch {bid} does not exist: the bid is wrong or its data expired "
            "(pending batches live 30 days, finished ones 24 h; see batch_ttl/batch_linger)"
        )


class BatchClosed(BatchError):
    def __init__(self, bid: str) -> None:
        self.bid = bid
        super().__init__(
            f"batch {bid} has already completed, so it cannot take more jobs or child batches; "
            "create a new batch instead (reopen a batch only from one of its own running jobs)"
        )
