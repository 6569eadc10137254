"""Limits checked before any work, worded as the API server words them: int32 fields, the
scale subresource, the per-simulation pod budget, the clock's arguments. A refusal
changes nothing."""
import json

import pytest

from cluster_helpers import deployment_yaml, rolling
from simulator import Cluster, ValidationError

BUDGET_TEXT = ("this simulation's pod budget of {budget} for replicas + maxSurge of all "
               "Deployments and ReplicaSets ({others} used by the others)")


def replica_set_yaml(name: str = "bare", replicas: int = 2) -> str:
    return (f"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {name}\nspec:\n"
            f"  replicas: {replicas}\n  selector:\n    matchLabels: {{bare: {name}}}\n"
            f"  template:\n    metadata:\n      labels: {{bare: {name}}}\n"
            "    spec:\n      containers:\n      - name: app\n        image: nginx:1.14.2\n")


def state(c: Cluster) -> str:
    """Everything a refusal must leave as it was."""
    return json.dumps(c.snapshot(), sort_keys=True)


# --- int32 fields, as the API server's decoding refuses them --------------------------------
INT32_FIELDS = [
    ("spec.replicas", "replicas: 3", "replicas: {v}", "DeploymentSpec.spec.replicas"),
    ("spec.minReadySeconds", "replicas: 3", "replicas: 3\n  minReadySeconds: {v}",
     "DeploymentSpec.spec.minReadySeconds"),
    ("spec.revisionHistoryLimit", "replicas: 3", "replicas: 3\n  revisionHistoryLimit: {v}",
     "DeploymentSpec.spec.revisionHistoryLimit"),
    ("spec.progressDeadlineSeconds", "replicas: 3", "replicas: 3\n  progressDeadlineSeconds: {v}",
     "DeploymentSpec.spec.progressDeadlineSeconds"),
    ("spec.template.spec.containers[0].ports[0].containerPort", "image: nginx:1.14.2",
     "image: nginx:1.14.2\n        ports: [{{containerPort: {v}}}]",
     "ContainerPort.spec.template.spec.containers.ports.containerPort"),
    ("spec.template.spec.containers[0].livenessProbe.periodSeconds", "image: nginx:1.14.2",
     "image: nginx:1.14.2\n        livenessProbe: {{tcpSocket: {{port: 80}}, periodSeconds: {v}}}",
     "Probe.spec.template.spec.containers.livenessProbe.periodSeconds"),
    ("spec.template.spec.containers[0].readinessProbe.failureThreshold", "image: nginx:1.14.2",
     "image: nginx:1.14.2\n        readinessProbe: {{tcpSocket: {{port: 80}}, failureThreshold: {v}}}",
     "Probe.spec.template.spec.containers.readinessProbe.failureThreshold"),
    ("spec.template.spec.containers[0].startupProbe.grpc.port", "image: nginx:1.14.2",
     "image: nginx:1.14.2\n        startupProbe: {{grpc: {{port: {v}}}}}",
     "GRPCAction.spec.template.spec.containers.startupProbe.grpc.port"),
]


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**63], ids=["2^31", "-2^31-1", "2^63"])
@pytest.mark.parametrize("field, old, new, go_field", INT32_FIELDS, ids=[f[0] for f in INT32_FIELDS])
def test_an_int32_field_out_of_range_is_refused_when_decoding(field, old, new, go_field, value):
    c = Cluster()
    with pytest.raises(ValidationError) as info:
        c.apply(deployment_yaml().replace(old, new.format(v=value), 1))
    detail = f"json: cannot unmarshal number {value} into Go struct field {go_field} of type int32"
    assert [(e.field, e.message) for e in info.value.errors] == [(field, detail)]
    assert str(info.value).endswith("cannot be handled as a Deployment: " + detail)
    assert c.list("deployment") == []


@pytest.mark.parametrize("field, text", [
    ("spec.replicas", "replicas: 2147483648"),
    ("spec.minReadySeconds", "replicas: 2\n  minReadySeconds: 2147483648"),
], ids=["replicas", "minReadySeconds"])
def test_a_replica_set_int32_field_out_of_range_is_refused(field, text):
    c = Cluster()
    with pytest.raises(ValidationError) as info:
        c.apply(replica_set_yaml().replace("replicas: 2", text))
    go_field = "ReplicaSetSpec." + field
    assert [(e.field, e.message) for e in info.value.errors] == [
        (field, f"json: cannot unmarshal number 2147483648 into Go struct field {go_field} of type int32")]
    assert c.list("replicaset") == []


def test_an_int_or_string_out_of_int32_range_is_refused():
    with pytest.raises(ValidationError) as info:
        Cluster().apply(deployment_yaml(strategy=rolling(2**31, 1)))
    assert info.value.errors[0].message == (
        "json: cannot unmarshal number 2147483648 into Go value of type int32")


# --- the scale subresource --------------------------------------------------------------------
@pytest.mark.parametrize("replicas, message", [
    (2**63, "spec.replicas: json: cannot unmarshal number 9223372036854775808 into Go struct "
            "field ScaleSpec.spec.replicas of type int32"),
    (2**31, "spec.replicas: json: cannot unmarshal number 2147483648 into Go struct field "
            "ScaleSpec.spec.replicas of type int32"),
    (2.5, "spec.replicas: json: cannot unmarshal number 2.5 into Go struct field "
          "ScaleSpec.spec.replicas of type int32"),
    ("3", "spec.replicas: json: cannot unmarshal string into Go struct field "
          "ScaleSpec.spec.replicas of type int32"),
    (True, "spec.replicas: json: cannot unmarshal bool into Go struct field "
           "ScaleSpec.spec.replicas of type int32"),
    (-1, "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
    (None, "spec.replicas: Required value"),
], ids=["2^63", "2^31", "fraction", "text", "bool", "negative", "missing"])
def test_scale_refuses_what_the_scale_subresource_refuses(replicas, message):
    c = Cluster()
    c.apply(deployment_yaml())
    before = state(c)
    with pytest.raises(ValidationError) as info:
        c.scale("web", replicas)
    assert str(info.value) == f'The Scale "web" is invalid: {message}'
    assert [e.field for e in info.value.errors] == ["spec.replicas"]
    assert state(c) == before


def test_scale_takes_a_whole_number_given_as_a_float():
    c = Cluster()
    c.apply(deployment_yaml())
    c.scale("web", 5.0)
    assert c.get("deployment", "web")["spec"]["replicas"] == 5


# --- the pod budget -----------------------------------------------------------------------------
def test_apply_past_the_budget_is_a_field_error_with_its_line_and_changes_nothing():
    c = Cluster()
    before = state(c)
    with pytest.raises(ValidationError) as info:
        c.apply(deployment_yaml(replicas=1_000_000_000))
    (error,) = info.value.errors
    assert (error.field, error.line) == ("spec.replicas", 6)
    assert str(info.value) == (
        'The Deployment "web" is invalid: spec.replicas: Invalid value: 1000000000: must be less '
        "than or equal to 4000 within " + BUDGET_TEXT.format(budget=5000, others=0))
    assert state(c) == before


def test_the_budget_counts_every_deployment_and_bare_replica_set():
    c = Cluster(pod_budget=20)
    c.apply(deployment_yaml(replicas=8, name="a"))             # 8 + 2 (25% surge)
    c.apply(replica_set_yaml(replicas=6))                      # 6
    before = state(c)
    with pytest.raises(ValidationError) as info:
        c.apply(deployment_yaml(replicas=4, name="b"))         # 4 + 1 would make 21
    assert "must be less than or equal to 3 within " + BUDGET_TEXT.format(budget=20, others=16) \
        in str(info.value)
    assert state(c) == before
    assert c.apply(deployment_yaml(replicas=3, name="b")) == ["deployment.apps/b created"]   # 20


def test_a_multi_document_apply_is_refused_as_a_whole():
    c = Cluster(pod_budget=10)
    with pytest.raises(ValidationError) as info:
        c.apply(deployment_yaml(replicas=4, name="a") + "---\n" + replica_set_yaml(replicas=6))
    assert c.list("deployment") == c.list("replicaset") == []
    assert [e.field for e in info.value.errors] == ["spec.replicas", "spec.replicas"]


@pytest.mark.parametrize("command", [
    pytest.param(lambda c: c.scale("web", 9), id="scale"),
    pytest.param(lambda c: c.apply(deployment_yaml(replicas=8, strategy=rolling("50%", 0))),
                 id="apply-a-larger-surge"),
    pytest.param(lambda c: c.apply(deployment_yaml(replicas=11, strategy="strategy: {type: Recreate}")),
                 id="apply-more-replicas-with-recreate"),
])
def test_every_path_that_grows_replicas_or_surge_meets_the_budget(command):
    c = Cluster(pod_budget=10)
    c.apply(deployment_yaml(replicas=8))                       # 8 + 2
    c.advance(30)
    before = state(c)
    with pytest.raises(ValidationError, match="pod budget of 10"):
        command(c)
    assert state(c) == before


def test_undo_never_changes_the_demand_so_it_is_never_refused():
    c = Cluster(pod_budget=5)
    c.apply(deployment_yaml(replicas=4))                       # 4 + 1: the whole budget
    c.advance(30)
    c.set_image("web", "app", "nginx:1.16.1")
    c.advance(60)
    assert c.rollout_undo("web") == "deployment.apps/web rolled back"


def test_a_restored_simulation_above_a_smaller_budget_keeps_running_and_may_only_shrink():
    big = Cluster(pod_budget=100)
    big.apply(deployment_yaml(replicas=40))                    # 40 + 10
    big.advance(30)
    c = Cluster.restore(json.loads(json.dumps(big.snapshot())), pod_budget=20)
    assert c.pod_budget == 20
    c.advance(30)                                              # keeps running as it was
    assert c.rollout_status("web")[1]
    with pytest.raises(ValidationError, match="pod budget of 20"):
        c.scale("web", 41)
    assert c.scale("web", 30) == "deployment.apps/web scaled"  # still above, but smaller
    assert Cluster.restore(c.snapshot()).pod_budget == 20      # the snapshot keeps it


@pytest.mark.parametrize("budget", [0, -5, True, 2.0, "5000", None])
def test_the_pod_budget_must_be_a_positive_integer(budget):
    with pytest.raises(ValueError, match="pod_budget must be a positive integer"):
        Cluster(pod_budget=budget)


def test_the_default_budget_is_5000():
    assert Cluster().pod_budget == 5000


# --- the clock's arguments ----------------------------------------------------------------------
@pytest.mark.parametrize("tick", [0.1, 0.25, 0.3, 1, 2.5, 0.001, 3600])
def test_a_tick_of_whole_milliseconds_is_kept_exactly(tick):
    c = Cluster(tick=tick)
    for _ in range(7):
        c.step()
    assert c.tick == tick
    assert c.now == round(7 * tick * 1000) / 1000


@pytest.mark.parametrize("tick, message", [
    (0.0015, "whole number of milliseconds"), (1e-4, "whole number of milliseconds"),
    (0, "positive"), (-1, "positive"), (float("nan"), "positive"), (float("inf"), "positive"),
    (True, "positive"), ("1", "positive"),
])
def test_a_tick_that_is_not_whole_positive_milliseconds_is_refused(tick, message):
    with pytest.raises(ValueError, match=message):
        Cluster(tick=tick)
