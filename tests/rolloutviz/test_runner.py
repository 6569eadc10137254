"""The pool of simulation workers: sticky routing, fairness inside a worker, dead and overrunning
workers replaced, simulations reloaded from the database, and the same results as in-process."""
import os
import signal
import time
from concurrent.futures import wait
from pathlib import Path

import pytest
from django.db import connection

from live_scenario import MANIFEST, prepare
from rolloutviz import runner
from rolloutviz.models import Simulation, TickRecord
from rolloutviz.runner import WorkerLost, WorkerPool
from rolloutviz.runner.worker import RoundRobin
from rolloutviz.services import live

pytestmark = pytest.mark.django_db(transaction=True)  # the workers read what this process committed
HERE = Path(__file__).resolve().parent
TIMEOUT = 60  # generous: a worker starts Django first; only catches hangs


def pid() -> int:
    """A job answering which process ran it."""
    return os.getpid()


def sleep_then_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@pytest.fixture
def worker_env(monkeypatch):
    """Workers use this test's database and can import this module's jobs."""
    monkeypatch.setenv("ROLLOUTVIZ_SQLITE", str(connection.settings_dict["NAME"]))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(HERE.parent.parent)]))


@pytest.fixture
def pool(worker_env):
    started = []

    def make(size=2, deadline=30.0):
        started.append(WorkerPool(size, deadline=deadline))
        return started[-1]

    yield make
    for p in started:
        p.close()


@pytest.fixture
def pooled(worker_env, settings):
    """`rolloutviz.runner` with a pool of two workers, as in a server process."""
    settings.SIM_WORKERS = 2
    live.forget()
    started = runner.start()
    yield started
    runner.stop()
    live.forget()


def test_round_robin_serves_one_job_per_simulation_in_turn():
    jobs = RoundRobin()
    for job in ["a1", "a2", "a3"]:
        jobs.add(1, job)
    jobs.add(2, "b1")
    jobs.add(3, "c1")
    order = [jobs.next()]
    jobs.add(2, "b2")
    while jobs:
        order.append(jobs.next())
    assert order == ["a1", "b1", "c1", "a2", "b2", "a3"]


def test_routing_is_sticky_and_a_new_simulation_goes_to_the_least_loaded_worker(pool):
    workers = pool(size=2)
    first = [workers.submit(sim, pid, {}).result(TIMEOUT) for sim in (1, 2, 3, 4)]
    assert len(set(first)) == 2 and first[0] == first[2] and first[1] == first[3]
    again = [workers.submit(sim, pid, {}).result(TIMEOUT) for sim in (4, 3, 2, 1)]
    assert again == first[::-1]


def test_a_simulation_with_a_long_queue_does_not_hold_back_another_on_the_same_worker(pool):
    workers = pool(size=1)
    heavy = [workers.submit(1, sleep_then_pid, {"seconds": 0.3}) for _ in range(6)]
    light = workers.submit(2, pid, {})
    light.result(TIMEOUT)
    assert sum(f.done() for f in heavy) <= 2, "the light simulation waited for the heavy one's whole queue"
    wait(heavy, timeout=TIMEOUT)


def test_a_killed_worker_is_replaced_its_job_fails_and_its_queued_jobs_run_on_the_replacement(pool):
    workers = pool(size=1)
    victim = workers.submit(1, pid, {}).result(TIMEOUT)
    running = workers.submit(1, sleep_then_pid, {"seconds": 30})
    queued = workers.submit(2, pid, {})
    deadline = time.monotonic() + TIMEOUT
    while workers.workers[0].running is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(WorkerLost, match="exited unexpectedly"):
        running.result(TIMEOUT)
    replacement = queued.result(TIMEOUT)
    assert replacement != victim and workers.replacements == 1


def test_a_job_over_its_deadline_is_killed_reported_and_the_simulation_goes_on(pool):
    workers = pool(size=1, deadline=1.0)
    slow = workers.submit(7, sleep_then_pid, {"seconds": 30})
    with pytest.raises(WorkerLost, match=r"simulation 7 ran longer than 1 s"):
        slow.result(TIMEOUT)
    assert workers.submit(7, pid, {}).result(TIMEOUT) > 0


def test_errors_come_back_as_they_were_raised(pool):
    workers = pool(size=1)
    with pytest.raises(Simulation.DoesNotExist):
        workers.submit(999, live._state_text, {"simulation_id": 999}).result(TIMEOUT)


def test_through_the_pool_the_records_are_those_computed_in_process(pooled):
    reference = prepare(running=False)
    live.execute(simulation_id=reference, command="scale", args={"name": "web", "replicas": 3})
    live.advance(simulation_id=reference, steps=15)
    runner.stop()  # the same, computed here
    try:
        live.forget()
        here = prepare(running=False)
        live.execute(simulation_id=here, command="scale", args={"name": "web", "replicas": 3})
        live.advance(simulation_id=here, steps=15)
    finally:
        runner.start()
    strip = lambda sim: [{**p, "sim": 0} for p in  # noqa: E731
                         TickRecord.objects.filter(simulation_id=sim).order_by("seq").values_list("payload", flat=True)]
    assert strip(reference) == strip(here)
    assert live.state(simulation_id=reference) == {**live.state(simulation_id=here), "sim": reference}


def test_a_simulation_whose_worker_died_reloads_from_the_database_and_goes_on(pooled):
    sim_id = prepare(running=False)
    before = live.state(simulation_id=sim_id)
    os.kill(pooled.owner(sim_id), signal.SIGKILL)
    deadline = time.monotonic() + TIMEOUT
    while pooled.replacements == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert live.state(simulation_id=sim_id) == before  # rebuilt by another process from the records
    state = live.advance(simulation_id=sim_id, steps=3)
    assert state.seq == before["seq"] + 3
    seqs = list(TickRecord.objects.filter(simulation_id=sim_id).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, state.seq + 1))


def test_views_run_on_the_live_copy_where_it_lives(pooled):
    sim = Simulation.objects.create(name="v", seed=1)
    live.execute(simulation_id=sim.id, command="apply", args={"source": MANIFEST})
    assert live.read(simulation_id=sim.id, view=deployment_names) == ["web"]
    assert live.cluster_for_read(simulation_id=sim.id).list("deployment")[0]["metadata"]["name"] == "web"


def deployment_names(cluster) -> list[str]:
    return [d["metadata"]["name"] for d in cluster.list("deployment")]


def test_workers_that_cannot_start_are_replaced_ever_more_slowly(pool, monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "no.such.settings")  # every worker dies at start
    workers = pool(size=1)
    deadline = time.monotonic() + TIMEOUT
    while workers.replacements < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers.replacements >= 3
    delays = [float(w.process.args[-1]) for w in workers.workers]
    assert delays and delays[0] >= 1.0  # replacements wait 0.5, 1, 2 s … before starting
