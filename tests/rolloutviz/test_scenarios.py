"""Scenario files: an export imported again replays to the very same history (every delta the
same but the simulation's id and the wall-clock `clock` block), and a bad file is refused with
field paths before anything is created."""
import json

import pytest

from rolloutviz.models import Simulation, TickRecord
from rolloutviz.services import commands, copies, live, rewind, scenarios, simulations
from rolloutviz.services import scenario_file as fmt
from rolloutviz.services.errors import NotFound

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
    with pytest.raises(NotFound):  # refused: left out of the scenario, changes nothing
        commands.deployment_scale(**sid, deployment="nope", replicas=1)
    commands.node_set_ready(**sid, node="node-1", ready=True)
    simulations.clock_step(**sid, count=3)
    return sim


def demo(sim, web_yaml):
    """A demo as created from the page, run on a while."""
    made = simulations.simulation_create(demo="nginx-docs", seed=7)
    simulations.clock_step(simulation_id=made.id, count=25)
    return made


def copy_of_driven(sim, web_yaml):
    """A sandbox copy (the records copied, not replayed), driven further."""
    made = copies.simulation_copy(simulation_id=driven(sim, web_yaml).id)
    commands.deployment_scale(simulation_id=made.id, deployment="web", replicas=2)
    simulations.clock_step(simulation_id=made.id, count=8)
    return made


def branch_of_driven(sim, web_yaml):
    """A copy branched from a past moment of the driven scenario (rewind's continue-from-here), driven on."""
    source = driven(sim, web_yaml)
    source.refresh_from_db()
    made = Simulation.objects.get(pk=rewind.copy_at(simulation_id=source.id, seq=source.seq - 12))
    commands.deployment_scale(simulation_id=made.id, deployment="web", replicas=3)
    simulations.clock_step(simulation_id=made.id, count=6)
    return made


def demo_reset(sim, web_yaml):
    """A demo reset half-way: its history begins from a cluster made elsewhere (the starting state)."""
    made = demo(sim, web_yaml)
    simulations.simulation_reset(simulation_id=made.id)
    simulations.clock_step(simulation_id=made.id, count=6)
    commands.deployment_set_image(simulation_id=made.id, deployment="nginx-deployment", container="nginx",
                                  image="nginx:1.16.1")
    simulations.clock_step(simulation_id=made.id, count=9)
    return made


def reset_twice(sim, web_yaml):
    """Reset again after a reset: the history begins at the last one."""
    made = demo_reset(sim, web_yaml)
    simulations.simulation_reset(simulation_id=made.id)
    commands.deployment_scale(simulation_id=made.id, deployment="nginx-deployment", replicas=5)
    simulations.clock_step(simulation_id=made.id, count=7)
    return made


def reimported(sim, web_yaml):
    """A simulation that was itself imported with a starting state, driven further."""
    made = imported(demo_reset(sim, web_yaml).id)
    commands.deployment_scale(simulation_id=made.id, deployment="nginx-deployment", replicas=4)
    simulations.clock_step(simulation_id=made.id, count=5)
    return made


def api_writes(sim, web_yaml):
    """Writes through the simulation's Kubernetes API (kubectl's requests), labelled as kubectl names them."""
    commands.manifest_apply(simulation_id=sim.id, yaml_text=web_yaml())
    simulations.clock_step(simulation_id=sim.id, count=4)
    live.execute(simulation_id=sim.id, command="patch", label="kubectl scale",
                 args={"kind": "deployments", "name": "web", "patch": {"spec": {"replicas": 1}},
                       "patch_type": "application/merge-patch+json"})
    simulations.clock_step(simulation_id=sim.id, count=4)
    return sim


def imported(source_id: int) -> Simulation:
    document = json.loads(json.dumps(scenarios.scenario_export(simulation_id=source_id)))
    return scenarios.scenario_import(document=document, owner_session="someone")


@pytest.mark.parametrize("make", [driven, demo, copy_of_driven, branch_of_driven, demo_reset, reset_twice, reimported, api_writes],
                         ids=["driven", "demo", "copy", "branch", "demo-reset", "reset-twice", "imported-with-start",
                              "kubernetes-api"])
def test_export_import_reproduces_the_history(simulation, web_yaml, make):
    source = make(simulation, web_yaml)
    copy = imported(source.id)
    source.refresh_from_db()
    assert (copy.seq, copy.sim_time, copy.running) == (source.seq, source.sim_time, False)
    assert (copy.speed, copy.seed, copy.tick, copy.demo) == (source.speed, source.seed, source.tick, source.demo)
    first = TickRecord.objects.filter(simulation_id=copy.id).order_by("seq").values_list("seq", flat=True).first()
    assert deltas(copy.id) == [d for d in deltas(source.id) if d["seq"] >= first]
    assert final_state(copy.id) == final_state(source.id)
    assert copy.owner_session == "someone"
    again = scenarios.scenario_export(simulation_id=copy.id)  # and it exports to the same file
    assert {**again, "name": None} == {**scenarios.scenario_export(simulation_id=source.id), "name": None}


def test_the_file_names_commands_as_the_api_does(simulation, web_yaml):
    document = scenarios.scenario_export(simulation_id=driven(simulation, web_yaml).id)
    assert (document["kind"], document["version"], document["start"]) == ("RolloutvizScenario", 1, None)
    assert document["engine"] == {"seed": 0, "tick": 1.0, "nodes": 3, "pod_budget": 5000, "proxy_delay": 1.0}
    named = [(c["command"], c["t"]) for c in document["commands"]]
    assert named == [("apply", 0.0), ("clock", 15.0), ("traffic", 15.0), ("set-image", 15.0), ("set-image", 35.0),
                     ("undo", 45.0), ("scale", 55.0), ("delete-pod", 60.0), ("clock", 60.0), ("node", 60.0),
                     ("node", 72.0)]
    assert document["commands"][1]["args"] == {"speed": 2.0}
    assert document["commands"][8] == {"t": 60.0, "command": "clock", "args": {"running": False},
                                       "reason": "stopped: nobody watching for 10 min"}
    assert document["commands"][5]["args"] == {"deployment": "web", "to_revision": 0}
    assert document["position"] == {"t": 75.0, "seq": Simulation.objects.get(pk=simulation.id).seq}
    assert list(document["manifests"]) == ["web"]


@pytest.mark.parametrize("detail, args, reason", [
    ("running=True", {"running": True}, ""),
    ("speed=2.0", {"speed": 2.0}, ""),
    ("running=False, speed=0.5", {"running": False, "speed": 0.5}, ""),
    ("running=False, stopped: nobody watching for 10 min", {"running": False}, "stopped: nobody watching for 10 min"),
    ("", {}, ""),
], ids=["run", "speed", "both", "idle-stop", "nothing"])
def test_clock_notes_read_back(detail, args, reason):
    assert scenarios.clock_note(detail) == (args, reason)
    assert scenarios.clock_detail(args, reason) == detail


@pytest.mark.parametrize("name", sorted(name for name, (_, check, _) in fmt.NAMED.items() if check))
def test_each_api_name_maps_to_the_cluster_arguments_the_endpoint_records(name):
    _, check, renames = fmt.NAMED[name]
    sample = {"deployment": "web", "replicas": 2, "container": "app", "image": "x", "to_revision": 0, "pod": "p",
              "node": "node-1", "ready": True, "service": "web", "rate": 1, "path": "/", "port": 80}
    args = {api: sample[api] for api in renames.values()}
    assert {renames[k]: v for k, v in check(**args).items()} == args
