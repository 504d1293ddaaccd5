"""Pro batches: groups of jobs with callbacks, status and nesting (issue 8).

>>> from workhorse_pro.batches import Batch, BatchStatus
>>> with Batch(description="import 42", on_success=notify) as batch:  # doctest: +SKIP
...     for row in rows:
...         import_row.perform_async(row)
>>> BatchStatus(batch.bid).join(timeout=60)  # doctest: +SKIP

See docs/batches.md.
"""

from workhorse_pro.batches.batch import Batch
from workhorse_pro.batches.errors import BatchClosed, BatchError, BatchNotFound
from workhorse_pro.batches.status import BatchStatus, iter_batches, list_batches

__all__ = [
    "Batch",
    "BatchClosed",
    "BatchError",
    "BatchNotFound",
    "BatchStatus",
    "iter_batches",
    "list_batches",
]
