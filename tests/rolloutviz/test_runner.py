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
from rolloutviz.runner.pool import HEAVY_JOB_SECONDS, RoundRobin, cpu_seconds
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


def wait_until_computed(workers: WorkerPool, worker_pid: int, seconds: float) -> None:
    """Until the current job of the worker with that process id has computed for ``seconds`` of CPU time."""
    [worker] = [w for w in workers.workers if w.process.pid == worker_pid]
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        running = worker.running
        if running is not None and cpu_seconds(worker_pid) - running[2] >= seconds:
            return
        time.sleep(0.01)
    raise AssertionError("the job never computed that long")


def compute_then_pid(seconds: float) -> int:
    """A job that computes for ``seconds`` of CPU time, as a huge simulation's step does."""
    started = time.process_time()
    while time.process_time() - started < seconds:
        pass
    return os.getpid()


def test_a_simulation_moves_off_a_worker_busy_with_a_heavy_one_and_is_not_held_behind_it(pool):
    workers = pool(size=2)
    light, other, heavy = 1, 2, 3
    home, elsewhere, shared = (workers.submit(sim, pid, {}).result(TIMEOUT) for sim in (light, other, heavy))
    assert home == shared != elsewhere  # the heavy one landed beside the light one (fewest owned)
    long_step = workers.submit(heavy, compute_then_pid, {"seconds": 1.5})
    wait_until_computed(workers, shared, HEAVY_JOB_SECONDS)
    # A job of the light simulation now goes to the other worker, and is answered while the long step runs.
    assert workers.submit(light, pid, {}).result(TIMEOUT) == elsewhere
    assert not long_step.done()
    assert long_step.result(TIMEOUT) == shared
    # Once it computed long, the heavy one stays where it is, and a new simulation keeps away from it.
    assert workers.submit(heavy, pid, {}).result(TIMEOUT) == shared
    assert workers.submit(4, pid, {}).result(TIMEOUT) == elsewhere
    assert workers.owner(light) == elsewhere


def test_a_job_that_waits_long_without_computing_makes_no_simulation_heavy(pool):
    workers = pool(size=2)
    home, elsewhere, shared = (workers.submit(sim, pid, {}).result(TIMEOUT) for sim in (1, 2, 3))
    assert home == shared != elsewhere
    # e.g. a commit waiting for the database's write lock behind another simulation's
    waiting = workers.submit(3, sleep_then_pid, {"seconds": 1.0})
    time.sleep(0.5)
    assert workers.submit(1, pid, {}).result(TIMEOUT) == home  # it waited behind, and stays
    assert waiting.result(TIMEOUT) == shared
    assert workers.submit(1, pid, {}).result(TIMEOUT) == home


def pid_and_time() -> tuple[int, float]:
    """Which process ran the job, and when (the monotonic clock is the machine's)."""
    return os.getpid(), time.monotonic()


def test_jobs_waiting_behind_a_long_step_move_to_a_free_worker_in_order(pool):
    workers = pool(size=2)
    home = workers.submit(1, pid, {}).result(TIMEOUT)
    elsewhere = workers.submit(2, pid, {}).result(TIMEOUT)
    long_step = workers.submit(3, compute_then_pid, {"seconds": 2.0})  # beside simulation 1
    # Queued before the step counts as long, so they start out waiting behind it ...
    waiting = [workers.submit(1, pid_and_time, {}) for _ in range(3)]
    answers = [job.result(TIMEOUT) for job in waiting]
    # ... and run elsewhere, in order, while the step still runs.
    assert not long_step.done()
    assert [p for p, _ in answers] == [elsewhere] * 3
    assert [t for _, t in answers] == sorted(t for _, t in answers)
    assert long_step.result(TIMEOUT) == home


def test_a_caller_that_stops_waiting_does_not_stop_the_workers_answers(pool):
    workers = pool(size=1)
    abandoned = workers.submit(1, sleep_then_pid, {"seconds": 0.2})
    abandoned.cancel()  # what a cancelled asyncio task does to the future it awaited
    assert workers.submit(1, pid, {}).result(TIMEOUT) == abandoned.result(TIMEOUT)


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
