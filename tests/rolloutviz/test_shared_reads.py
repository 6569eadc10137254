"""A text read is computed once per seq and shared by the requests at that seq; a new seq, another
read or a failure asks again."""
import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async

from rolloutviz.models import Simulation
from rolloutviz.services import shared_reads

pytestmark = pytest.mark.django_db(transaction=True)


class Counted:
    """A read that counts its calls (``fail``: it raises instead)."""

    def __init__(self, fail: bool = False) -> None:
        self.calls, self.fail = 0, fail

    def __call__(self):
        self.calls += 1
        if self.fail:
            raise LookupError("no such object")
        return f"answer {self.calls}"


def test_the_requests_at_one_seq_share_one_answer(simulation):
    read = Counted()
    answers = [shared_reads.answer(simulation.id, ("kubectl", "get deploy"), read) for _ in range(3)]
    assert answers == ["answer 1"] * 3 and read.calls == 1


CHANGES = {
    "a-new-seq": lambda sim: Simulation.objects.filter(pk=sim.id).update(seq=sim.seq + 1),
    "another-read": None,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_new_seq_or_another_read_asks_again(simulation, change):
    read = Counted()
    shared_reads.answer(simulation.id, ("kubectl", "get deploy"), read)
    if change is not None:
        change(simulation)
    what = ("kubectl", "get deploy") if change is not None else ("kubectl", "get pods")
    assert shared_reads.answer(simulation.id, what, read) == "answer 2"


def test_a_failure_is_everyones_at_the_time_and_not_kept(simulation):
    failing = Counted(fail=True)
    for _ in range(2):
        with pytest.raises(LookupError):
            shared_reads.answer(simulation.id, ("kubectl", "get deploy nope"), failing)
    assert failing.calls == 2


def test_requests_arriving_together_wait_for_the_first_ones_answer(simulation):
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(10)
        return "slow answer"

    got = []
    first = threading.Thread(target=lambda: got.append(shared_reads.answer(simulation.id, ("x",), slow)))
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=lambda: got.append(shared_reads.answer(simulation.id, ("x",), slow)))
              for _ in range(3)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(10)
    assert got == ["slow answer"] * 4 and len(calls) == 1


def test_a_missing_simulation_is_left_to_the_read():
    assert shared_reads.answer(10**9, ("x",), Counted()) == "answer 1"


async def test_awaited_reads_share_one_computation_and_a_waiter_going_away_takes_nothing(simulation):
    release, calls = asyncio.Event(), []

    async def compute():
        calls.append(1)
        await release.wait()
        return "awaited answer"

    claims = [await sync_to_async(shared_reads.claim)(simulation.id, ("y",)) for _ in range(3)]
    first, gone, other = (asyncio.ensure_future(c.settle_async(compute)) for c in claims)
    await asyncio.sleep(0.01)
    first.cancel()  # the request computing it goes away, then a waiter does
    gone.cancel()
    release.set()
    assert await other == "awaited answer" and calls == [1]


def test_the_polled_explanations_are_read_once_per_seq(simulation, monkeypatch):
    from rolloutviz.services import explanations, live, simulations

    asked = []
    real = live.read
    monkeypatch.setattr(live, "read", lambda **kwargs: asked.append(kwargs) or real(**kwargs))
    first = [explanations.explanations(simulation_id=simulation.id) for _ in range(3)]
    assert len(asked) == 1 and first[0] is first[1] is first[2]
    simulations.clock_step(simulation_id=simulation.id, count=1)
    after = explanations.explanations(simulation_id=simulation.id)
    assert len(asked) == 2 and after["t"] > first[0]["t"]
