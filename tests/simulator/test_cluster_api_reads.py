"""Reading through the API (Cluster.read / read_list), the scale subresource, and change
records as watch events."""
import json

import pytest

from cluster_helpers import deployment_yaml, replica_sets, settled
from simulator import Cluster
from simulator.api.handlers import MERGE, STRATEGIC, watch_event
from simulator.api.status import StatusError


def running(seed: int = 1, **kwargs) -> Cluster:
    c = Cluster(seed=seed)
    c.apply(deployment_yaml(**kwargs))
    return settled(c)


def refusal(call) -> dict:
    with pytest.raises(StatusError) as caught:
        call()
    return caught.value.status


# --- get and list ------------------------------------------------------------------------------
def test_read_answers_the_object_or_not_found():
    c = running()
    assert c.read("deployments", "web") == c.get("deployment", "web")
    assert c.read("deployments", "web", "status") == c.get("deployment", "web")
    assert refusal(lambda: c.read("deployments", "web", "logs"))["message"] == (
        "the server could not find the requested resource")
    status = refusal(lambda: c.read("deployments", "nope"))
    assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": 'deployments.apps "nope" not found', "reason": "NotFound",
                      "details": {"name": "nope", "group": "apps", "kind": "deployments"},
                      "code": 404}


def test_a_list_carries_the_current_resource_version():
    c = running()
    c.take_changes(resource_version=500)
    listed = c.read_list("pods")
    assert (listed["kind"], listed["apiVersion"], listed["metadata"]) == (
        "PodList", "v1", {"resourceVersion": "500"})
    assert [p["metadata"]["name"] for p in listed["items"]] == sorted(
        p["metadata"]["name"] for p in c.list("pod"))
    assert max(int(p["metadata"]["resourceVersion"]) for p in listed["items"]) <= 500


SELECTIONS = [
    ("label", "pods", "app=web", "", 3),
    ("label-none", "pods", "app=api", "", 0),
    ("label-set", "pods", "app in (web,api),pod-template-hash", "", 3),
    ("field-phase", "pods", "", "status.phase=Running", 3),
    ("field-node", "pods", "", "spec.nodeName=node-9", 0),
    ("field-name", "deployments", "", "metadata.name=web", 1),
    ("node-unschedulable", "nodes", "", "spec.unschedulable=false", 3),
]


@pytest.mark.parametrize("kind,labels,fields,count", [c[1:] for c in SELECTIONS],
                         ids=[c[0] for c in SELECTIONS])
def test_list_selectors(kind, labels, fields, count):
    c = running()
    assert len(c.read_list(kind, label_selector=labels, field_selector=fields)["items"]) == count


@pytest.mark.parametrize("labels,fields,message", [
    ("app in web", "", "unable to parse requirement: found 'web' expected: '('"),
    ("", "spec.image=x", "field label not supported: spec.image"),
], ids=["bad-label-selector", "unsupported-field"])
def test_list_selector_refusals(labels, fields, message):
    status = refusal(lambda: running().read_list("pods", label_selector=labels,
                                                 field_selector=fields))
    assert (status["code"], status["reason"]) == (400, "BadRequest")
    assert message in status["message"]


def test_events_as_kubectl_describe_asks_for_them():
    c = running()
    uid = c.read("deploy", "web")["metadata"]["uid"]
    events = c.read_list("events", field_selector=(
        f"involvedObject.name=web,involvedObject.namespace=default,"
        f"involvedObject.kind=Deployment,involvedObject.uid={uid}"))["items"]
    assert [e["reason"] for e in events] == ["ScalingReplicaSet"]
    assert all(e["metadata"]["resourceVersion"] for e in events)


# --- the scale subresource ---------------------------------------------------------------------
def test_scale_of_a_deployment_and_a_replicaset():
    c = running()
    d = c.read("deploy", "web")
    assert c.read("deploy", "web", "scale") == {
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {k: d["metadata"][k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                   "creationTimestamp")},
        "spec": {"replicas": 3}, "status": {"replicas": 3, "selector": "app=web"}}
    (name,) = replica_sets(c)
    scale = c.read("rs", name, "scale")
    assert scale["status"]["selector"] == f"app=web,pod-template-hash={name.split('-')[-1]}"
    c.scale("web", 0)
    settled(c)
    assert c.read("deploy", "web", "scale")["spec"] == {}   # replicas 0: omitted


def test_scale_update_and_patch():
    c = running()
    scale = c.read("deploy", "web", "scale")
    scale["spec"]["replicas"] = 5
    answer = c.replace_scale("deploy", "web", scale)
    assert (answer["code"], answer["line"]) == (200, "deployment.apps/web scaled")
    assert answer["body"]["spec"] == {"replicas": 5}
    assert c.read("deploy", "web")["spec"]["replicas"] == 5
    patched = c.patch_scale("deploy", "web", {"spec": {"replicas": 2}}, MERGE)
    assert patched["body"]["spec"] == {"replicas": 2}
    assert c.patch_scale("deploy", "web", {"spec": {"replicas": 4}}, STRATEGIC)["body"][
        "spec"] == {"replicas": 4}


SCALE_REFUSALS = [
    ("negative", {"spec": {"replicas": -1}}, 422,
     'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than '
     "or equal to 0"),
    ("int32", {"spec": {"replicas": 2**31}}, 422,
     'Scale.autoscaling "web" is invalid: spec.replicas: json: cannot unmarshal number '
     "2147483648 into Go struct field ScaleSpec.spec.replicas of type int32"),
    ("stale", {"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 2}}, 409,
     'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
     "please apply your changes to the latest version and try again"),
    ("budget", {"spec": {"replicas": 10**6}}, 422,
     'Deployment.apps "web" is invalid: spec.replicas: Invalid value: 1000000: must be less than '
     "or equal to 4000 within this simulation's pod budget of 5000 for replicas + maxSurge of all "
     "Deployments and ReplicaSets (0 used by the others)"),
]


@pytest.mark.parametrize("patch,code,message", [c[1:] for c in SCALE_REFUSALS],
                         ids=[c[0] for c in SCALE_REFUSALS])
def test_scale_refusals(patch, code, message):
    c = running()
    state = json.dumps(c.snapshot(), sort_keys=True)
    status = refusal(lambda: c.patch_scale("deploy", "web", patch, MERGE))
    assert (status["code"], status["message"]) == (code, message)
    assert json.dumps(c.snapshot(), sort_keys=True) == state


def test_scale_name_must_match_and_pods_have_none():
    c = running()
    scale = c.read("deploy", "web", "scale")
    scale["metadata"]["name"] = "api"
    status = refusal(lambda: c.replace_scale("deploy", "web", scale))
    assert status["message"] == "the name of the object (api) does not match the name on the URL (web)"
    status = refusal(lambda: c.read("pods", c.list("pod")[0]["metadata"]["name"], "scale"))
    assert status["code"] == 405


def test_dry_run_scale():
    c = running()
    state = json.dumps(c.snapshot(), sort_keys=True)
    answer = c.patch_scale("deploy", "web", {"spec": {"replicas": 7}}, MERGE, dry_run=True)
    assert (answer["line"], answer["body"]["spec"]) == (
        "deployment.apps/web scaled (server dry run)", {"replicas": 7})
    assert json.dumps(c.snapshot(), sort_keys=True) == state


# --- watch events ------------------------------------------------------------------------------
WATCHED = ("ADDED", "MODIFIED", "DELETED", "EVENT")   # not rolloutviz's own records (explanations)


def test_change_records_as_watch_events():
    c = Cluster(seed=1)
    c.take_changes()
    c.apply(deployment_yaml("nginx:1.161", replicas=1))
    events = []
    for _ in range(60):
        events += [watch_event(r) for r in c.step() if r["type"] in WATCHED]
    types = {(e["type"], e["object"]["kind"]) for e in events}
    assert {("ADDED", "Pod"), ("MODIFIED", "Pod"), ("ADDED", "Event"),
            ("MODIFIED", "Event")} <= types
    # each event's first write is ADDED, its repeats MODIFIED
    assert all((e["type"] == "ADDED") == (e["object"]["count"] == 1)
               for e in events if e["object"]["kind"] == "Event")
    c.delete("deploy", "web")
    deleted = [watch_event(r) for r in c.take_changes() if r["type"] in WATCHED]
    assert {(e["type"], e["object"]["kind"]) for e in deleted} == {
        ("DELETED", "Deployment"), ("DELETED", "ReplicaSet"), ("MODIFIED", "Pod")}
