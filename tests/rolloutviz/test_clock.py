"""The clock's pacing arithmetic and its database lease (exactly one owner per simulation)."""
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from rolloutviz.clock import lease
from rolloutviz.clock.pacing import Pacer
from rolloutviz.models import Simulation


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


def test_running_simulations_are_listed_in_id_order(db):
    ids = [Simulation.objects.create(running=running).id for running in (True, False, True)]
    assert lease.running_simulation_ids() == [ids[0], ids[2]]


def test_process_identities_differ():
    assert lease.process_identity() != lease.process_identity()
