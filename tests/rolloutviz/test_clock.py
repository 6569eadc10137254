"""The clock: pacing arithmetic, the database lease (one owner per simulation), the registry, stalls, idle stop."""
import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings
from django.utils import timezone

from live_scenario import prepare
from rolloutviz import protocol
from rolloutviz.clock import lease
from rolloutviz.clock import registry as registry_module
from rolloutviz.clock.pacing import Keeping, Pacer
from rolloutviz.clock.registry import ClockRegistry, DatabaseDriver
from rolloutviz.models import Simulation, TickRecord
from rolloutviz.services import live, watching


@pytest.mark.parametrize(
    "speed, tick, elapsed, done, due",
    [
        (1.0, 1.0, 0.0, 0, 0),
        (1.0, 1.0, 0.999, 0, 0),
        (1.0, 1.0, 1.0, 0, 1),
        (1.0, 1.0, 3.5, 1, 2),
        (0.5, 1.0, 1.9, 0, 0),
        (0.5, 1.0, 2.0, 0, 1),
        (2.0, 1.0, 1.0, 0, 2),
        (50.0, 1.0, 1.0, 0, 50),
        (50.0, 1.0, 0.1, 5, 0),
        (10.0, 0.5, 1.0, 3, 17),
        (1.0, 1.0, 0.5, 4, 0),
    ],
    ids=["start", "just-before", "on-time", "behind", "half-speed-early", "half-speed-due",
         "double", "fifty-times", "fifty-times-caught-up", "half-second-ticks", "ahead"],
)
def test_pacer_due_steps(speed, tick, elapsed, done, due):
    pacer = Pacer(start=100.0, speed=speed, tick=tick, done=done)
    assert pacer.due(100.0 + elapsed) == due


@pytest.mark.parametrize(
    "speed, tick, done, next_at",
    [(1.0, 1.0, 0, 101.0), (0.5, 1.0, 2, 106.0), (50.0, 1.0, 9, 100.2), (5.0, 2.0, 0, 100.4)],
    ids=["one", "half", "fifty", "two-second-ticks"],
)
def test_pacer_next_deadline(speed, tick, done, next_at):
    assert Pacer(start=100.0, speed=speed, tick=tick, done=done).next_at() == pytest.approx(next_at)


@pytest.fixture
def sim(db):
    return Simulation.objects.create(name="leased", running=True)


def _expire(sim):
    Simulation.objects.filter(pk=sim.pk).update(lease_expires=timezone.now() - timedelta(seconds=1))


def test_a_free_lease_is_taken_and_then_refused_to_others(sim):
    assert lease.acquire(sim.id, "a") is not None
    assert lease.acquire(sim.id, "b") is None
    sim.refresh_from_db()
    assert sim.lease_owner == "a" and sim.lease_expires > timezone.now()


@override_settings(CLOCK_LEASE_SECONDS=7)
def test_acquire_reports_the_clock_and_sets_the_lease_length(sim):
    Simulation.objects.filter(pk=sim.pk).update(speed=5.0, seq=12, sim_time=12.0)
    state = lease.acquire(sim.id, "a")
    assert (state.running, state.speed, state.seq, state.t, state.tick) == (True, 5.0, 12, 12.0, 1.0)
    sim.refresh_from_db()
    remaining = (sim.lease_expires - timezone.now()).total_seconds()
    assert 5 < remaining <= 7


def test_an_expired_lease_is_taken_over_and_the_old_owner_cannot_renew(sim):
    lease.acquire(sim.id, "a")
    _expire(sim)
    assert lease.acquire(sim.id, "b") is not None
    assert lease.renew(sim.id, "a") is None
    assert lease.renew(sim.id, "b") is not None


def test_only_the_owner_releases(sim):
    lease.acquire(sim.id, "a")
    lease.release(sim.id, "b")
    assert lease.acquire(sim.id, "b") is None
    lease.release(sim.id, "a")
    assert lease.acquire(sim.id, "b") is not None


def test_the_owner_may_take_its_own_lease_again(sim):
    assert lease.acquire(sim.id, "a") is not None
    assert lease.acquire(sim.id, "a") is not None


def test_a_paused_simulation_is_not_leased_and_its_lease_is_not_renewed(sim):
    lease.acquire(sim.id, "a")
    Simulation.objects.filter(pk=sim.pk).update(running=False)
    assert lease.renew(sim.id, "a") is None
    lease.release(sim.id, "a")
    assert lease.acquire(sim.id, "a") is None


def test_claimable_simulations_are_running_ones_with_a_free_expired_or_own_lease(db):
    ids = [Simulation.objects.create(running=running).id for running in (True, False, True, True, True)]
    lease.acquire(ids[2], "b")
    lease.acquire(ids[3], "a")
    lease.acquire(ids[4], "b")
    _expire(Simulation.objects.get(pk=ids[4]))
    assert lease.claimable_simulation_ids("a") == [ids[0], ids[3], ids[4]]


def test_process_identities_differ():
    assert lease.process_identity() != lease.process_identity()


# ---------------------------------------------------------------- the registry, driving real simulations

ASYNC_TIMEOUT = 20


async def _row(sim_id):
    return await database_sync_to_async(lambda: Simulation.objects.get(pk=sim_id))()


async def _until(predicate, what):
    """Poll an async predicate until true; fail after ASYNC_TIMEOUT seconds."""
    async def poll():
        while not await predicate():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), ASYNC_TIMEOUT)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def _seq_at_least(sim_id, seq):
    return (await _row(sim_id)).seq >= seq


async def _recorded(sim_id):
    return await database_sync_to_async(
        lambda: list(TickRecord.objects.filter(simulation_id=sim_id).order_by("seq").values_list("seq", "sim_time")))()


def _contiguous(records):
    seqs = [seq for seq, _ in records]
    return seqs == list(range(1, len(seqs) + 1))


@pytest.fixture
async def running_sim(settings):
    settings.CLOCK_LEASE_SECONDS = 1.0
    live.forget()
    sim_id = await database_sync_to_async(prepare)(running=True, speed=50)
    yield sim_id
    live.forget()


def _registry(owner):
    return ClockRegistry(DatabaseDriver(owner=owner), scan_interval=0.05, renew_interval=0.2)


@pytest.mark.django_db(transaction=True)
async def test_a_registry_drives_a_running_simulation_and_releases_its_lease_when_stopped(running_sim):
    start = (await _row(running_sim)).seq
    registry = _registry("a")
    task = asyncio.create_task(registry.run())
    await _until(lambda: _seq_at_least(running_sim, start + 10), "ten steps")
    assert (await _row(running_sim)).lease_owner == "a"
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert (await _row(running_sim)).lease_owner == ""
    assert _contiguous(await _recorded(running_sim))


@pytest.mark.django_db(transaction=True)
async def test_two_registries_never_both_drive_one_simulation(running_sim):
    start = (await _row(running_sim)).seq
    first, second = _registry("a"), _registry("b")
    tasks = [asyncio.create_task(first.run())]
    await _until(lambda: _seq_at_least(running_sim, start + 3), "the first registry to drive")
    tasks.append(asyncio.create_task(second.run()))
    await _until(lambda: _seq_at_least(running_sim, start + 20), "twenty steps")
    assert running_sim in first.tasks and running_sim not in second.tasks
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    records = await _recorded(running_sim)
    assert _contiguous(records)
    step_times = [t for _, t in records[start:]]
    assert step_times == sorted(set(step_times)), "a tick was repeated"


@pytest.mark.django_db(transaction=True)
async def test_when_the_lease_holder_dies_another_registry_takes_over_where_it_stopped(running_sim, monkeypatch):
    start = (await _row(running_sim)).seq
    dying, heir = _registry("dying"), _registry("heir")

    async def no_release(simulation_id):  # a killed process releases nothing
        return None

    monkeypatch.setattr(dying.driver, "release", no_release)
    monkeypatch.setattr(dying.driver, "release_all", lambda: no_release(None))
    dying_task = asyncio.create_task(dying.run())
    await _until(lambda: _seq_at_least(running_sim, start + 5), "the first holder to drive")
    heir_task = asyncio.create_task(heir.run())
    dying_task.cancel()
    await asyncio.gather(dying_task, return_exceptions=True)
    died_at = (await _row(running_sim)).seq
    assert (await _row(running_sim)).lease_owner == "dying"

    async def heir_drives():
        row = await _row(running_sim)
        return row.lease_owner == "heir" and row.seq >= died_at + 10

    await _until(heir_drives, "the heir to take the lease over and go on")
    heir_task.cancel()
    await asyncio.gather(heir_task, return_exceptions=True)
    records = await _recorded(running_sim)
    assert _contiguous(records)
    assert [t for _, t in records[start:]] == [float(t) for t in range(int(records[start][1]), int(records[-1][1]) + 1)]


@pytest.mark.django_db(transaction=True)
async def test_pausing_stops_the_clock_and_frees_the_lease(running_sim):
    registry = _registry("a")
    task = asyncio.create_task(registry.run())
    await _until(lambda: _seq_at_least(running_sim, 25), "the clock to run")
    await database_sync_to_async(live.set_clock)(simulation_id=running_sim, running=False)

    async def released():
        return (await _row(running_sim)).lease_owner == "" and registry.tasks[running_sim].done()

    await _until(released, "the clock to stop")
    paused_at = (await _row(running_sim)).seq
    await asyncio.sleep(0.3)  # several scans: nothing may be advanced while paused
    assert (await _row(running_sim)).seq == paused_at
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def test_release_all_frees_only_the_owners_leases(db):
    ids = [Simulation.objects.create(running=True).id for _ in range(3)]
    lease.acquire(ids[0], "a"), lease.acquire(ids[1], "a"), lease.acquire(ids[2], "b")
    lease.release_all("a")
    assert [Simulation.objects.get(pk=i).lease_owner for i in ids] == ["", "", "b"]


@pytest.mark.django_db(transaction=True)
async def test_a_failing_batch_shows_stalled_then_live_and_the_clock_goes_on(running_sim, monkeypatch):
    from django.db import OperationalError

    statuses = []
    original_publish, original_advance = live.publish_async, live.advance_async
    failures = [3]

    async def publish(simulation_id, messages):
        statuses.extend(protocol.decode(m["text"]) for m in messages if m["type"] == protocol.LAYER_STATUS)
        await original_publish(simulation_id, messages)

    async def advance(**kwargs):
        if failures[0]:
            failures[0] -= 1
            raise OperationalError("database or disk is full")
        return await original_advance(**kwargs)

    monkeypatch.setattr(live, "publish_async", publish)
    monkeypatch.setattr(live, "advance_async", advance)
    start = (await _row(running_sim)).seq
    registry = ClockRegistry(DatabaseDriver(owner="a"), scan_interval=0.05, renew_interval=0.2,
                             retry_delays=(0.05,))
    task = asyncio.create_task(registry.run())
    await _until(lambda: _seq_at_least(running_sim, start + 5), "the clock to go on after the fault")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [(s["state"], s["reason"]) for s in statuses] == [("stalled", "the database disk is full"), ("live", "")]
    assert _contiguous(await _recorded(running_sim))


@pytest.mark.django_db(transaction=True)
async def test_a_simulation_nobody_watches_stops_its_clock_with_a_delta_saying_why(running_sim, settings, monkeypatch):
    settings.IDLE_STOP_SECONDS = 0.3
    monkeypatch.setattr(watching, "WRITE_EVERY_SECONDS", 0.0)
    monkeypatch.setattr(registry_module, "IDLE_CHECK_SECONDS", 0.1)
    await database_sync_to_async(lambda: Simulation.objects.filter(pk=running_sim).update(
        last_watched=timezone.now() - timedelta(seconds=10)))()
    registry = _registry("a")
    task = asyncio.create_task(registry.run())

    async def stopped():
        return not (await _row(running_sim)).running

    await _until(stopped, "the idle clock to stop")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    last = await database_sync_to_async(
        lambda: TickRecord.objects.filter(simulation_id=running_sim).order_by("-seq").first().payload)()
    assert (last["cause"], last["clock"]["running"]) == ("clock", False)
    assert last["markers"][0]["detail"].endswith("stopped: nobody watching for 0.005 min")


@pytest.mark.django_db(transaction=True)
async def test_a_watched_simulation_keeps_running(running_sim, settings, monkeypatch):
    settings.IDLE_STOP_SECONDS = 0.3
    monkeypatch.setattr(watching, "WRITE_EVERY_SECONDS", 0.0)
    monkeypatch.setattr(registry_module, "IDLE_CHECK_SECONDS", 0.1)
    registry = _registry("a")
    task = asyncio.create_task(registry.run())
    for _ in range(10):
        await database_sync_to_async(watching.mark_watched)(running_sim)
        await asyncio.sleep(0.1)
    assert (await _row(running_sim)).running
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


@pytest.mark.parametrize(
    "batches, effective",
    [([(1.0, 5, 0)], None), ([(1.0, 4, 6), (2.0, 4, 6)], 0.4), ([(0.0, 1, 9), (9.0, 5, 0)], None)],
    ids=["on-pace", "behind", "old-trouble-forgotten"],
)
def test_keeping_reports_the_achieved_fraction_only_when_behind(batches, effective):
    keeping = Keeping(window=5.0)
    for now, taken, given_up in batches:
        keeping.add(now, taken, given_up)
    assert keeping.effective(batches[-1][0]) == effective
