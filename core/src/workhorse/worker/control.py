"""Stopping a running job from another thread: a timeout or a cancellation (issue 18).

A thread job is interrupted by raising an exception in its thread
(``PyThreadState_SetAsyncExc``): it arrives at the next Python bytecode the thread
runs, so a job blocked inside a C call (``time.sleep`` excepted, a socket read with
no timeout, a long numpy call) sees it only when the call returns. An ``async def``
job is interrupted by cancelling its task on the loop. Run from a job thread, the
thread waits for the task to end, so a coroutine that swallows ``CancelledError`` is
not forgotten while it runs on (the processor's backstop cancels it again and gives
up on it); on the async lane the job's slot stays taken until its coroutine ends.

The job thread marks itself interruptible only while the job body runs
(``enter``/``leave``, two dict writes per job). An interrupt that races the end of
the body is taken back in ``leave`` before it can land in the worker's own code.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from concurrent.futures import Future
from typing import Any

# Two prototypes of one C function: set an exception, or clear one with NULL.
_set_async_exc = ctypes.pythonapi["PyThreadState_SetAsyncExc"]
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_clear_async_exc = ctypes.pythonapi["PyThreadState_SetAsyncExc"]
_clear_async_exc.argtypes = (ctypes.c_ulong, ctypes.c_void_p)


def _raise_in(tid: int, exc_type: type[BaseException] | None) -> None:
    """Schedule ``exc_type`` in thread ``tid`` (None takes a pending one back)."""
    if exc_type is None:
        _clear_async_exc(tid, None)
    else:
        _set_async_exc(tid, exc_type)


class RunControl:
    """Which job threads may be interrupted now, and why one was."""

    def __init__(self) -> None:
        self.inside: dict[int, bool] = {}  # tid -> the job body is running
        # tid -> the future of an async job run from a job thread; slot -> the task of
        # a job on the async lane
        self.futures: dict[int, Future[Any] | asyncio.Task[Any]] = {}
        self.tasks: dict[int, asyncio.Task[Any]] = {}  # tid -> a thread's async task, once started
        self.given_up: set[int] = set()  # async jobs no longer waited for (they ignored us)
        self.reasons: dict[int, type[BaseException]] = {}
        self.lock = threading.Lock()

    def enter(self, tid: int) -> None:
        self.inside[tid] = True

    def leave(self, tid: int) -> type[BaseException] | None:
        """The body returned or raised: no interrupt may land after this. Returns the
        reason the job was interrupted, if it was."""
        self.inside.pop(tid, None)
        if tid not in self.reasons:  # the common case: no lock
            return None
        with self.lock:
            reason = self.reasons.pop(tid, None)
            if reason is not None and tid not in self.futures:
                _raise_in(tid, None)  # not delivered yet: take it back
            return reason

    def interrupt(self, tid: int, reason: type[BaseException]) -> bool:
        """Stop the job on ``tid`` with ``reason``; False if its body is not running."""
        with self.lock:
            self.reasons[tid] = reason  # first, so a racing leave() sees it
            if not self.inside.get(tid):
                self.reasons.pop(tid, None)
                return False
            future = self.futures.get(tid)
            if isinstance(future, asyncio.Task):  # Task.cancel is for its own loop's thread
                future.get_loop().call_soon_threadsafe(self._cancel_task, tid, future)
            elif future is not None:
                self.cancel_task(tid, future)
            else:
                _raise_in(tid, reason)
            return True

    def cancel_task(self, tid: int, future: Future[Any]) -> None:
        """Cancel the task of the async job run from thread ``tid``. The thread keeps
        waiting for the task to end: cancelling ``future`` instead would release it at
        once, and a task that caught the CancelledError would run on unaccounted for."""
        task = self.tasks.get(tid)
        if task is None:  # not started yet: cancelled before its first step
            future.cancel()
        else:
            task.get_loop().call_soon_threadsafe(task.cancel)

    def cancel_lane_job(self, slot: int, task: asyncio.Task[Any]) -> None:
        """On the lane's loop: cancel the job in ``slot`` once more (it ignored the first
        cancel), if its body still runs on ``task``; the runner's next job must not see it."""
        if self.futures.get(slot) is task:
            task.cancel()

    def _cancel_task(self, slot: int, task: asyncio.Task[Any]) -> None:
        """On the lane's loop: cancel the task if its body still runs. The task cannot
        move meanwhile (same thread), so the cancel never lands in the worker's own code."""
        if self.inside.get(slot):
            task.cancel()
