"""Scenario files: an export imported again replays to the very same history (every delta the
same but the simulation's id and the wall-clock `clock` block), and a bad file is refused with
field paths before anything is created."""
import json

import pytest

from rolloutviz.models import CommandRecord, Deployment, Simulation, TickRecord
from rolloutviz.services import commands, copies, live, scenarios, simulations
from rolloutviz.services import scenario_file as fmt
from simulator.errors import ValidationError

pytestmark = pytest.mark.django_db(transaction=True)

SERVICE = ("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n"
           "  ports:\n  - port: 80\n")


def deltas(sim_id: int) -> list[dict]:
    """The recorded deltas without what differs by design: the id and the clock block."""
    return [{k: v for k, v in payload.items() if k not in ("sim", "clock")}
            for payload in TickRecord.objects.filter(simulation_id=sim_id).order_by("seq")
            .values_list("payload", flat=True)]


def final_state(sim_id: int) -> dict:
    state = live.state(simulation_id=sim_id)
    return {k: v for k, v in state.items() if k not in ("sim", "clock")}


def driven(sim, web_yaml):
    """Rolling update, a typo image, undo, scale, a pod deleted, a node down, traffic, clock changes."""
    sid = {"simulation_id": sim.id}
    commands.manifest_apply(**sid, yaml_text=web_yaml(replicas=3) + SERVICE)
    simulations.clock_step(**sid, count=15)
    simulations.clock_set(**sid, speed=2)
    commands.service_traffic(**sid, service="web", rate=5)
    commands.deployment_set_image(**sid, deployment="web", container="app", image="nginx:1.16.1")
    simulations.clock_step(**sid, count=20)
    commands.deployment_set_image(**sid, deployment="web", container="app", image="nginx:1.161")
    simulations.clock_step(**sid, count=10)
    commands.deployment_rollback(**sid, deployment="web")
    simulations.clock_step(**sid, count=10)
    commands.deployment_scale(**sid, deployment="web", replicas=5)
    simulations.clock_step(**sid, count=5)
    commands.pod_delete(**sid, deployment="web")
    live.set_clock(**sid, running=False, reason="stopped: nobody watching for 10 min")
    commands.node_set_ready(**sid, node="node-1", ready=False)
    simulations.clock_step(**sid, count=12)
    with pytest.raises(Exception):  # refused: left out of the scenario, changes nothing
        commands.deployment_scale(**sid, deployment="nope", replicas=1)
    commands.node_set_ready(**sid, node="node-1", ready=True)
    simulations.clock_step(**sid, count=3)
    return sim


def demo(sim, web_yaml):
    return Simulation.objects.get(pk=simulations.simulation_create(demo="nginx-rolling-update").id)


def imported(source_id: int) -> Simulation:
    document = json.loads(json.dumps(scenarios.scenario_export(simulation_id=source_id)))
    return scenarios.scenario_import(document=document, owner_session="someone")


def test_export_import_reproduces_a_driven_simulation(simulation, web_yaml):
    source = driven(simulation, web_yaml)
    copy = imported(source.id)
    source.refresh_from_db()
    assert (copy.seq, copy.sim_time, copy.running, copy.speed) == (source.seq, source.sim_time, False, 2.0)
    assert deltas(copy.id) == deltas(source.id)
    assert final_state(copy.id) == final_state(source.id)
    assert copy.owner_session == "someone"
