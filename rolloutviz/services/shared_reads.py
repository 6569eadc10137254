"""Text reads of a simulation answered once per seq, shared by every request of this process at that seq.

Twenty clients polling ``kubectl get deploy`` of a 1,000-pod simulation asked its worker twenty
times per seq, queued between the clock's steps there; now the first request at a seq asks and
the others at that seq wait for its answer. A state change always moves the simulation's seq
(every change is a numbered delta), so an answer kept for a seq is the answer at that seq.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future

from rolloutviz.models import Simulation

KEPT = 256  # answers kept, the oldest dropped first (a few per simulation polled)

_lock = threading.Lock()
_answers: "OrderedDict[tuple, Future]" = OrderedDict()


def answer(simulation_id: int, what: tuple, compute):
    """``compute()`` (a read of the simulation's current state, e.g. a kubectl text), or the answer a
    request at the same seq asking the same ``what`` got or is getting."""
    row = Simulation.objects.filter(pk=simulation_id).values_list("seq", "created").first()
    if row is None:  # (no such simulation: ``compute`` says so as it always does)
        return compute()
    key = (simulation_id, *row, what)  # (its creation time too: a flushed test database reuses ids)
    with _lock:
        future = _answers.get(key)
        mine = future is None
        if mine:
            future = _answers[key] = Future()
            while len(_answers) > KEPT:
                _answers.popitem(last=False)
    if mine:
        try:
            future.set_result(compute())
        except BaseException as error:  # not kept: the next request asks again
            with _lock:
                if _answers.get(key) is future:
                    del _answers[key]
            future.set_exception(error)
    return future.result()  # (bounded: a worker's job has a deadline, `SIM_JOB_DEADLINE`)
