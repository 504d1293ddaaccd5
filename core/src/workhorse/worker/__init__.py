"""The worker: processor (one job), executor (threads + asyncio), launcher (one process),
supervisor (``-p N``)."""

from workhorse.worker.launcher import WorkerProcess, run_worker

__all__ = ["WorkerProcess", "run_worker"]
