"""drop_nulls: what decoding into the Go types does to nulls, and why it matters (the
pod-template-hash of ``kubectl rollout undo``'s template, ../shared/kubernetes-api/README.md)."""
import copy

import pytest

from simulator.api.struct_tags import TYPES, ListOf, drop_nulls
from simulator.names import pod_template_hash

CASES = [
    ("struct field dropped", "Deployment", {"spec": {"paused": None, "replicas": 3}},
     {"spec": {"replicas": 3}}),
    ("template creationTimestamp dropped", "Deployment",
     {"spec": {"template": {"metadata": {"creationTimestamp": None, "labels": {"app": "web"}}}}},
     {"spec": {"template": {"metadata": {"labels": {"app": "web"}}}}}),
    ("label value becomes empty", "Pod", {"metadata": {"labels": {"a": None, "b": "1"}}},
     {"metadata": {"labels": {"a": "", "b": "1"}}}),
    ("node selector value becomes empty", "Pod", {"spec": {"nodeSelector": {"disk": None}}},
     {"spec": {"nodeSelector": {"disk": ""}}}),
    ("quantity becomes zero", "Pod",
     {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": None}}}]}},
     {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "0"}}}]}}),
    ("string list item becomes empty", "Pod",
     {"spec": {"containers": [{"name": "c", "args": ["-v", None]}]}},
     {"spec": {"containers": [{"name": "c", "args": ["-v", ""]}]}}),
    ("struct list item becomes empty struct", "Pod", {"spec": {"containers": [None]}},
     {"spec": {"containers": [{}]}}),
    ("nested struct in list item", "Deployment",
     {"spec": {"template": {"spec": {"containers": [
         {"name": "c", "image": None, "ports": [{"containerPort": 80, "name": None}]}]}}}},
     {"spec": {"template": {"spec": {"containers": [
         {"name": "c", "ports": [{"containerPort": 80}]}]}}}}),
    ("unmodelled field", "Pod", {"spec": {"affinity": {"nodeAffinity": None}}},
     {"spec": {"affinity": {}}}),
    ("unmodelled list keeps null items", "Pod", {"spec": {"unknownList": [None, {"a": None}]}},
     {"spec": {"unknownList": [None, {}]}}),
    ("service selector", "Service", {"spec": {"selector": {"app": None}}},
     {"spec": {"selector": {"app": ""}}}),
]


@pytest.mark.parametrize("kind,obj,want", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_drop_nulls(kind, obj, want):
    before = copy.deepcopy(obj)
    assert drop_nulls(obj, kind) == want
    assert obj == before


def test_undo_template_hashes_like_the_replicaset_it_came_from():
    """kubectl rollout undo sends the ReplicaSet's template with creationTimestamp: null;
    without dropping it the pod-template-hash would differ and undo would make a new
    ReplicaSet instead of scaling the old one back up."""
    stored = {"metadata": {"labels": {"app": "web"}},
              "spec": {"containers": [{"name": "app", "image": "nginx:1.14.2"}]}}
    sent = copy.deepcopy(stored)
    sent["metadata"]["creationTimestamp"] = None
    assert pod_template_hash(sent) != pod_template_hash(stored)
    decoded = drop_nulls({"spec": {"template": sent}}, "Deployment")["spec"]["template"]
    assert pod_template_hash(decoded) == pod_template_hash(stored)


def test_merge_keys_name_fields_of_modelled_item_types():
    """Every list strategy is "merge", with a merge key exactly when its items are structs."""
    for type_name, fields in TYPES.items():
        for name, spec in fields.items():
            if isinstance(spec, ListOf) and spec.strategy:
                assert spec.strategy == "merge", (type_name, name)
                assert bool(spec.merge_key) == bool(spec.item), (type_name, name)
