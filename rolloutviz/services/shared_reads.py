"""Reads of a simulation (kubectl text views, the Why panel's explanations) answered once per seq,
shared by every request of this process at that seq.

Twenty clients polling ``kubectl get deploy`` of a 1,000-pod simulation asked its worker twenty
times per seq, queued between the clock's steps there; now the first request at a seq asks and
the others at that seq wait for its answer. A state change always moves the simulation's seq
(every change is a numbered delta), so an answer kept for a seq is the answer at that seq.
"""
from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from concurrent.futures import Future

from django.db import connection

from rolloutviz.models import Simulation

KEPT = 256  # answers kept, the oldest dropped first (a few per simulation polled)

_lock = threading.Lock()
_answers: "OrderedDict[tuple, Future]" = OrderedDict()
_computing: set = set()  # the tasks of `Claim.settle_async` (the loop keeps only weak references)


class Claim:
    """A request's place at one read at one seq: it computes the answer (``mine``) or waits for it."""

    def __init__(self, key: tuple, future: Future, mine: bool) -> None:
        self.key, self.future, self.mine = key, future, mine

    def settle(self, compute):
        """The answer: ``compute()`` if it is ours to compute, else the one being computed (blocking)."""
        if self.mine:
            try:
                self._done(compute())
            except BaseException as error:  # noqa: BLE001 - it is every waiter's, raised below
                self._failed(error)
        return self.future.result()  # (bounded: a worker's job has a deadline, `SIM_JOB_DEADLINE`)

    async def settle_async(self, compute):
        """`settle` awaited on the event loop, with ``compute`` a coroutine function: no thread waits.
        The computation is a task of its own, so a request that goes away takes nobody's answer with it."""
        if self.mine:
            task = asyncio.ensure_future(compute())
            _computing.add(task)
            task.add_done_callback(self._finish)
        return await asyncio.wrap_future(self.future)

    def _finish(self, task: asyncio.Future) -> None:
        _computing.discard(task)
        if task.cancelled():
            self._failed(RuntimeError("the read was cancelled (the server is stopping)"))
        elif task.exception() is not None:
            self._failed(task.exception())
        else:
            self._done(task.result())

    def _done(self, value) -> None:
        self.future.set_result(value)

    def _failed(self, error: BaseException) -> None:
        with _lock:  # not kept: the next request asks again
            if _answers.get(self.key) is self.future:
                del _answers[self.key]
        self.future.set_exception(error)


def claim(simulation_id: int, what: tuple) -> Claim | None:
    """This request's `Claim` on the answer to ``what`` at the simulation's current seq (one small
    query); None when there is no such simulation."""
    row = _seq_and_creation(simulation_id)
    if row is None:
        return None
    key = (simulation_id, *row, what)  # (its creation time too: a flushed test database reuses ids)
    with _lock:
        future = _answers.get(key)
        mine = future is None
        if mine:
            future = _answers[key] = Future()
            future.set_running_or_notify_cancel()  # a waiter that goes away cannot cancel it for the others
            while len(_answers) > KEPT:
                _answers.popitem(last=False)
    return Claim(key, future, mine)


def _seq_and_creation(simulation_id: int) -> tuple | None:
    """The simulation's (seq, created), or None. One plain SELECT: it runs for every polled read, and
    compiling the ORM's query took most of such a read's time in the server."""
    table = connection.ops.quote_name(Simulation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, created FROM {table} WHERE id = %s", [simulation_id])
        return cursor.fetchone()


def answer(simulation_id: int, what: tuple, compute):
    """``compute()`` (a read of the simulation's current state, e.g. a kubectl text), or the answer a
    request at the same seq asking the same ``what`` got or is getting."""
    claimed = claim(simulation_id, what)
    if claimed is None:  # (no such simulation: ``compute`` says so as it always does)
        return compute()
    return claimed.settle(compute)
