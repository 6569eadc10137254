"""Where simulation work runs: in this process's pool of worker processes when it has one, else here.

Every operation that needs a simulation's `Cluster` is a module-level function of
`rolloutviz.services.live` called through `run` (from threads) or `run_async` (from the event
loop). A server process (Daphne, `runclock`) starts a `WorkerPool` (`start`), and the call is
sent to the worker that owns the simulation; the worker runs the very same function and hands
back its result and the layer messages it produced, which this process publishes. Without a
pool (tests, short management commands), inside a worker, or inside a caller's open
transaction (a worker could not see its uncommitted rows), the function runs right here.

Beside it: `faults` (a failure's reason as a page shows it, logged once per episode) and `tail`
(other processes' deltas for this process's viewers, on the in-memory layer).
"""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections

from rolloutviz.runner.pool import WorkerLost, WorkerPool

__all__ = ["WorkerLost", "WorkerPool", "collecting", "outbox", "pool", "run", "run_async", "side_lane", "start",
           "stop", "in_thread"]

logger = logging.getLogger(__name__)

_pool: WorkerPool | None = None
_outbox: contextvars.ContextVar[list | None] = contextvars.ContextVar("rolloutviz_outbox", default=None)


def side_lane(simulation_id: int) -> int:
    """The routing key of a simulation's work beside its live copy (a seek into its past, a
    what-if check on a copy): never a simulation's own id, so that work queues apart from the
    simulation's clock and commands, one job at a time per simulation."""
    return -simulation_id


def worker_count() -> int:
    """Worker processes per server process (setting ``SIM_WORKERS``; 0 computes in the server itself)."""
    configured = getattr(settings, "SIM_WORKERS", None)
    if configured is None:
        return max(2, os.cpu_count() or 1)
    return int(configured)


def job_deadline() -> float:
    """Seconds one job may run before its worker is killed and replaced (setting ``SIM_JOB_DEADLINE``)."""
    return float(getattr(settings, "SIM_JOB_DEADLINE", 30.0))


def pool() -> WorkerPool | None:
    """This process's pool, if it started one."""
    return _pool


def start(*, loop: asyncio.AbstractEventLoop | None = None, publish=None) -> WorkerPool | None:
    """Start this process's pool (once); ``publish(simulation_id, messages)`` is awaited on ``loop``."""
    global _pool
    if _pool is None and worker_count() > 0:
        _pool = WorkerPool(worker_count(), deadline=job_deadline(), loop=loop, publish=publish)
        logger.info("simulation workers: %s processes", worker_count())
    return _pool


def stop() -> None:
    """Stop this process's workers (their simulations reload from the database wherever used next)."""
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


def _local(simulation_id: int | None) -> bool:
    return _pool is None or simulation_id is None or connection.in_atomic_block


def run(simulation_id: int | None, function, /, **kwargs):
    """``function(**kwargs)`` for ``simulation_id``: in its worker (blocking this thread), or here."""
    if _local(simulation_id):
        return function(**kwargs)
    return _pool.submit(simulation_id, function, kwargs).result()


async def run_async(simulation_id: int | None, function, /, **kwargs):
    """Like `run`, awaited from the event loop: it never blocks the loop, and without a pool runs in a thread."""
    if _pool is None:
        return await in_thread(function)(**kwargs)
    return await asyncio.wrap_future(_pool.submit(simulation_id, function, kwargs))


def in_thread(function):
    """``function`` as a coroutine run in a pool thread, not the one thread Django's sync views share.

    The thread's database connection is closed after each call: pool threads outlive requests.
    """
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return sync_to_async(call, thread_sensitive=False)


@contextlib.contextmanager
def collecting():
    """Inside: `outbox()` is a list that layer messages are appended to instead of being sent."""
    box: list = []
    token = _outbox.set(box)
    try:
        yield box
    finally:
        _outbox.reset(token)


def outbox() -> list | None:
    """The list collecting layer messages (a worker's job), or None: send them to the layer."""
    return _outbox.get()

