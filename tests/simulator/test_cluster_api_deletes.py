"""Deleting through the API (Cluster.delete / Cluster.evict): DeleteOptions as the generic
registry and the pod strategy take them, and what the garbage collector does to the
dependents (Background deletes them, Orphan lets them go; adoption brings them back)."""
import json

import pytest

from cluster_helpers import deployment_yaml, replica_sets, settled
from simulator import Cluster
from simulator.api.status import StatusError


def running(seed: int = 1, **kwargs) -> Cluster:
    c = Cluster(seed=seed)
    c.apply(deployment_yaml(**kwargs))
    return settled(c)


SLOW_TO_STOP = """apiVersion: rolloutviz.dev/v1
kind: ImageBehavior
metadata: {name: slow}
spec: {image: "example.com/slow:v1", shutdownSeconds: 400}
"""


def slow_to_stop(seed: int = 1) -> Cluster:
    """Pods that ignore SIGTERM: they take their whole grace period."""
    c = Cluster(seed=seed)
    c.apply(SLOW_TO_STOP)
    c.apply(deployment_yaml("example.com/slow:v1"))
    return settled(c)


def refusal(call) -> dict:
    with pytest.raises(StatusError) as caught:
        call()
    return caught.value.status


def pods(c: Cluster) -> dict[str, dict]:
    return {p["metadata"]["name"]: p for p in c.list("pod")}


def terminating(c: Cluster) -> set[str]:
    return {n for n, p in pods(c).items() if "deletionTimestamp" in p["metadata"]}


# --- Deployments and ReplicaSets ---------------------------------------------------------------
def test_background_deletion_takes_the_replicasets_then_their_pods_gracefully():
    c = running()
    uid = c.read("deploy", "web")["metadata"]["uid"]
    c.take_changes()
    answer = c.delete("deployments", "web", {"propagationPolicy": "Background"},
                      resource_version=90)
    assert (answer["code"], answer["line"]) == (200, 'deployment.apps "web" deleted')
    assert answer["body"] == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Success", "details": {"name": "web", "group": "apps",
                                                               "kind": "deployments", "uid": uid}}
    records = c.take_changes()
    assert {(r["kind"], r["type"]) for r in records if r["type"] != "EVENT"} == {
        ("Deployment", "DELETED"), ("ReplicaSet", "DELETED"), ("Pod", "MODIFIED")}
    assert {r["object"]["metadata"]["resourceVersion"] for r in records} == {"90"}
    assert c.list("deploy") == [] and c.list("rs") == []
    assert terminating(c) == set(pods(c))   # Terminating for their grace period, then gone
    c.advance(35)
    assert c.list("pod") == []


def test_orphan_deletion_leaves_the_replicasets_and_pods_running_without_owner():
    c = running()
    before = {n: p["metadata"]["uid"] for n, p in pods(c).items()}
    answer = c.delete("deployments", "web", {"propagationPolicy": "Orphan"})
    assert answer["code"] == 200
    meta = answer["body"]["metadata"]
    assert (meta["finalizers"], meta["deletionGracePeriodSeconds"]) == (["orphan"], 0)
    assert meta["deletionTimestamp"] == "2026-01-01T00:00:" + f"{int(c.now):02d}Z"
    (rs,) = c.list("rs")
    assert "ownerReferences" not in rs["metadata"] and rs["spec"]["replicas"] == 3
    c.advance(30)
    assert {n: p["metadata"]["uid"] for n, p in pods(c).items()} == before
    assert not terminating(c)
    # applied again, the Deployment adopts the ReplicaSet whose template it has
    c.apply(deployment_yaml())
    settled(c)
    (adopted,) = c.list("rs")
    assert adopted["metadata"]["name"] == rs["metadata"]["name"]
    assert adopted["metadata"]["ownerReferences"][0]["uid"] == c.read("deploy", "web")["metadata"]["uid"]
    assert {n: p["metadata"]["uid"] for n, p in pods(c).items()} == before


def test_orphan_dependents_true_is_orphan_propagation():
    c = running()
    c.delete("deployments", "web", {"orphanDependents": True})
    assert len(c.list("rs")) == 1 and not terminating(c)


def test_deleting_an_owned_replicaset_has_its_deployment_make_it_again():
    """The Deployment controller creates the ReplicaSet anew (same name, another UID); the
    old pods terminate and do not count for the new one."""
    c = running()
    (name,) = replica_sets(c)
    old_uid = c.read("rs", name)["metadata"]["uid"]
    old_pods = set(pods(c))
    c.delete("rs", name)
    new = c.read("rs", name)
    assert new["metadata"]["uid"] != old_uid
    assert terminating(c) == old_pods
    settled(c)
    c.advance(35)
    assert set(pods(c)).isdisjoint(old_pods) and len(pods(c)) == 3


def test_deleting_a_replicaset_with_orphan_lets_a_new_one_adopt_its_pods():
    rs = """apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: bare}
spec:
  replicas: 2
  selector: {matchLabels: {app: bare}}
  template:
    metadata: {labels: {app: bare}}
    spec: {containers: [{name: app, image: nginx}]}
"""
    c = Cluster(seed=3)
    c.apply(rs)
    c.advance(20)
    before = {n: p["metadata"]["uid"] for n, p in pods(c).items()}
    c.delete("rs", "bare", {"propagationPolicy": "Orphan"})
    assert all("ownerReferences" not in p["metadata"] for p in pods(c).values())
    c.advance(10)
    assert {n: p["metadata"]["uid"] for n, p in pods(c).items()} == before
    c.apply(rs)   # a new ReplicaSet of the same name and selector: adopts both pods
    c.advance(10)
    new_uid = c.read("rs", "bare")["metadata"]["uid"]
    assert {n: p["metadata"]["uid"] for n, p in pods(c).items()} == before
    assert {p["metadata"]["ownerReferences"][0]["uid"] for p in pods(c).values()} == {new_uid}
    assert c.read("rs", "bare")["status"]["readyReplicas"] == 2


DELETE_REFUSALS = [
    ("foreground", {"propagationPolicy": "Foreground"}, 422,
     'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Forbidden: foreground deletion '
     "is not simulated: use Background or Orphan"),
    ("unknown-policy", {"propagationPolicy": "Later"}, 422,
     'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Later": '
     'supported values: "Foreground", "Background", "Orphan", "nil"'),
    ("both", {"propagationPolicy": "Orphan", "orphanDependents": True}, 422,
     'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "Orphan": '
     "orphanDependents and deletionPropagation cannot be both set"),
    ("uid-precondition", {"preconditions": {"uid": "u-1"}}, 409,
     'Operation cannot be fulfilled on Deployment.apps "web": the UID in the precondition (u-1) '
     "does not match the UID in record ({uid}). The object might have been deleted and then "
     "recreated"),
    ("version-precondition", {"preconditions": {"resourceVersion": "1"}}, 409,
     'Operation cannot be fulfilled on Deployment.apps "web": the ResourceVersion in the '
     "precondition (1) does not match the ResourceVersion in record ({version}). The object "
     "might have been modified"),
]


@pytest.mark.parametrize("options,code,message", [c[1:] for c in DELETE_REFUSALS],
                         ids=[c[0] for c in DELETE_REFUSALS])
def test_delete_refusals(options, code, message):
    c = running()
    current = c.read("deploy", "web")["metadata"]
    state = json.dumps(c.snapshot(), sort_keys=True)
    status = refusal(lambda: c.delete("deploy", "web", options))
    assert (status["code"], status["message"]) == (code, message.format(
        uid=current["uid"], version=current["resourceVersion"]))
    assert json.dumps(c.snapshot(), sort_keys=True) == state


def test_matching_preconditions_delete():
    c = running()
    meta = c.read("deploy", "web")["metadata"]
    c.delete("deploy", "web", {"preconditions": {"uid": meta["uid"],
                                                "resourceVersion": meta["resourceVersion"]}})
    assert c.list("deploy") == []


def test_delete_missing_and_unsupported():
    c = running()
    status = refusal(lambda: c.delete("rs", "nope"))
    assert (status["code"], status["message"]) == (404, 'replicasets.apps "nope" not found')
    status = refusal(lambda: c.delete("node", "node-1"))
    assert (status["code"], status["message"]) == (
        405, 'delete is not supported on resources of kind "nodes"')


def test_dry_run_delete_changes_nothing():
    c = running()
    state = json.dumps(c.snapshot(), sort_keys=True)
    answer = c.delete("deploy", "web", {"propagationPolicy": "Background"}, dry_run=True)
    assert answer["line"] == 'deployment.apps "web" deleted (server dry run)'
    assert answer["body"]["status"] == "Success"
    pod = next(iter(pods(c)))
    assert "deletionTimestamp" in c.delete("pod", pod, dry_run=True)["body"]["metadata"]
    assert json.dumps(c.snapshot(), sort_keys=True) == state


# --- pods ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("grace,shown", [(None, 30), (5, 5), (-3, 1), (0, None)],
                         ids=["spec-default", "option", "negative-is-1", "zero-at-once"])
def test_pod_grace_periods(grace, shown):
    c = slow_to_stop()
    name = next(iter(pods(c)))
    options = {} if grace is None else {"gracePeriodSeconds": grace}
    answer = c.delete("pods", name, options)
    assert (answer["code"], answer["line"]) == (200, f'pod "{name}" deleted')
    assert answer["body"]["metadata"].get("deletionGracePeriodSeconds") == shown
    if shown:   # Terminating for the grace period, then gone
        c.advance(shown - 1)
        assert name in terminating(c)
        c.advance(1)
    assert name not in pods(c)


def test_a_terminating_pod_may_only_have_its_grace_period_shortened():
    c = slow_to_stop()
    name = next(iter(pods(c)))
    c.delete("pods", name)
    c.advance(5)
    first = c.read("pod", name)["metadata"]["deletionTimestamp"]
    assert c.delete("pods", name, {"gracePeriodSeconds": 60})["body"]["metadata"][
        "deletionTimestamp"] == first
    shorter = c.delete("pods", name, {"gracePeriodSeconds": 10})["body"]["metadata"]
    assert (shorter["deletionTimestamp"], shorter["deletionGracePeriodSeconds"]) == (
        "2026-01-01T00:00:" + f"{int(c.now) - 5 + 10:02d}Z", 10)
    c.advance(4)
    assert name in pods(c)
    c.advance(2)
    assert name not in pods(c)


def test_force_deleting_a_pod_on_a_node_that_is_down_removes_it_at_once():
    """A pod on a node whose kubelet is away stays Terminating; `kubectl delete pod
    --grace-period=0 --force` removes the object anyway."""
    c = running()
    name, pod = next(iter(pods(c).items()))
    c.set_node_ready(pod["spec"]["nodeName"], False)
    c.delete("pods", name)
    c.advance(60)
    assert name in terminating(c)
    c.delete("pods", name, {"gracePeriodSeconds": 0})
    assert name not in pods(c)


# --- eviction -----------------------------------------------------------------------------------
def test_eviction_deletes_the_pod_gracefully():
    c = running()
    name = next(iter(pods(c)))
    answer = c.evict(name, {"apiVersion": "policy/v1", "kind": "Eviction",
                            "metadata": {"name": name, "namespace": "default"}})
    assert (answer["code"], answer["line"]) == (201, f"pod/{name} evicted")
    assert answer["body"] == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Success", "code": 201}
    assert name in terminating(c)
    with_options = next(iter(set(pods(c)) - terminating(c)))
    c.evict(with_options, {"metadata": {"name": with_options},
                           "deleteOptions": {"gracePeriodSeconds": 0}})
    assert with_options not in pods(c)


@pytest.mark.parametrize("name,body,code,message", [
    ("nope", {"metadata": {"name": "nope"}}, 404, 'pods "nope" not found'),
    ("nope", {"metadata": {"name": "other"}}, 400,
     "name in URL does not match name in Eviction object"),
], ids=["missing-pod", "name-mismatch"])
def test_eviction_refusals(name, body, code, message):
    status = refusal(lambda: running().evict(name, body))
    assert (status["code"], status["message"]) == (code, message)


# --- adoption and release (ClaimReplicaSets) ----------------------------------------------------
def test_a_replicaset_relabelled_out_of_its_deployments_selector_is_released():
    c = running()
    (name,) = replica_sets(c)
    c.patch("rs", name, {"metadata": {"labels": {"app": "other"}}},
            "application/strategic-merge-patch+json")
    released = c.read("rs", name)
    assert "ownerReferences" not in released["metadata"]
    settled(c)
    owned = [rs for rs in c.list("rs") if rs["metadata"].get("ownerReferences")]
    assert [rs["metadata"]["name"] for rs in owned] != [name] and len(owned) == 1
    assert c.read("rs", name)["spec"]["replicas"] == 3   # runs on by itself


def test_a_bare_replicaset_a_new_deployment_selects_is_adopted():
    """The Deployment claims ReplicaSets by their own labels. Its template differs from the
    Deployment's, so it is an old ReplicaSet of the Deployment and is scaled down."""
    bare = """apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: early, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "nginx:1.13"}]}
"""
    c = Cluster(seed=5)
    c.apply(bare)
    c.advance(10)
    c.apply(deployment_yaml())
    settled(c)
    early = c.read("rs", "early")
    assert early["metadata"]["ownerReferences"][0]["name"] == "web"
    assert early["spec"]["replicas"] == 0
    assert sum(rs["spec"]["replicas"] for rs in c.list("rs")) == 3
