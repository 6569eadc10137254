"""The three patch types. Strategic merge cases are ported from apimachinery's
strategicpatch patch_test.go (its MergeItem test type registered as a kind) and taken from
what kubectl 1.32 sends (../shared/kubernetes-api/requests.md); merge and JSON patch cases
from evanphx/json-patch v4's merge_test.go and patch_test.go."""
import copy

import pytest

from simulator.api import struct_tags
from simulator.api.patch import (
    MAX_JSON_PATCH_OPERATIONS,
    PatchError,
    json_merge_patch,
    json_patch,
    strategic_merge_patch,
)
from simulator.api.struct_tags import MERGE, ListOf

# --- strategic merge patch: patch_test.go's MergeItem ---------------------------------------


@pytest.fixture
def merge_item(monkeypatch):
    """patch_test.go's MergeItem and RetainKeysMergeItem, with their struct tags."""
    monkeypatch.setitem(struct_tags.TYPES, "MergeItem", {
        "mergingList": ListOf("MergeItem", MERGE, "name"),
        "nonMergingList": ListOf("MergeItem"),
        "mergingIntList": ListOf(None, MERGE),
        "nonMergingIntList": ListOf(),
        "mergeItemPtr": "MergeItem",
        "simpleMap": struct_tags.STRING_MAP,
        "retainKeysMap": "RetainKeysMergeItem",
        "retainKeysMergingList": ListOf("MergeItem", MERGE, "name"),
    })
    monkeypatch.setitem(struct_tags.TYPES, "RetainKeysMergeItem", {
        "simpleMap": struct_tags.STRING_MAP,
        "mergingIntList": ListOf(None, MERGE),
        "mergingList": ListOf("MergeItem", MERGE, "name"),
        "nonMergingList": ListOf("MergeItem"),
    })
    return "MergeItem"


# (description, original, patch, result) from customStrategicMergePatchTestCaseData and
# customStrategicMergePatchRawTestCases (the two-way patch applied to the original)
CUSTOM = [
    ("unique scalars when merging lists",
     {"mergingIntList": [1, 2]}, {"mergingIntList": [2, 3]}, {"mergingIntList": [1, 2, 3]}),
    ("delete map from nested map",
     {"simpleMap": {"key1": "1", "key2": "1"}}, {"simpleMap": {"$patch": "delete"}},
     {"simpleMap": {}}),
    ("delete all items from merging list",
     {"mergingList": [{"name": "1"}, {"name": "2"}]}, {"mergingList": [{"$patch": "replace"}]},
     {"mergingList": []}),
    ("merge empty merging lists", {"mergingList": []}, {"mergingList": []}, {"mergingList": []}),
    ("delete all keys from map", {"name": "1", "value": "1"}, {"$patch": "replace"}, {}),
    ("add key and delete all keys from map",
     {"name": "1", "value": "1"}, {"other": "a", "$patch": "replace"}, {"other": "a"}),
    ("delete all duplicate entries in a merging list",
     {"mergingList": [{"name": "1"}, {"name": "1"}, {"name": "2", "value": "a"}, {"name": "3"},
                      {"name": "3"}]},
     {"mergingList": [{"name": "1", "$patch": "delete"}, {"name": "3", "$patch": "delete"}]},
     {"mergingList": [{"name": "2", "value": "a"}]}),
    ("retainKeys map can add a field when no retainKeys directive present",
     {"retainKeysMap": {"name": "foo"}}, {"retainKeysMap": {"value": "bar"}},
     {"retainKeysMap": {"name": "foo", "value": "bar"}}),
    ("retainKeys map can change a field when no retainKeys directive present",
     {"retainKeysMap": {"name": "foo", "value": "a"}}, {"retainKeysMap": {"value": "b"}},
     {"retainKeysMap": {"name": "foo", "value": "b"}}),
    ("retainKeys map can delete a field when no retainKeys directive present",
     {"retainKeysMap": {"name": "foo", "value": "a"}}, {"retainKeysMap": {"value": None}},
     {"retainKeysMap": {"name": "foo"}}),
    ("retainKeys map merge an empty map",
     {"retainKeysMap": {"name": "foo", "value": "a"}}, {"retainKeysMap": {}},
     {"retainKeysMap": {"name": "foo", "value": "a"}}),
    ("retainKeys list can add a field when no retainKeys directive present",
     {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo"}]},
     {"retainKeysMergingList": [{"name": "foo", "value": "a"}]},
     {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "a"}]}),
    ("retainKeys list can delete a field when no retainKeys directive present",
     {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "a"}]},
     {"retainKeysMergingList": [{"name": "foo", "value": None}]},
     {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo"}]}),
    ("preserve the order from the patch in a merging list",
     {"mergingList": [{"name": "1"}, {"name": "2", "value": "b"}, {"name": "3"}]},
     {"mergingList": [{"name": "3", "value": "c"}, {"name": "1", "value": "a"},
                      {"name": "2", "other": "x"}]},
     {"mergingList": [{"name": "3", "value": "c"}, {"name": "1", "value": "a"},
                      {"name": "2", "value": "b", "other": "x"}]}),
    ("preserve the order from the patch in a merging list 2",
     {"mergingList": [{"name": "1"}, {"name": "2", "value": "b"}, {"name": "3"}]},
     {"mergingList": [{"name": "3", "value": "c"}, {"name": "1", "value": "a"}]},
     {"mergingList": [{"name": "2", "value": "b"}, {"name": "3", "value": "c"},
                      {"name": "1", "value": "a"}]}),
    ("preserve the order from the patch in a merging int list",
     {"mergingIntList": [1, 2, 3]}, {"mergingIntList": [3, 1, 2]}, {"mergingIntList": [3, 1, 2]}),
    ("preserve the order from the patch in a merging int list 2",
     {"mergingIntList": [1, 2, 3]}, {"mergingIntList": [3, 1]}, {"mergingIntList": [2, 3, 1]}),
    ("$setElementOrder contains item that is not present in the list to be merged",
     {"mergingList": [{"name": "1"}, {"name": "3"}]},
     {"$setElementOrder/mergingList": [{"name": "3"}, {"name": "2"}, {"name": "1"}],
      "mergingList": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}]},
     {"mergingList": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}]}),
    ("$setElementOrder contains item that is not present in the int list to be merged",
     {"mergingIntList": [1, 3]}, {"$setElementOrder/mergingIntList": [3, 2, 1]},
     {"mergingIntList": [3, 1]}),
    ("$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item",
     {"mergingIntList": [1, 2]}, {"$deleteFromPrimitiveList/mergingIntList": [3]},
     {"mergingIntList": [1, 2]}),
    ("$deleteFromPrimitiveList on empty primitive list should not add the item to the list",
     {"mergingIntList": None}, {"$deleteFromPrimitiveList/mergingIntList": [3]},
     {"mergingIntList": None}),
    ("$deleteFromPrimitiveList on nonexistent primitive list should not add the primitive list",
     {"foo": ["bar"]}, {"$deleteFromPrimitiveList/mergingIntList": [3]}, {"foo": ["bar"]}),
    ("$deleteFromPrimitiveList should delete item from a list with merge patch strategy",
     {"mergingIntList": [1, 2, 3]}, {"$deleteFromPrimitiveList/mergingIntList": [2]},
     {"mergingIntList": [1, 3]}),
    ("$deleteFromPrimitiveList should delete item from a list without merge patch strategy",
     {"nonMergingIntList": [1, 2, 3]}, {"$deleteFromPrimitiveList/nonMergingIntList": [2]},
     {"nonMergingIntList": [1, 3]}),
    # more from strategicMergePatchRawTestCases
    ("nested patch merge with empty list", {"name": "1", "mergingList": []},
     {"mergingList": [{"name": "1", "value": "1"}]},
     {"name": "1", "mergingList": [{"name": "1", "value": "1"}]}),
    ("delete a field of an item in a merging list",
     {"mergingList": [{"name": "1", "value": "1", "other": "a"}, {"name": "2"}]},
     {"mergingList": [{"name": "1", "value": None}]},
     {"mergingList": [{"name": "1", "other": "a"}, {"name": "2"}]}),
    ("non-merging list is replaced whole",
     {"nonMergingList": [{"name": "1"}, {"name": "2"}]}, {"nonMergingList": [{"name": "3"}]},
     {"nonMergingList": [{"name": "3"}]}),
    ("retainKeys directive clears the fields not listed",
     {"retainKeysMap": {"name": "foo", "value": "a", "other": "b"}},
     {"retainKeysMap": {"$retainKeys": ["name", "other"], "other": "c"}},
     {"retainKeysMap": {"name": "foo", "other": "c"}}),
    ("a null merging list is deleted", {"mergingList": [{"name": "1"}], "name": "x"},
     {"mergingList": None}, {"name": "x"}),
    ("an unmatched null is ignored", {"name": "x"}, {"value": None}, {"name": "x"}),
    ("nulls inside a new map are dropped", {"name": "x"},
     {"mergeItemPtr": {"name": "y", "value": None}}, {"name": "x", "mergeItemPtr": {"name": "y"}}),
    ("replace directive on a nested map keeps only the patch",
     {"mergeItemPtr": {"name": "y", "value": "1"}},
     {"mergeItemPtr": {"$patch": "replace", "other": "z"}}, {"mergeItemPtr": {"other": "z"}}),
    ("a value of another type replaces", {"mergingList": [{"name": "1"}]},
     {"mergingList": "flat"}, {"mergingList": "flat"}),
    ("a new list keeps no $patch items", {},
     {"mergingList": [{"name": "1"}, {"name": "2", "$patch": "delete"}]},
     {"mergingList": [{"name": "1"}]}),
]


@pytest.mark.parametrize("original,patch,result", [c[1:] for c in CUSTOM], ids=[c[0] for c in CUSTOM])
def test_strategic_merge_patch(merge_item, original, patch, result):
    before = copy.deepcopy((original, patch))
    assert strategic_merge_patch(original, patch, merge_item) == result
    assert (original, patch) == before  # the arguments are not changed


SMP_ERRORS = [
    ("order mismatch",
     {"mergingList": [{"name": "1"}, {"name": "3"}, {"name": "2"}]},
     {"$setElementOrder/mergingList": [{"name": "1"}, {"name": "2"}, {"name": "3"}],
      "mergingList": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}]},
     500, "", "The order in patch list:\n[map[name:3 value:3] map[name:1 value:1]]\n doesn't "
              "match $setElementOrder list:\n[map[name:1] map[name:2] map[name:3]]\n"),
    ("int order mismatch", {"mergingIntList": [1, 3, 2]},
     {"$setElementOrder/mergingIntList": [1, 2, 3], "mergingIntList": [3, 1]},
     500, "", "The order in patch list:\n[3 1]\n doesn't match $setElementOrder list:\n[1 2 3]\n"),
    ("missing merge key", {"mergingList": [{"name": "1", "value": "a"}]},
     {"mergingList": [{"value": "b"}]},
     500, "", "map: map[value:b] does not contain declared merge key: name"),
    ("delete without merge key", {"mergingList": [{"name": "1"}]},
     {"mergingList": [{"$patch": "delete", "value": "b"}]},
     500, "", "map: map[$patch:delete value:b] does not contain declared merge key: name"),
    ("bad retainKeys", {"retainKeysMap": {"name": "a"}},
     {"retainKeysMap": {"$retainKeys": ["name"], "value": "b"}},
     400, "BadRequest", "invalid patch format of retainKeys"),
    ("retainKeys not a list", {"retainKeysMap": {"name": "a"}},
     {"retainKeysMap": {"$retainKeys": "name"}}, 400, "BadRequest",
     "invalid patch format of retainKeys"),
    ("bad delete list key", {"mergingIntList": [1]}, {"$deleteFromPrimitiveList": [1]},
     400, "BadRequest", "invalid patch format of primitive list"),
    ("bad set order key", {"mergingIntList": [1]}, {"$setElementOrder": [1]},
     400, "BadRequest", "invalid patch format of setElementOrder list"),
    ("set order not a list", {"mergingIntList": [1]}, {"$setElementOrder/mergingIntList": 1},
     500, "", "expected a []interface {}, but received a int64"),
    ("unknown map directive", {"simpleMap": {"a": "b"}}, {"simpleMap": {"$patch": "merge"}},
     500, "", "unknown patch type: merge in map: map[$patch:merge]"),
    ("merge directive in a list", {"mergingList": [{"name": "1"}]},
     {"mergingList": [{"$patch": "merge"}]},
     500, "", "merging lists cannot yet be specified in the patch"),
    ("mixed item types", {"mergingIntList": [1]}, {"mergingIntList": ["a"]},
     500, "", "list element types are not identical: [[1] [a]]"),
    ("lists of lists", {"mergingIntList": [[1]]}, {"mergingIntList": [[2]]},
     422, "Invalid", "the server rejected our request due to an error in our request"),
    ("patch body not an object", {}, ["a"],
     400, "BadRequest", "json: cannot unmarshal array into Go value of type map[string]interface {}"),
]


@pytest.mark.parametrize("original,patch,code,reason,message", [c[1:] for c in SMP_ERRORS],
                         ids=[c[0] for c in SMP_ERRORS])
def test_strategic_merge_patch_errors(merge_item, original, patch, code, reason, message):
    with pytest.raises(PatchError) as raised:
        strategic_merge_patch(original, patch, merge_item)
    got = raised.value.status
    assert (got["code"], got.get("reason", ""), got["message"]) == (code, reason, message)


def test_lists_of_lists_keep_the_library_text_as_detail(merge_item):
    with pytest.raises(PatchError) as raised:
        strategic_merge_patch({"mergingIntList": [[1]]}, {"mergingIntList": [[2]]}, merge_item)
    assert raised.value.detail == "lists of lists are not supported"


def test_null_patch_changes_nothing():
    assert strategic_merge_patch({"spec": {"replicas": 3}}, None, "Deployment") == {
        "spec": {"replicas": 3}}


# --- strategic merge patch: the Kubernetes types, as kubectl 1.32 patches them ---------------

def deployment():
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a", "b"],
                     "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {
            "replicas": 3, "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "nginx:1.14.2", "command": ["nginx", "-g"],
                         "ports": [{"containerPort": 80, "protocol": "TCP"}],
                         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                         "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]},
                        {"name": "sidecar", "image": "busybox"}],
                    "volumes": [{"name": "cache", "emptyDir": {}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}]}}},
        "status": {"conditions": [{"type": "Available", "status": "True"},
                                  {"type": "Progressing", "status": "True"}]},
    }


def container(result, name="app"):
    return next(c for c in result["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def test_kubectl_set_image():
    """requests.md 16-set-image: the image changes, every other field and container stays."""
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
        "containers": [{"image": "nginx:1.16.1", "name": "app"}]}}}}
    result = strategic_merge_patch(deployment(), patch, "Deployment")
    want = deployment()
    container(want)["image"] = "nginx:1.16.1"
    assert result == want


def test_kubectl_apply_with_retain_keys_and_env_deletion():
    """requests.md 75-smp-patch: strategy switched to Recreate with $retainKeys, an env var
    deleted, one added, $setElementOrder on env, a volume's source swapped with
    $retainKeys."""
    patch = {"spec": {
        "strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"},
        "template": {"spec": {
            "$setElementOrder/containers": [{"name": "app"}, {"name": "sidecar"}],
            "containers": [{"name": "app", "$setElementOrder/env": [{"name": "B"}, {"name": "C"}],
                            "env": [{"$patch": "delete", "name": "A"},
                                    {"name": "C", "value": "3"}]}],
            "$setElementOrder/volumes": [{"name": "cache"}],
            "volumes": [{"$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"},
                         "emptyDir": None, "name": "cache"}]}}}}
    result = strategic_merge_patch(deployment(), patch, "Deployment")
    assert result["spec"]["strategy"] == {"type": "Recreate"}
    assert container(result)["env"] == [{"name": "B", "value": "2"}, {"name": "C", "value": "3"}]
    assert result["spec"]["template"]["spec"]["volumes"] == [
        {"name": "cache", "configMap": {"name": "cfg"}}]


KUBERNETES_CASES = [
    ("pause", {"spec": {"paused": True}}, lambda d: d["spec"].update(paused=True)),
    ("replicas and label", {"spec": {"replicas": 4}, "metadata": {"labels": {"tier": "fe"}}},
     lambda d: (d["spec"].update(replicas=4), d["metadata"]["labels"].update(tier="fe"))),
    ("restart annotation", {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-12-05T23:15:18Z"}}}}},
     lambda d: d["spec"]["template"]["metadata"].update(
         annotations={"kubectl.kubernetes.io/restartedAt": "2026-12-05T23:15:18Z"})),
    ("ports merge by containerPort", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "ports": [{"containerPort": 443}]}]}}}},
     lambda d: container(d)["ports"].append({"containerPort": 443})),
    ("mounts merge by mountPath", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "volumeMounts": [{"mountPath": "/cache", "readOnly": True}]}]}}}},
     lambda d: container(d)["volumeMounts"][0].update(readOnly=True)),
    ("command is atomic", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "command": ["sh"]}]}}}},
     lambda d: container(d).update(command=["sh"])),
    ("tolerations are atomic", {"spec": {"template": {"spec": {
        "tolerations": [{"key": "b", "operator": "Exists"}]}}}},
     lambda d: d["spec"]["template"]["spec"].update(tolerations=[{"key": "b", "operator": "Exists"}])),
    ("new container appended", {"spec": {"template": {"spec": {"containers": [
        {"name": "log", "image": "fluentd"}]}}}},
     lambda d: d["spec"]["template"]["spec"]["containers"].append(
         {"name": "log", "image": "fluentd"})),
    ("container deleted", {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "$patch": "delete"}]}}}},
     lambda d: d["spec"]["template"]["spec"]["containers"].pop()),
    ("finalizer removed from the primitive list",
     {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}},
     lambda d: d["metadata"].update(finalizers=["b"])),
    # the patch's items in its order, the live "b" after "a", which precedes it live
    ("finalizers merged as a set", {"metadata": {"finalizers": ["c", "a"]}},
     lambda d: d["metadata"].update(finalizers=["c", "a", "b"])),
    ("conditions merge by type", {"status": {"conditions": [
        {"type": "Progressing", "status": "False"}]}},
     lambda d: d["status"]["conditions"][1].update(status="False")),
    ("label removed", {"metadata": {"labels": {"app": None}}},
     lambda d: d["metadata"].update(labels={})),
]


@pytest.mark.parametrize("patch,change", [c[1:] for c in KUBERNETES_CASES],
                         ids=[c[0] for c in KUBERNETES_CASES])
def test_strategic_merge_patch_of_a_deployment(patch, change):
    want = deployment()
    change(want)
    assert strategic_merge_patch(deployment(), patch, "Deployment") == want


def test_kubectl_cordon_and_uncordon():
    """requests.md 52-cordon / 55-uncordon."""
    node = {"kind": "Node", "metadata": {"name": "node-1"}, "spec": {"podCIDR": "10.244.1.0/24"}}
    cordoned = strategic_merge_patch(node, {"spec": {"unschedulable": True}}, "Node")
    assert cordoned["spec"] == {"podCIDR": "10.244.1.0/24", "unschedulable": True}
    assert strategic_merge_patch(cordoned, {"spec": {"unschedulable": None}}, "Node") == node


def test_service_ports_merge_by_port():
    service = {"kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": 8080},
                                                     {"port": 443}]}}
    result = strategic_merge_patch(service, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}},
                                   "Service")
    assert result["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]


def test_scale_subresource_patch_from_the_python_client():
    """requests.md 70-python-client: the official client patches /scale with SMP."""
    scale = {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": "web"},
             "spec": {"replicas": 3}, "status": {"replicas": 3, "selector": "app=web"}}
    result = strategic_merge_patch(scale, {"spec": {"replicas": 5}}, "Scale")
    assert result["spec"] == {"replicas": 5} and result["status"] == scale["status"]


# --- JSON merge patch (RFC 7386) ----------------------------------------------------------------

MERGE_CASES = [
    # RFC 7386 appendix A, via merge_test.go's rfcTests
    ("replace value", {"a": "b"}, {"a": "c"}, {"a": "c"}),
    ("add key", {"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ("delete key", {"a": "b"}, {"a": None}, {}),
    ("delete one of two", {"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ("list replaced by value", {"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ("value replaced by list", {"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ("nested merge", {"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ("list of objects replaced", {"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ("existing nulls kept", {"e": None}, {"a": 1}, {"a": 1, "e": None}),
    ("nulls in new objects dropped", {}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    # merge_test.go
    ("other values kept", {"title": "hello", "age": 18}, {"title": "goodbye"},
     {"title": "goodbye", "age": 18}),
    ("null doc value replaced", {"title": None}, {"title": {"foo": "bar"}},
     {"title": {"foo": "bar"}}),
    ("nulls in lists kept", {"a": [{"b": "c"}]}, {"a": [None, 1]}, {"a": [None, 1]}),
    ("recurses into objects", {"person": {"title": "hello", "age": 18}},
     {"person": {"title": "goodbye"}}, {"person": {"title": "goodbye", "age": 18}}),
    ("empty list", {"array": ["one", "two"]}, {"array": []}, {"array": []}),
    ("object replaced by list keeps nothing of it", {"a": {"x": 1}}, {"a": [1]}, {"a": [1]}),
    # what kubectl scale sends (requests.md 33-scale)
    ("kubectl scale", {"spec": {"replicas": 3}, "status": {"replicas": 3}},
     {"spec": {"replicas": 5}}, {"spec": {"replicas": 5}, "status": {"replicas": 3}}),
]


@pytest.mark.parametrize("original,patch,result", [c[1:] for c in MERGE_CASES],
                         ids=[c[0] for c in MERGE_CASES])
def test_json_merge_patch(original, patch, result):
    before = copy.deepcopy((original, patch))
    assert json_merge_patch(original, patch) == result
    assert (original, patch) == before


@pytest.mark.parametrize("patch,message", [
    (None, "Invalid JSON Patch"),
    ("bar", "error decoding patch: json: cannot unmarshal string into Go value of type "
            "map[string]interface {}"),
    (["c"], "error decoding patch: json: cannot unmarshal array into Go value of type "
            "map[string]interface {}"),
], ids=["null", "string", "array"])
def test_json_merge_patch_refuses_non_objects(patch, message):
    with pytest.raises(PatchError) as raised:
        json_merge_patch({"a": "foo"}, patch)
    assert (raised.value.status["code"], raised.value.status["message"]) == (400, message)


# --- JSON patch (RFC 6902) -----------------------------------------------------------------------

JSON_PATCH_CASES = [
    # patch_test.go Cases
    ("add", {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}],
     {"baz": "qux", "foo": "bar"}),
    ("add into list", {"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
     {"foo": ["bar", "qux", "baz"]}),
    ("add at negative index", {"foo": ["bar", "baz"]},
     [{"op": "add", "path": "/foo/-1", "value": "qux"}], {"foo": ["bar", "baz", "qux"]}),
    ("remove key", {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}],
     {"foo": "bar"}),
    ("remove item", {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}],
     {"foo": ["bar", "baz"]}),
    ("replace", {"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}],
     {"baz": "boo", "foo": "bar"}),
    ("move key", {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ("move item forward", {"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ("move item by one", {"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/2"}],
     {"foo": ["all", "cows", "grass", "eat"]}),
    ("add object", {"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ("append list", {"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
     {"foo": ["bar", ["abc", "def"]]}),
    ("remove null", {"foo": "bar", "qux": {"baz": 1, "bar": None}},
     [{"op": "remove", "path": "/qux/bar"}], {"foo": "bar", "qux": {"baz": 1}}),
    ("add null", {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": None}],
     {"baz": None, "foo": "bar"}),
    ("replace item", {"foo": ["bar", "qux", "baz"]},
     [{"op": "replace", "path": "/foo/1", "value": "bum"}], {"foo": ["bar", "bum", "baz"]}),
    ("copy item", {"foo": ["bar", "qux", "baz"], "bar": ["qux", "baz"]},
     [{"op": "copy", "from": "/foo/0", "path": "/bar/0"}],
     {"foo": ["bar", "qux", "baz"], "bar": ["bar", "qux", "baz"]}),
    ("copy a list into itself", {"foo": ["bar"]}, [{"op": "copy", "path": "/foo/0", "from": "/foo"}],
     {"foo": [["bar"], "bar"]}),
    ("remove negative index", {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/-2"}],
     {"foo": ["bar", "baz"]}),
    ("add -1 to empty", {"foo": []}, [{"op": "add", "path": "/foo/-1", "value": "qux"}],
     {"foo": ["qux"]}),
    ("replace null in list item", {"bar": [{"baz": None}]},
     [{"op": "replace", "path": "/bar/0/baz", "value": 1}], {"bar": [{"baz": 1}]}),
    ("replace with null", {"bar": [1]}, [{"op": "replace", "path": "/bar/0", "value": None}],
     {"bar": [None]}),
    ("test then replace whole document", {"id": "0", "parentID": "0"},
     [{"op": "test", "path": "", "value": {"id": "0", "parentID": "0"}},
      {"op": "replace", "path": "", "value": {"id": "7", "parentID": "0"}}],
     {"id": "7", "parentID": "0"}),
    # TestCases (test operations that pass)
    ("tests pass", {"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ("test missing is null", {"baz": "qux"}, [{"op": "test", "path": "/foo", "value": None}],
     {"baz": "qux"}),
    ("test null", {"foo": None}, [{"op": "test", "path": "/foo", "value": None}], {"foo": None}),
    ("test escaped key", {"baz/foo": "qux"}, [{"op": "test", "path": "/baz~1foo", "value": "qux"}],
     {"baz/foo": "qux"}),
    # the v4 library's quirks the apiserver keeps
    ("replace of a missing key adds it", {"a": 1}, [{"op": "replace", "path": "/b", "value": 2}],
     {"a": 1, "b": 2}),
    ("replace whole document with a scalar is ignored", {"a": 1},
     [{"op": "replace", "path": "", "value": 5}], {"a": 1}),
    ("tilde escapes decoded once", {"a~1b": 1}, [{"op": "remove", "path": "/a~01b"}], {}),
]


@pytest.mark.parametrize("original,operations,result", [c[1:] for c in JSON_PATCH_CASES],
                         ids=[c[0] for c in JSON_PATCH_CASES])
def test_json_patch(original, operations, result):
    before = copy.deepcopy(original)
    assert json_patch(original, operations) == result
    assert original == before


def test_kubectl_rollout_undo():
    """requests.md 28-undo: the ReplicaSet's template (creationTimestamp null included) and
    the annotations replaced."""
    template = {"metadata": {"creationTimestamp": None, "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.14.2"}]}}
    annotations = {"deployment.kubernetes.io/revision": "2"}
    result = json_patch(deployment(), [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations}])
    assert result["spec"]["template"] == template
    assert result["metadata"]["annotations"] == annotations


JSON_PATCH_ERRORS = [
    # BadCases and failing TestCases of patch_test.go, with the library's words
    ("add below a missing key", {"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}],
     'add operation does not apply: doc is missing path: "/baz/bat": missing value'),
    ("remove missing key", {"a": {"b": {"d": 1}}}, [{"op": "remove", "path": "/a/b/c"}],
     "error in remove for path: '/a/b/c': Unable to remove nonexistent key: c: missing value"),
    ("move missing key", {"a": {"b": {"d": 1}}}, [{"op": "move", "from": "/a/b/c", "path": "/a/b/e"}],
     "error in move for path: 'c': Unable to remove nonexistent key: c: missing value"),
    ("remove past the end", {"a": {"b": [1]}}, [{"op": "remove", "path": "/a/b/1"}],
     "error in remove for path: '/a/b/1': Unable to access invalid index: 1: invalid index "
     "referenced"),
    ("move past the end", {"a": {"b": [1]}}, [{"op": "move", "from": "/a/b/1", "path": "/a/b/2"}],
     "error in move for path: '1': Unable to access invalid index: 1: invalid index referenced"),
    ("no path", {"foo": "bar"}, [{"op": "add", "pathz": "/baz", "value": "qux"}],
     "add operation failed to decode path: missing value"),
    ("add to the root", {"foo": "bar"}, [{"op": "add", "path": "", "value": "qux"}],
     'add operation does not apply: doc is missing path: "": missing value'),
    ("replace past the end", {"foo": ["bar", "baz"]},
     [{"op": "replace", "path": "/foo/2", "value": "bum"}],
     "replace operation does not apply: doc is missing key: /foo/2: missing value"),
    ("add before the start", {"foo": ["bar", "baz"]},
     [{"op": "add", "path": "/foo/-4", "value": "bum"}],
     "error in add for path: '/foo/-4': Unable to access invalid index: -4: invalid index "
     "referenced"),
    ("replace below a missing key", {"name": {"foo": "bat", "qux": "bum"}},
     [{"op": "replace", "path": "/foo/bar", "value": "baz"}],
     "replace operation does not apply: doc is missing path: /foo/bar: missing value"),
    ("add past the end", {"foo": ["bar"]}, [{"op": "add", "path": "/foo/2", "value": "bum"}],
     "error in add for path: '/foo/2': Unable to access invalid index: 2: invalid index "
     "referenced"),
    ("remove dash", {"foo": []}, [{"op": "remove", "path": "/foo/-"}],
     "error in remove for path: '/foo/-': strconv.Atoi: parsing \"-\": invalid syntax"),
    ("remove -1 of empty", {"foo": []}, [{"op": "remove", "path": "/foo/-1"}],
     "error in remove for path: '/foo/-1': Unable to access invalid index: -1: invalid index "
     "referenced"),
    ("remove -2 of one", {"foo": ["bar"]}, [{"op": "remove", "path": "/foo/-2"}],
     "error in remove for path: '/foo/-2': Unable to access invalid index: -2: invalid index "
     "referenced"),
    ("null op", {}, [{"op": None, "path": ""}], "Unexpected kind: unknown"),
    ("null path", {}, [{"op": "add", "path": None}], "add operation failed to decode path: missing "
                                                     "value"),
    ("null from", {}, [{"op": "copy", "from": None}],
     "copy operation failed to decode from: operation, missing from field: missing value"),
    ("copy past the end", {"foo": ["bar"]}, [{"op": "copy", "path": "/foo/2", "from": "/foo/0"}],
     "error while adding value during copy: Unable to access invalid index: 2: invalid index "
     "referenced"),
    ("move to past the end", {"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/4"}],
     "error in move for path: '/foo/4': Unable to access invalid index: 4: invalid index "
     "referenced"),
    ("test fails", {"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}],
     "testing value /baz failed: test failed"),
    ("second test fails", {"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": "c"}],
     "testing value /foo/1 failed: test failed"),
    ("test missing against a number", {"baz": "qux"}, [{"op": "test", "path": "/foo", "value": 42}],
     "testing value /foo failed: test failed"),
    ("test object against null", {"foo": {}}, [{"op": "test", "path": "/foo", "value": None}],
     "testing value /foo failed: test failed"),
    ("test without value", {"foo": []}, [{"op": "test", "path": "/foo"}],
     "testing value /foo failed: test failed"),
    ("test number types differ", {"a": 1}, [{"op": "test", "path": "/a", "value": 1.0}],
     "testing value /a failed: test failed"),
    ("unknown op", {}, [{"op": "merge", "path": "/a"}], "Unexpected kind: merge"),
    ("replace without path", {}, [{"op": "replace", "value": 1}],
     "replace operation failed to decode path: operation missing path field: missing value"),
    ("move checks from before path", {}, [{"op": "move"}],
     "move operation failed to decode from: operation, missing from field: missing value"),
    ("bad add index", {"foo": []}, [{"op": "add", "path": "/foo/x", "value": 1}],
     "error in add for path: '/foo/x': value was not a proper array index: 'x': strconv.Atoi: "
     "parsing \"x\": invalid syntax"),
    ("copy too big", {"big": "x" * (3 * 1024 * 1024)},
     [{"op": "copy", "from": "/big", "path": "/copy"}],
     "Unable to complete the copy, the accumulated size increase of copy is 3145730, exceeding "
     "the limit 3145728"),
]


@pytest.mark.parametrize("original,operations,detail", [c[1:] for c in JSON_PATCH_ERRORS],
                         ids=[c[0] for c in JSON_PATCH_ERRORS])
def test_json_patch_failures_are_422_with_the_library_detail(original, operations, detail):
    with pytest.raises(PatchError) as raised:
        json_patch(original, operations)
    assert raised.value.status == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "the server rejected our request due to an error in our request",
        "reason": "Invalid", "details": {}, "code": 422}
    assert raised.value.detail == detail


@pytest.mark.parametrize("operations,code,message", [
    ({"op": "add"}, 400, "error decoding patch: json: cannot unmarshal object into Go value of "
                         "type []handlers.jsonPatchOp"),
    (["add"], 400, "error decoding patch: json: cannot unmarshal string into Go value of type "
                   "handlers.jsonPatchOp"),
    ([{"op": "add", "path": 5}], 400, "error decoding patch: json: cannot unmarshal number into "
                                      "Go struct field jsonPatchOp.path of type string"),
    ([{"op": "test", "path": "/a"}] * (MAX_JSON_PATCH_OPERATIONS + 1), 413,
     "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got "
     "10001"),
], ids=["object", "string-op", "number-path", "too-many"])
def test_json_patch_bodies_refused_before_applying(operations, code, message):
    with pytest.raises(PatchError) as raised:
        json_patch({"a": 1}, operations)
    assert (raised.value.status["code"], raised.value.status["message"]) == (code, message)
