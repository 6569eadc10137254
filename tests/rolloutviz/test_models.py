"""The models keep one row per natural key and cascade with their simulation."""
import pytest
from django.db import IntegrityError, transaction

from rolloutviz.models import (
    CommandRecord,
    Deployment,
    Revision,
    Simulation,
    Snapshot,
    TickRecord,
)

pytestmark = pytest.mark.django_db


def test_simulation_defaults():
    sim = Simulation.objects.create(name="demo")
    sim.refresh_from_db()
    assert (sim.seed, sim.tick, sim.speed, sim.running, sim.sim_time, sim.seq) == (
        0, 1.0, 1.0, False, 0.0, 0)
    assert sim.demo == "" and sim.lease_owner == "" and sim.lease_expires is None


@pytest.mark.parametrize(
    "make_twice",
    [
        lambda sim: Deployment.objects.create(simulation=sim, namespace="default", name="web"),
        lambda sim: CommandRecord.objects.create(simulation=sim, index=0, sim_time=0, name="apply"),
        lambda sim: TickRecord.objects.create(simulation=sim, seq=1, sim_time=1, payload={}),
    ],
    ids=["deployment-name", "command-index", "tick-seq"],
)
def test_natural_keys_are_unique_per_simulation(make_twice):
    sim, other = Simulation.objects.create(), Simulation.objects.create()
    make_twice(sim)
    make_twice(other)  # the same key in another simulation is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        make_twice(sim)


def test_revision_unique_per_replicaset():
    dep = Deployment.objects.create(simulation=Simulation.objects.create(), name="web")
    Revision.objects.create(deployment=dep, revision=1, replicaset="web-5d4f")
    with pytest.raises(IntegrityError), transaction.atomic():
        Revision.objects.create(deployment=dep, revision=2, replicaset="web-5d4f")


def test_deleting_a_simulation_deletes_its_history():
    sim = Simulation.objects.create()
    dep = Deployment.objects.create(simulation=sim, name="web")
    Revision.objects.create(deployment=dep, revision=1, replicaset="web-5d4f", images=["nginx"])
    CommandRecord.objects.create(simulation=sim, index=0, sim_time=0, name="apply")
    Snapshot.objects.create(simulation=sim, sim_time=0, seq=0, state={"k": 1})
    TickRecord.objects.create(simulation=sim, seq=1, sim_time=1, payload={"v": 1})
    sim.delete()
    counts = [m.objects.count() for m in (Deployment, Revision, CommandRecord, Snapshot, TickRecord)]
    assert counts == [0, 0, 0, 0, 0]


def test_json_fields_round_trip():
    sim = Simulation.objects.create()
    payload = {"v": 1, "changes": [{"type": "ADDED", "object": {"a": [1, 2.5, None, "x"]}}]}
    TickRecord.objects.create(simulation=sim, seq=1, sim_time=1.0, payload=payload)
    assert TickRecord.objects.get(simulation=sim, seq=1).payload == payload


@pytest.mark.parametrize(
    "model", ["simulation", "deployment", "revision", "commandrecord", "snapshot", "tickrecord"])
def test_admin_lists_every_model(admin_client, model):
    sim = Simulation.objects.create(name="listed")
    dep = Deployment.objects.create(simulation=sim, name="web")
    Revision.objects.create(deployment=dep, revision=1, replicaset="web-5d4f", images=["nginx"])
    CommandRecord.objects.create(simulation=sim, index=0, sim_time=0, name="apply")
    Snapshot.objects.create(simulation=sim, sim_time=0, seq=0, state={})
    TickRecord.objects.create(simulation=sim, seq=1, sim_time=1, payload={})
    answer = admin_client.get(f"/admin/rolloutviz/{model}/")
    assert answer.status_code == 200
    assert b"1 " in answer.content  # "1 <model>" in the result count
