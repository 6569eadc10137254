"""Create, replace and patch through the API write path (Cluster.create/replace/patch):
what the API server stores and answers, worded as it words its refusals
(apiserver handlers, generic registry, apps/v1 strategies)."""
import copy
import json

import pytest
import yaml
from kubernetes import client   # a dev dependency: the official Python client

from cluster_helpers import deployment_yaml, replica_sets, settled
from simulator import Cluster
from simulator.api.handlers import APPLY, JSON_PATCH, MERGE, STRATEGIC
from simulator.api.status import StatusError


def body(**kwargs) -> dict:
    return yaml.safe_load(deployment_yaml(**kwargs))


def running(seed: int = 1, **kwargs) -> Cluster:
    c = Cluster(seed=seed)
    c.apply(deployment_yaml(**kwargs))
    return settled(c)


def refusal(call) -> dict:
    with pytest.raises(StatusError) as caught:
        call()
    return caught.value.status


def unchanged(c: Cluster):
    """A guard: the cluster's whole state (rng included) before and after a block."""
    class Guard:
        def __enter__(self):
            self.before = json.dumps(c.snapshot(), sort_keys=True)

        def __exit__(self, *exc):
            assert json.dumps(c.snapshot(), sort_keys=True) == self.before
    return Guard()


# --- create -------------------------------------------------------------------------------------
def test_create_answers_201_with_the_object_at_its_batch_version():
    c = Cluster(seed=1)
    c.take_changes()
    answer = c.create("deployments", body(), resource_version=7)
    assert (answer["code"], answer["line"], answer["warnings"]) == (
        201, "deployment.apps/web created", [])
    created = answer["body"]
    assert created["metadata"]["resourceVersion"] == "7"
    assert created["metadata"]["generation"] == 1 and created["metadata"]["uid"]
    assert created["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%",
                                                            "maxUnavailable": "25%"}
    records = c.take_changes()
    assert {r["object"]["metadata"]["resourceVersion"] for r in records} == {"7"}
    mine = [r for r in records if r["kind"] == "Deployment"]
    assert [r["type"] for r in mine] == ["ADDED"]
    assert mine[0]["object"] == created   # the answer is the object at that version


CREATE_REFUSALS = [
    ("already-exists", lambda b: b, True, 409, "AlreadyExists",
     'deployments.apps "web" already exists'),
    ("resource-version-set", lambda b: {**b, "metadata": {**b["metadata"], "resourceVersion": "12"}},
     False, 500, None, "resourceVersion should not be set on objects to be created"),
    ("other-namespace", lambda b: {**b, "metadata": {**b["metadata"], "namespace": "kube-system"}},
     False, 400, "BadRequest",
     "the namespace of the provided object does not match the namespace sent on the request"),
    ("other-api-version", lambda b: {**b, "apiVersion": "apps/v1beta2"}, False, 400, "BadRequest",
     "the API version in the data (apps/v1beta2) does not match the expected API version (apps/v1)"),
    ("other-kind", lambda b: {**b, "kind": "ReplicaSet"}, False, 400, "BadRequest",
     'ReplicaSet in version "v1" cannot be handled as a Deployment: converting (v1.ReplicaSet) '
     "to (apps.Deployment): unknown conversion"),
    ("strict-unknown-field", lambda b: {**b, "spec": {**b["spec"], "replica": 2}}, False, 400,
     "BadRequest", 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding '
                   'error: unknown field "spec.replica"'),
    ("wrong-type", lambda b: {**b, "spec": {**b["spec"], "replicas": "two"}}, False, 400,
     "BadRequest", 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot '
                   "unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
    ("invalid", lambda b: {**b, "spec": {**b["spec"], "replicas": -1}}, False, 422, "Invalid",
     'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or '
     "equal to 0"),
    ("finalizers", lambda b: {**b, "metadata": {**b["metadata"], "finalizers": ["x/y"]}}, False, 422,
     "Invalid", 'Deployment.apps "web" is invalid: metadata.finalizers: Forbidden: the simulation '
                "does not model finalizers"),
    ("over-the-pod-budget", lambda b: {**b, "spec": {**b["spec"], "replicas": 10**6}}, False, 422,
     "Invalid", 'Deployment.apps "web" is invalid: spec.replicas: Invalid value: 1000000: must be '
                "less than or equal to 4000 within this simulation's pod budget of 5000 for "
                "replicas + maxSurge of all Deployments and ReplicaSets (0 used by the others)"),
]


@pytest.mark.parametrize("change,exists,code,reason,message", [c[1:] for c in CREATE_REFUSALS],
                         ids=[c[0] for c in CREATE_REFUSALS])
def test_create_refusals(change, exists, code, reason, message):
    c = Cluster(seed=1)
    if exists:
        c.create("deployments", body())
    with unchanged(c):
        status = refusal(lambda: c.create("deployments", change(body()),
                                          field_validation="Strict"))
    assert (status["code"], status.get("reason"), status["message"]) == (code, reason, message)


def test_invalid_create_has_one_cause_per_field_error():
    b = body()
    b["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}
    b["spec"]["replicas"] = -1
    status = refusal(lambda: Cluster().create("deployments", b))
    assert status["details"] == {"name": "web", "group": "apps", "kind": "Deployment", "causes": [
        {"reason": "FieldValueInvalid", "field": "spec.replicas",
         "message": "Invalid value: -1: must be greater than or equal to 0"},
        {"reason": "FieldValueInvalid", "field": "spec.strategy.rollingUpdate.maxUnavailable",
         "message": "Invalid value: 0: may not be 0 when `maxSurge` is 0"}]}


def test_warn_drops_unknown_fields_with_a_warning_and_ignore_silently():
    b = body()
    b["spec"]["replica"] = 2
    b["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "x"
    warned = Cluster(seed=1).create("deployments", b)   # Warn is the server's default
    # in the order the fields come in the body
    assert warned["warnings"] == ['unknown field "spec.template.spec.containers[0].imagePolicy"',
                                  'unknown field "spec.replica"']
    assert "replica" not in warned["body"]["spec"]
    ignored = Cluster(seed=1).create("deployments", b, field_validation="Ignore")
    assert ignored["body"]["spec"] == warned["body"]["spec"]
    status = refusal(lambda: Cluster().create("deployments", b, field_validation="Loud"))
    assert status["message"] == ('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: '
                                 'Unsupported value: "Loud": supported values: "", "Ignore", '
                                 '"Warn", "Strict"')


def test_create_ignores_status_and_server_fields():
    b = body()
    b["status"] = {"replicas": 99, "readyReplicas": 99}
    b["metadata"].update({"uid": "made-up", "generation": 9, "creationTimestamp": "2020-01-01T00:00:00Z"})
    created = Cluster(seed=1).create("deployments", b)["body"]
    assert created["metadata"]["uid"] != "made-up"
    assert created["metadata"]["generation"] == 1
    assert created["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"
    assert created["status"].get("readyReplicas") is None


def test_generate_name_draws_a_name_at_commit_and_a_stand_in_in_a_dry_run():
    b = body()
    b["metadata"] = {"generateName": "web-"}
    c = Cluster(seed=1)
    with unchanged(c):
        dry = c.create("deployments", b, dry_run=True)["body"]
    assert dry["metadata"]["name"].startswith("web-") and len(dry["metadata"]["name"]) == 9
    real = c.create("deployments", b)["body"]["metadata"]["name"]
    assert real.startswith("web-") and len(real) == 9 and c.read("deploy", real)


def test_dry_run_create_changes_nothing_and_answers_the_would_be_object():
    c = Cluster(seed=1)
    with unchanged(c):
        answer = c.create("deployments", body(), dry_run=True)
    assert (answer["code"], answer["line"]) == (201, "deployment.apps/web created (server dry run)")
    assert answer["body"]["metadata"]["generation"] == 1 and answer["body"]["status"] == {}
    assert "resourceVersion" not in answer["body"]["metadata"]
    assert c.read_list("deploy")["items"] == []


def test_a_replicaset_can_be_created_and_a_node_cannot():
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "bare"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "bare"}},
                   "template": {"metadata": {"labels": {"app": "bare"}},
                                "spec": {"containers": [{"name": "a", "image": "nginx"}]}}}}
    c = Cluster(seed=1)
    assert c.create("replicasets", rs)["line"] == "replicaset.apps/bare created"
    c.advance(10)
    assert len(c.read_list("pods", label_selector="app=bare")["items"]) == 2
    status = refusal(lambda: c.create("nodes", {"metadata": {"name": "node-9"}}))
    assert status["message"] == ('Node "node-9" is invalid: metadata.name: Forbidden: the '
                                 "simulation does not model creating nodes")
    status = refusal(lambda: c.create("pods", {"metadata": {"name": "p"}}))
    assert (status["code"], status["message"]) == (
        405, 'create is not supported on resources of kind "pods"')


# --- replace ------------------------------------------------------------------------------------
def test_replace_stores_the_spec_ignores_status_and_bumps_generation():
    c = running()
    current = c.read("deploy", "web")
    new = copy.deepcopy(current)
    new["spec"]["replicas"] = 5
    new["status"] = {"replicas": 42}
    answer = c.replace("deploy", "web", new)
    assert (answer["code"], answer["line"]) == (200, "deployment.apps/web replaced")
    assert answer["body"]["spec"]["replicas"] == 5
    assert answer["body"]["metadata"]["generation"] == current["metadata"]["generation"] + 1
    assert answer["body"]["status"].get("replicas") != 42


REPLACE_REFUSALS = [
    ("stale-resource-version", lambda d: d["metadata"].update(resourceVersion="1"), 409, "Conflict",
     'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
     "please apply your changes to the latest version and try again"),
    ("unparsable-resource-version", lambda d: d["metadata"].update(resourceVersion="abc"), 500,
     None, 'strconv.ParseUint: parsing "abc": invalid syntax'),
    ("other-uid", lambda d: d["metadata"].update(uid="0000"), 409, "Conflict",
     'Operation cannot be fulfilled on deployments.apps "web": StorageError: invalid object, '
     "Code: 4, Key: /registry/deployments/default/web, ResourceVersion: 0, AdditionalErrorMsg: "
     "Precondition failed: UID in precondition: 0000, UID in object meta: {uid}"),
    ("other-name", lambda d: d["metadata"].update(name="api"), 400, "BadRequest",
     "the name of the object (api) does not match the name on the URL (web)"),
    ("selector-changed", lambda d: d["spec"]["selector"]["matchLabels"].update(tier="x"), 422,
     "Invalid", None),
]


@pytest.mark.parametrize("change,code,reason,message", [c[1:] for c in REPLACE_REFUSALS],
                         ids=[c[0] for c in REPLACE_REFUSALS])
def test_replace_refusals(change, code, reason, message):
    c = running()
    current = c.read("deploy", "web")
    change(current)
    with unchanged(c):
        status = refusal(lambda: c.replace("deploy", "web", current))
    assert (status["code"], status.get("reason")) == (code, reason)
    if message:
        uid = c.read("deploy", "web")["metadata"]["uid"]
        assert status["message"] == message.format(uid=uid)


def test_replace_without_resource_version_is_unconditional():
    c = running()
    current = c.read("deploy", "web")
    del current["metadata"]["resourceVersion"]
    current["spec"]["replicas"] = 4
    assert c.replace("deploy", "web", current)["body"]["spec"]["replicas"] == 4


def test_an_unchanged_write_records_nothing_and_keeps_the_version():
    c = running()
    c.take_changes()
    current = c.read("deploy", "web")
    answer = c.replace("deploy", "web", current)
    assert answer["body"]["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
    assert c.take_changes() == []


BARE_RS = """apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: bare
spec:
  replicas: 1
  selector:
    matchLabels: {bare: "yes"}
  template:
    metadata:
      labels: {bare: "yes"}
    spec:
      containers: [{name: app, image: nginx}]
"""


@pytest.mark.parametrize("kind,change,bumped", [
    ("deploy", lambda o: o["spec"].update(minReadySeconds=3), True),
    ("deploy", lambda o: o["metadata"].setdefault("annotations", {}).update(note="x"), True),
    ("deploy", lambda o: o["metadata"].setdefault("labels", {}).update(tier="fe"), False),
    ("rs", lambda o: o["metadata"].setdefault("annotations", {}).update(note="x"), False),
    ("rs", lambda o: o["spec"].update(minReadySeconds=3), True),
], ids=["deployment-spec", "deployment-annotations", "deployment-labels", "rs-annotations",
        "rs-spec"])
def test_generation_follows_each_strategy(kind, change, bumped):
    """The Deployment strategy bumps generation on spec and annotation changes, the
    ReplicaSet's on spec changes only."""
    c = running()
    c.apply(BARE_RS)
    name = "web" if kind == "deploy" else "bare"
    current = c.read(kind, name)
    change(current)
    generation = c.replace(kind, name, current)["body"]["metadata"]["generation"]
    assert generation == current["metadata"]["generation"] + bumped


def test_an_answer_shows_the_object_after_the_controllers_reacted():
    """A write and what the controllers do at once share one resourceVersion here, so the
    answer shows the object at that version: a ReplicaSet its Deployment scales back."""
    c = running()
    name = next(iter(replica_sets(c)))
    current = c.read("rs", name)
    current["spec"]["replicas"] = 7
    answer = c.replace("rs", name, current)["body"]
    assert answer["spec"]["replicas"] == 3
    assert answer["metadata"]["generation"] == current["metadata"]["generation"] + 2


# --- patch --------------------------------------------------------------------------------------
PATCHES = [
    ("merge", MERGE, {"spec": {"replicas": 5}}, lambda d: d["spec"]["replicas"] == 5),
    ("strategic-containers-by-name", STRATEGIC,
     {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.16.1"}]}}}},
     lambda d: [(c["name"], c["image"], c["imagePullPolicy"])
                for c in d["spec"]["template"]["spec"]["containers"]]
     == [("app", "nginx:1.16.1", "IfNotPresent")]),
    ("strategic-retain-keys", STRATEGIC,
     {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}}},
     lambda d: d["spec"]["strategy"] == {"type": "Recreate"}),
    ("json-patch", JSON_PATCH, [{"op": "replace", "path": "/spec/minReadySeconds", "value": 5}],
     lambda d: d["spec"]["minReadySeconds"] == 5),
    ("status-ignored", MERGE, {"status": {"replicas": 99}, "spec": {"paused": True}},
     lambda d: d["spec"]["paused"] is True and d["status"]["replicas"] == 3),
    ("labels", STRATEGIC, {"metadata": {"labels": {"tier": "fe"}}},
     lambda d: d["metadata"]["labels"] == {"tier": "fe"}),
]


@pytest.mark.parametrize("patch_type,patch,check", [c[1:] for c in PATCHES],
                         ids=[c[0] for c in PATCHES])
def test_patches(patch_type, patch, check):
    c = running()
    answer = c.patch("deploy", "web", patch, patch_type + "; charset=utf-8")
    assert (answer["code"], answer["line"]) == (200, "deployment.apps/web patched")
    assert check(answer["body"]) and check(c.read("deploy", "web"))


PATCH_REFUSALS = [
    ("stale-resource-version", MERGE, {"metadata": {"resourceVersion": "2"}, "spec": {"replicas": 1}},
     {}, 409, 'Operation cannot be fulfilled on deployments.apps "web": the object has been '
              "modified; please apply your changes to the latest version and try again"),
    ("uid-changed", MERGE, {"metadata": {"uid": "1234"}}, {}, 422,
     'Deployment.apps "web" is invalid: metadata.uid: Invalid value: "1234": field is immutable'),
    ("name-changed", MERGE, {"metadata": {"name": "api"}}, {}, 400,
     "the name of the object (api) does not match the name on the URL (web)"),
    ("test-fails", JSON_PATCH, [{"op": "test", "path": "/spec/replicas", "value": 99}], {}, 422,
     "the server rejected our request due to an error in our request"),
    ("media-type", "application/yaml", {}, {}, 415,
     "the body of the request was in an unknown format - accepted media types include: "
     "application/json-patch+json, application/merge-patch+json, "
     "application/strategic-merge-patch+json, application/apply-patch+yaml"),
    ("force-without-apply", MERGE, {}, {"force": True}, 422,
     'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for '
     "non-apply patch"),
    ("apply-without-field-manager", APPLY, {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "metadata": {"name": "web"}}, {}, 422,
     'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for '
     "apply patch"),
    ("apply-without-kind", APPLY, {"apiVersion": "apps/v1", "metadata": {"name": "web"}},
     {"field_manager": "kubectl"}, 400, "kind must be set"),
    ("strict-unknown-field", STRATEGIC, {"spec": {"replica": 2}}, {"field_validation": "Strict"},
     400, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
          'unknown field "spec.replica"'),
]


@pytest.mark.parametrize("patch_type,patch,options,code,message", [c[1:] for c in PATCH_REFUSALS],
                         ids=[c[0] for c in PATCH_REFUSALS])
def test_patch_refusals(patch_type, patch, options, code, message):
    c = running()
    with unchanged(c):
        status = refusal(lambda: c.patch("deploy", "web", patch, patch_type, **options))
    assert (status["code"], status["message"]) == (code, message)


def test_a_patch_on_a_missing_object_is_not_found_and_on_pods_not_supported():
    c = running()
    status = refusal(lambda: c.patch("deploy", "nope", {}, MERGE))
    assert (status["code"], status["message"]) == (404, 'deployments.apps "nope" not found')
    pod = c.list("pod")[0]["metadata"]["name"]
    status = refusal(lambda: c.patch("pod", pod, {}, MERGE))
    assert (status["code"], status["message"]) == (
        405, 'patch is not supported on resources of kind "pods"')


def test_undo_as_kubectl_patches_it_reuses_the_old_replicaset():
    """`kubectl rollout undo` sends the old ReplicaSet's template (hash label removed,
    `creationTimestamp: null`) as a JSON patch: decoding drops the null, the template hashes
    as before, and the controller scales the old ReplicaSet back up."""
    c = running()
    c.set_image("web", "app", "nginx:1.16.1")
    settled(c)
    (old,) = [rs for rs in c.list("rs") if rs["spec"]["template"]["spec"]["containers"][0]["image"]
              == "nginx:1.14.2"]
    template = copy.deepcopy(old["spec"]["template"])
    del template["metadata"]["labels"]["pod-template-hash"]
    template["metadata"]["creationTimestamp"] = None
    c.patch("deploy", "web", [{"op": "replace", "path": "/spec/template", "value": template}],
            JSON_PATCH)
    settled(c)
    assert sorted(replica_sets(c)) == sorted(rs["metadata"]["name"] for rs in c.list("rs"))
    assert len(c.list("rs")) == 2 and c.read("rs", old["metadata"]["name"])["spec"]["replicas"] == 3


def test_dry_run_patch_answers_the_would_be_object_and_changes_nothing():
    c = running()
    current = c.read("deploy", "web")
    with unchanged(c):
        answer = c.patch("deploy", "web", {"spec": {"replicas": 6}}, MERGE, dry_run=True)
    assert answer["line"] == "deployment.apps/web patched (server dry run)"
    would_be = answer["body"]
    assert would_be["spec"]["replicas"] == 6
    assert would_be["metadata"]["generation"] == current["metadata"]["generation"] + 1
    assert would_be["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
    assert would_be["status"] == current["status"]


def test_an_empty_patch_changes_nothing():
    c = running()
    c.take_changes()
    assert c.patch("deploy", "web", {}, STRATEGIC)["line"] == "deployment.apps/web patched (no change)"
    assert c.take_changes() == []


# --- server-side apply --------------------------------------------------------------------------
def test_server_side_apply_creates_then_merges_applied_fields():
    c = Cluster(seed=1)
    applied = body()
    created = c.patch("deploy", "web", applied, APPLY, field_manager="kubectl")
    assert (created["code"], created["line"]) == (201, "deployment.apps/web serverside-applied")
    c.advance(20)
    c.scale("web", 5)   # a field another manager set, which the next apply leaves out
    again = body(image="nginx:1.16.1", replicas=None)
    again["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    answer = c.patch("deploy", "web", again, APPLY, field_manager="kubectl", force=False)
    assert (answer["code"], answer["line"]) == (200, "deployment.apps/web serverside-applied")
    spec = answer["body"]["spec"]
    assert spec["replicas"] == 5   # not in the applied object: kept (no managed fields)
    (container,) = spec["template"]["spec"]["containers"]
    assert (container["image"], container["env"]) == ("nginx:1.16.1", [{"name": "A", "value": "1"}])


def test_server_side_apply_name_must_match():
    status = refusal(lambda: Cluster().patch("deploy", "api", body(), APPLY, field_manager="k"))
    assert status["message"] == "the name of the object (web) does not match the name on the URL (api)"


# --- the Python client reads what the API answers -----------------------------------------------
@pytest.mark.parametrize("kind,model", [("deploy", "V1DeploymentList"), ("rs", "V1ReplicaSetList"),
                                        ("pod", "V1PodList"), ("node", "V1NodeList"),
                                        ("event", "CoreV1EventList")])
def test_the_official_python_client_reads_every_list(kind, model):
    """The client checks every field its OpenAPI schema marks required (a Node's nodeInfo
    needs bootID, machineID, systemUUID, ...)."""
    c = running(replicas=2, container_extra="readinessProbe: {httpGet: {path: /, port: 80}}")
    c.delete_pod(c.list("pod")[0]["metadata"]["name"])
    c.set_node_ready("node-3", False)
    c.patch("node", "node-1", {"spec": {"unschedulable": True}}, STRATEGIC)
    c.advance(5)
    listed = c.read_list(kind)
    items = client.ApiClient().deserialize(json.dumps(listed), model, "application/json").items
    assert len(items) == len(listed["items"]) > 0
    assert all(item.metadata.resource_version for item in items)


def test_kubectl_apply_patches_read_as_kubectl_apply_prints_them():
    c = running()
    apply = {"fieldManager": "kubectl-client-side-apply"}
    changed = c.patch("deploy", "web", {"spec": {"replicas": 4}}, STRATEGIC,
                      field_manager=apply["fieldManager"])
    same = c.patch("deploy", "web", {"spec": {"replicas": 4}}, STRATEGIC,
                   field_manager=apply["fieldManager"])
    assert (changed["line"], same["line"]) == ("deployment.apps/web configured",
                                              "deployment.apps/web unchanged")


def test_an_owned_replicaset_counts_in_the_pod_budget_by_what_a_write_adds():
    """Scaling a Deployment's ReplicaSet directly lets its controller create pods until the
    Deployment scales it back: it may ask for what the budget leaves beside its Deployment."""
    c = Cluster(seed=1, pod_budget=10)
    c.apply(deployment_yaml(replicas=4))   # demand 4 + 1 surge
    settled(c)
    (name,) = replica_sets(c)
    status = refusal(lambda: c.patch("rs", name, {"spec": {"replicas": 20}}, MERGE))
    assert status["message"] == (
        f'ReplicaSet.apps "{name}" is invalid: spec.replicas: Invalid value: 20: must be less '
        "than or equal to 5 within this simulation's pod budget of 10 for replicas + maxSurge of "
        "all Deployments and ReplicaSets (5 used by the others)")
    assert c.patch("rs", name, {"metadata": {"labels": {"app": "web", "x": "y"}}}, MERGE)
    assert c.patch("rs", name, {"spec": {"replicas": 5}}, MERGE)["code"] == 200
