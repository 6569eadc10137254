"""The services against a real database: every use case, its records, and its refusals."""
import json

import pytest

from rolloutviz import permissions
from rolloutviz.models import CommandRecord, Deployment, Revision, Simulation, TickRecord
from rolloutviz.permissions import Role
from rolloutviz.services import commands, history, kubectl, live, manifests, simulations
from rolloutviz.services.errors import InvalidInput, NotFound, Refused, TooLarge
from rolloutviz.services.links import operator_link
from simulator.api.yaml_source import MAX_MANIFEST_BYTES
from simulator.errors import ValidationError

pytestmark = pytest.mark.django_db(transaction=True)


def _sid(sim) -> dict:
    return {"simulation_id": sim.id}


def _settle(sim, seconds: int = 60) -> None:
    simulations.clock_step(**_sid(sim), count=seconds)


def _pods(sim) -> list[dict]:
    return live.cluster_for_read(simulation_id=sim.id).list("pod")


# ---------------------------------------------------------------- simulations


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": 5}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"seed": -1}, "seed"),
        ({"seed": "1"}, "seed"),
        ({"seed": True}, "seed"),
        ({"tick": 0}, "tick"),
        ({"tick": 11}, "tick"),
        ({"demo": "no-such-demo"}, "demo"),
    ],
    ids=["name-type", "name-long", "seed-negative", "seed-string", "seed-bool", "tick-zero",
         "tick-large", "demo-unknown"],
)
def test_create_rejects_bad_arguments(kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        simulations.simulation_create(**kwargs)
    assert caught.value.errors[0]["field"] == field
    assert Simulation.objects.count() == 0


def test_create_from_demo_applies_its_manifest():
    sim = simulations.simulation_create(demo="nginx-docs", seed=7)
    assert (sim.demo, sim.seed, sim.running) == ("nginx-docs", 7, False)
    deployment = Deployment.objects.get(simulation=sim)
    assert deployment.name == "nginx-deployment"
    assert "image: nginx:1.14.2" in deployment.manifest
    record = CommandRecord.objects.get(simulation=sim)
    assert (record.index, record.name, record.ok) == (0, "apply", True)
    _settle(sim, 1)
    assert Revision.objects.get(deployment=deployment).images == ["nginx:1.14.2"]


def test_list_and_get(simulation):
    operator = permissions.principal(bearer=operator_link().token)
    assert simulations.simulation_list(operator) == [simulations.simulation_summary(simulation, Role.OPERATOR)]
    assert simulations.simulation_list(permissions.principal(session={})) == []  # a stranger's
    with pytest.raises(NotFound):
        simulations.simulation_get(simulation_id=simulation.id + 1)


def test_delete_removes_history(simulation, web_yaml):
    commands.manifest_apply(**_sid(simulation), yaml_text=web_yaml())
    simulations.simulation_delete(**_sid(simulation))
    assert not Simulation.objects.exists() and not TickRecord.objects.exists()
    with pytest.raises(NotFound):
        simulations.simulation_delete(**_sid(simulation))


def test_state_has_the_snapshot_shape(simulation, web_yaml):
    commands.manifest_apply(**_sid(simulation), yaml_text=web_yaml())
    state = simulations.simulation_state(**_sid(simulation))
    assert state["sim"] == simulation.id and state["seq"] == 1
    assert [entry[:3] for entry in state["objects"] if entry[1] == "Deployment"] == [["A", "Deployment", "web"]]
    assert state["deployments"]["web"]["manifest"] == web_yaml()
    with pytest.raises(NotFound):
        simulations.simulation_state(simulation_id=simulation.id + 1)


# ---------------------------------------------------------------- apply and its checks


def test_apply_creates_then_configures_then_unchanged(simulation, web_yaml):
    sid = _sid(simulation)
    assert commands.manifest_apply(**sid, yaml_text=web_yaml()) == ["deployment.apps/web created"]
    assert commands.manifest_apply(**sid, yaml_text=web_yaml(replicas=4)) == [
        "deployment.apps/web configured"]
    assert commands.manifest_apply(**sid, yaml_text=web_yaml(replicas=4)) == [
        "deployment.apps/web unchanged"]
    assert Deployment.objects.get(simulation=simulation).manifest == web_yaml(replicas=4)


@pytest.mark.parametrize(
    "text, line",
    [
        ("apiVersion: apps/v1\nkind: Deployment\nmetadata: [\n", 4),
        ("a: &x 1\nb: *x\n", 2),
        ("- just\n- a list\n", 1),
    ],
    ids=["syntax", "alias", "not-a-mapping"],
)
def test_apply_rejects_bad_yaml_with_its_line(simulation, text, line):
    with pytest.raises(ValidationError) as caught:
        commands.manifest_apply(**_sid(simulation), yaml_text=text)
    assert caught.value.errors[0].line == line
    assert not CommandRecord.objects.exists()  # refused before the cluster was touched


def test_apply_invalid_spec_changes_nothing(simulation, web_yaml):
    sid = _sid(simulation)
    commands.manifest_apply(**sid, yaml_text=web_yaml())
    seq = Simulation.objects.get(pk=simulation.id).seq
    bad = web_yaml(image="nginx:1.16.1", strategy=(
        "  strategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 0\n"))
    with pytest.raises(ValidationError) as caught:
        commands.manifest_apply(**sid, yaml_text=bad)
    error = caught.value.errors[0]
    assert error.field == "spec.strategy.rollingUpdate.maxUnavailable"
    assert error.line == 10
    assert Simulation.objects.get(pk=simulation.id).seq == seq
    assert Deployment.objects.get(simulation=simulation).manifest == web_yaml()
    refused = CommandRecord.objects.get(simulation=simulation, index=1)
    assert refused.ok is False and "maxUnavailable" in refused.outcome["message"]


@pytest.mark.parametrize(
    "text, error",
    [
        (None, InvalidInput),
        ("", InvalidInput),
        ("# only a comment\n", InvalidInput),
        ("x: " + "a" * MAX_MANIFEST_BYTES, TooLarge),
    ],
    ids=["missing", "empty", "no-documents", "too-large"],
)
def test_apply_rejects_unusable_input(simulation, text, error):
    with pytest.raises(error):
        commands.manifest_apply(**_sid(simulation), yaml_text=text)


def test_apply_to_missing_simulation(web_yaml):
    with pytest.raises(NotFound):
        commands.manifest_apply(simulation_id=999, yaml_text=web_yaml())


# ---------------------------------------------------------------- commands


def test_rollout_revisions_move_on_rollback(simulation, web_yaml):
    sid = _sid(simulation)
    commands.manifest_apply(**sid, yaml_text=web_yaml())
    _settle(simulation, 30)
    assert commands.deployment_set_image(**sid, deployment="web", container="app",
                                         image="nginx:1.16.1") == "deployment.apps/web image updated"
    _settle(simulation)
    revisions = lambda: {r.revision: r.images for r in Revision.objects.all()}  # noqa: E731
    assert revisions() == {1: ["nginx:1.14.2"], 2: ["nginx:1.16.1"]}
    assert commands.deployment_rollback(**sid, deployment="web") == "deployment.apps/web rolled back"
    _settle(simulation)
    assert revisions() == {2: ["nginx:1.16.1"], 3: ["nginx:1.14.2"]}
    found = history.deployment_history(**sid, deployment="web")
    assert [h["revision"] for h in found["history"]] == [2, 3]
    assert "REVISION" in found["text"] and "CHANGE-CAUSE" in found["text"]
    detail = history.deployment_history(**sid, deployment="web", revision=3)
    assert "nginx:1.14.2" in detail["text"]
    with pytest.raises(NotFound):
        history.deployment_history(**sid, deployment="web", revision=1)
    with pytest.raises(NotFound):
        history.deployment_history(**sid, deployment="nope")


def test_scale_pause_resume_restart(simulation, web_yaml):
    sid = _sid(simulation)
    commands.manifest_apply(**sid, yaml_text=web_yaml())
    assert commands.deployment_scale(**sid, deployment="web", replicas=5).endswith("scaled")
    _settle(simulation, 30)
    assert len(_pods(simulation)) == 5
    # kubectl looks the target revision up before it refuses a paused Deployment, so
    # there must be an earlier revision to go back to
    commands.deployment_set_image(**sid, deployment="web", container="app", image="nginx:1.16.1")
    assert commands.deployment_pause(**sid, deployment="web").endswith("paused")
    assert Deployment.objects.get(simulation=simulation).paused is True
    with pytest.raises(Refused) as caught:
        commands.deployment_rollback(**sid, deployment="web")
    assert caught.value.message == (
        "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/web' and try again")
    assert commands.deployment_resume(**sid, deployment="web").endswith("resumed")
    assert commands.deployment_restart(**sid, deployment="web").endswith("restarted")
    _settle(simulation, 120)
    assert Revision.objects.filter(deployment__name="web").count() == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda sid: commands.deployment_scale(**sid, deployment="nope", replicas=1),
        lambda sid: commands.deployment_set_image(**sid, deployment="nope", container="app",
                                                  image="x"),
        lambda sid: commands.deployment_pause(**sid, deployment="nope"),
        lambda sid: commands.pod_delete(**sid, pod="nope"),
        lambda sid: commands.pod_delete(**sid, deployment="nope"),
        lambda sid: commands.node_set_ready(**sid, node="nope", ready=False),
    ],
    ids=["scale", "set-image", "pause", "delete-pod", "delete-pod-of-deployment", "node"],
)
def test_commands_on_missing_objects(simulation, call):
    with pytest.raises(NotFound):
        call(_sid(simulation))


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda sid: commands.deployment_scale(**sid, deployment="web", replicas="3"), "replicas"),
        (lambda sid: commands.deployment_scale(**sid, deployment="", replicas=3), "deployment"),
        (lambda sid: commands.deployment_rollback(**sid, deployment="web", to_revision=1.5),
         "to_revision"),
        (lambda sid: commands.node_set_ready(**sid, node="node-1", ready="no"), "ready"),
        (lambda sid: commands.pod_delete(**sid), "pod"),
        (lambda sid: simulations.clock_step(**sid, count=0), "count"),
        (lambda sid: simulations.clock_set(**sid, running="yes"), "running"),
    ],
    ids=["replicas-string", "deployment-empty", "revision-float", "ready-string", "pod-missing",
         "step-zero", "running-string"],
)
def test_commands_reject_bad_arguments(simulation, call, field):
    with pytest.raises(InvalidInput) as caught:
        call(_sid(simulation))
    assert caught.value.errors[0]["field"] == field


def test_scale_negative_is_a_validation_error(simulation, web_yaml):
    commands.manifest_apply(**_sid(simulation), yaml_text=web_yaml())
    with pytest.raises(ValidationError):
        commands.deployment_scale(**_sid(simulation), deployment="web", replicas=-1)


def test_delete_pod_of_deployment_is_replaced(simulation, web_yaml):
    sid = _sid(simulation)
    commands.manifest_apply(**sid, yaml_text=web_yaml(replicas=1))
    _settle(simulation, 30)
    (first,) = [p["metadata"]["name"] for p in _pods(simulation)]
    assert commands.pod_delete(**sid, deployment="web") == f'pod "{first}" deleted'
    _settle(simulation, 60)
    names = [p["metadata"]["name"] for p in _pods(simulation)]
    assert len(names) == 1 and names != [first]


def test_node_down_and_up(simulation):
    sid = _sid(simulation)
    node = live.cluster_for_read(simulation_id=simulation.id).list("node")[0]["metadata"]["name"]
    assert commands.node_set_ready(**sid, node=node, ready=False) == f"node/{node} NotReady"
    _settle(simulation, 60)
    assert "NotReady" in kubectl.kubectl_view(**sid, args="get nodes")
    assert commands.node_set_ready(**sid, node=node, ready=True) == f"node/{node} Ready"


# ---------------------------------------------------------------- clock and reset


def test_clock_set_and_step(simulation):
    sid = _sid(simulation)
    assert simulations.clock_set(**sid, running=True, speed=5) == {
        "running": True, "speed": 5.0, "t": 0.0, "seq": 1}
    with pytest.raises(ValidationError):
        simulations.clock_set(**sid, speed=3)
    stepped = simulations.clock_step(**sid, count=3)
    assert (stepped["t"], stepped["seq"]) == (3.0, 4)
    assert list(TickRecord.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_reset_goes_back_to_the_demo_start():
    sim = simulations.simulation_create(demo="hellok8s")
    sid = _sid(sim)
    commands.deployment_scale(**sid, deployment="hellok8s-deployment", replicas=3)
    _settle(sim, 20)
    seq = simulations.simulation_reset(**sid)
    cluster = live.cluster_for_read(simulation_id=sim.id)
    assert cluster.now == 0.0
    assert cluster.get("deployment", "hellok8s-deployment")["spec"]["replicas"] == 1
    assert Simulation.objects.get(pk=sim.id).seq == seq
    assert Deployment.objects.get(simulation=sim).manifest.startswith("apiVersion: apps/v1")


# ---------------------------------------------------------------- diff, timeline, export, kubectl


def test_diff_shows_the_spec_change_only(simulation, web_yaml):
    sid = _sid(simulation)
    created = manifests.manifest_diff(**sid, yaml_text=web_yaml())
    assert created.startswith("--- /dev/null\n+++ deployment.apps/web (edited)")
    commands.manifest_apply(**sid, yaml_text=web_yaml())
    assert manifests.manifest_diff(**sid, yaml_text=web_yaml()) == ""
    commands.deployment_scale(**sid, deployment="web", replicas=5)
    changed = manifests.manifest_diff(**sid, yaml_text=web_yaml(image="nginx:1.16.1", replicas=5))
    assert "-    - image: nginx:1.14.2\n" in changed
    assert "+    - image: nginx:1.16.1\n" in changed
    assert "replicas" not in changed
    with pytest.raises(ValidationError):
        manifests.manifest_diff(**sid, yaml_text=web_yaml(replicas=-1))


def test_timeline_and_export(simulation, web_yaml):
    sid = _sid(simulation)
    commands.manifest_apply(**sid, yaml_text=web_yaml())
    _settle(simulation, 10)
    commands.deployment_scale(**sid, deployment="web", replicas=4)
    window = history.timeline_between(**sid, since=2, until=5)
    assert [d["t"] for d in window["deltas"]] == [2.0, 3.0, 4.0, 5.0]
    assert window["commands"] == []
    later = history.timeline_between(**sid, since=10)
    assert [c["name"] for c in later["commands"]] == ["scale"]
    exported = json.loads("".join(history.recorded_history(**sid)))
    assert [d["seq"] for d in exported["deltas"]] == list(range(1, 13))
    assert [c["name"] for c in exported["commands"]] == ["apply", "scale"]
    assert exported["deployments"][0]["revisions"][0]["revision"] == 1
    assert exported["snapshots"] and exported["simulation"]["seq"] == 12
    with pytest.raises(InvalidInput):
        history.timeline_between(**sid, since="x")


@pytest.mark.parametrize("since", [float("nan"), float("inf"), float("-inf"), True], ids=["nan", "inf", "-inf", "bool"])
def test_timeline_bounds_must_be_finite_numbers(simulation, since):
    with pytest.raises(InvalidInput) as refused:
        history.timeline_between(simulation_id=simulation.id, since=since)
    assert refused.value.errors[0]["field"] == "since"


@pytest.mark.parametrize("max_bytes, max_deltas, expected", [(10**9, 5000, 12), (10**9, 5, 5), (1, 5000, 1)],
                         ids=["all", "by-count", "by-size-at-least-one"])
def test_one_timeline_answer_is_bounded(simulation, web_yaml, monkeypatch, max_bytes, max_deltas, expected):
    commands.manifest_apply(simulation_id=simulation.id, yaml_text=web_yaml())
    _settle(simulation, 11)
    monkeypatch.setattr(history, "MAX_TIMELINE_BYTES", max_bytes)
    monkeypatch.setattr(history, "MAX_TIMELINE_DELTAS", max_deltas)
    answer = history.timeline_between(simulation_id=simulation.id)
    assert [d["seq"] for d in answer["deltas"]] == list(range(1, expected + 1))
    assert answer["truncated"] is (expected < 12)


@pytest.mark.parametrize(
    "args, expected",
    [
        ("get deploy", "NAME"),
        ("get rs", "DESIRED"),
        ("get pods", "STATUS"),
        ("describe deployment web", "StrategyType:"),
        ("rollout status deployment/web", "deployment \"web\""),
        ("rollout history deployment web", "REVISION"),
    ],
    ids=["get-deploy", "get-rs", "get-pods", "describe", "status", "history"],
)
def test_kubectl_views(simulation, web_yaml, args, expected):
    commands.manifest_apply(**_sid(simulation), yaml_text=web_yaml())
    _settle(simulation, 20)
    assert expected in kubectl.kubectl_view(**_sid(simulation), args=args)


@pytest.mark.parametrize(
    "args, error",
    [
        ("scale deployment/web --replicas=2", InvalidInput),
        ("describe deployment nope", NotFound),
        ("get widgets", InvalidInput),
        ("frobnicate", InvalidInput),
        ("", InvalidInput),
    ],
    ids=["changing", "missing", "unknown-kind", "unknown-verb", "empty"],
)
def test_kubectl_view_refusals(simulation, args, error):
    with pytest.raises(error):
        kubectl.kubectl_view(**_sid(simulation), args=args)


@pytest.mark.parametrize(
    "line, verb, name, extra",
    [
        ("get pods", "get", "", {"kind": "pods"}),
        ("kubectl get deployment/web", "get", "web", {"kind": "deployments"}),
        ("rollout undo deployment/web --to-revision=2", "rollout undo", "web",
         {"options": {"--to-revision": "2"}}),
        ("rollout history deployment web --revision 3", "rollout history", "web",
         {"options": {"--revision": "3"}}),
        ("scale deploy/web --replicas=10", "scale", "web", {"options": {"--replicas": "10"}}),
        ("set image deployment/web app=nginx:1.16.1", "set image", "web",
         {"images": {"app": "nginx:1.16.1"}}),
        ("apply -f x.yaml", "apply", "", {"options": {"-f": "x.yaml"}}),
        ("delete pod web-abc", "delete pod", "web-abc", {}),
    ],
    ids=["get", "get-slash", "undo", "history", "scale", "set-image", "apply", "delete-pod"],
)
def test_kubectl_parse(line, verb, name, extra):
    parsed = kubectl.parse(line)
    assert (parsed.verb, parsed.name) == (verb, name)
    for key, value in extra.items():
        assert getattr(parsed, key) == value


@pytest.mark.parametrize(
    "line",
    ["rollout status", "rollout status pods/x", "scale deployment/web --bogus=1",
     "set image deployment/web nginx", "apply", "get", "rollout frob deployment/x"],
    ids=["no-name", "wrong-kind", "unknown-flag", "bad-image-arg", "apply-no-file", "get-no-kind",
         "unknown-rollout"],
)
def test_kubectl_parse_errors(line):
    with pytest.raises(InvalidInput):
        kubectl.parse(line)


def test_apply_several_documents_with_an_image_behavior(simulation, web_yaml):
    behavior = (
        "apiVersion: rolloutviz.dev/v1\n"
        "kind: ImageBehavior\n"
        "metadata:\n"
        "  name: slow-app\n"
        "spec:\n"
        "  image: example/slow-app:1\n"
        "  pull: {seconds: 2}\n"
        "  startupSeconds: 3\n"
        "  http:\n"
        "  - port: 8080\n"
    )
    text = web_yaml(image="example/slow-app:1") + "---\n" + behavior
    results = commands.manifest_apply(**_sid(simulation), yaml_text=text)
    assert results[0] == "deployment.apps/web created" and len(results) == 2
    # the running manifest is the text as typed, every document of it (what the editor holds)
    assert Deployment.objects.get(simulation=simulation).manifest == text
    _settle(simulation, 30)
    assert live.cluster_for_read(simulation_id=simulation.id).rollout_status("web")[1] is True


def test_mirror_follows_history_limit_cleanup(simulation, web_yaml):
    sid = _sid(simulation)
    limit = "  revisionHistoryLimit: 1\n"
    commands.manifest_apply(**sid, yaml_text=web_yaml(strategy=limit))
    _settle(simulation, 30)
    for tag in ("1.16.1", "1.17", "1.18"):
        commands.deployment_set_image(**sid, deployment="web", container="app",
                                      image=f"nginx:{tag}")
        _settle(simulation, 60)
    rows = list(Revision.objects.order_by("revision").values_list("revision", "images"))
    assert rows == [(3, ["nginx:1.17"]), (4, ["nginx:1.18"])]
    newest = Revision.objects.get(revision=4)
    assert newest.created_sim_time == 150.0 and newest.template_hash
    assert newest.replicaset == f"web-{newest.template_hash}"
