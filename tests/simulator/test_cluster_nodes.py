"""Nodes: scheduling spread, NotReady nodes, eviction after the toleration and recovery;
cordon, uncordon and drain through the API."""
import pytest

from cluster_helpers import condition, deployment_yaml, settled
from simulator import Cluster
from simulator.api.status import StatusError


def _on(c, node):
    return [p for p in c.list("pod") if p["spec"].get("nodeName") == node]


def test_three_ready_nodes_by_default_and_pods_spread():
    c = Cluster(seed=1)
    nodes = c.list("node")
    assert [n["metadata"]["name"] for n in nodes] == ["node-1", "node-2", "node-3"]
    assert all(condition(n, "Ready")["status"] == "True" for n in nodes)
    c.apply(deployment_yaml(replicas=6))
    settled(c)
    assert sorted(len(_on(c, n)) for n in ("node-1", "node-2", "node-3")) == [2, 2, 2]


def test_node_down_evicts_after_300_seconds_and_pods_are_replaced():
    c = Cluster(seed=2)
    c.apply(deployment_yaml(replicas=3))
    settled(c)
    down = c.list("pod")[0]["spec"]["nodeName"]
    victims = [p["metadata"]["name"] for p in _on(c, down)]
    assert c.set_node_ready(down, False) == f"node/{down} NotReady"
    c.step()
    node = c.get("node", down)
    assert condition(node, "Ready")["status"] == "Unknown"
    assert {t["key"] for t in node["spec"]["taints"]} == {"node.kubernetes.io/unreachable"}
    d = c.get("deployment", "web")
    assert d["status"]["readyReplicas"] == 3 - len(victims)
    c.advance(290)
    assert all("deletionTimestamp" not in c.get("pod", v)["metadata"] for v in victims)
    c.advance(15)
    for v in victims:
        pod = c.get("pod", v)
        assert "deletionTimestamp" in pod["metadata"]  # Terminating while its kubelet is away
    evictions = [e for e in c.list("event") if e["reason"] == "TaintManagerEviction"]
    assert [e["message"] for e in evictions] == [f"Marking for deletion Pod default/{v}" for v in victims]
    c.advance(15)
    live = [p for p in c.list("pod") if "deletionTimestamp" not in p["metadata"]]
    assert len(live) == 3 and all(p["spec"]["nodeName"] != down for p in live)
    assert c.get("deployment", "web")["status"]["readyReplicas"] == 3
    # the node comes back: its kubelet finishes the deletions; nothing old runs again
    c.set_node_ready(down, True)
    c.advance(5)
    names = {p["metadata"]["name"] for p in c.list("pod")}
    assert names.isdisjoint(victims) and len(names) == 3


def test_node_back_before_the_eviction_keeps_its_pods():
    c = Cluster(seed=3)
    c.apply(deployment_yaml(replicas=3))
    settled(c)
    down = c.list("pod")[0]["spec"]["nodeName"]
    kept = {p["metadata"]["name"] for p in _on(c, down)}
    c.set_node_ready(down, False)
    c.advance(100)
    c.set_node_ready(down, True)
    c.advance(300)
    assert {p["metadata"]["name"] for p in _on(c, down)} == kept
    assert c.get("deployment", "web")["status"]["readyReplicas"] == 3


def test_no_ready_node_leaves_pods_pending():
    c = Cluster(seed=4, nodes=1)
    c.set_node_ready("node-1", False)
    c.apply(deployment_yaml(replicas=1))
    c.advance(5)
    (pod,) = c.list("pod")
    assert pod["status"]["phase"] == "Pending" and "nodeName" not in pod["spec"]
    failed = [e for e in c.list("event") if e["reason"] == "FailedScheduling"]
    assert failed and failed[0]["message"].startswith("0/1 nodes are available")
    c.set_node_ready("node-1", True)
    settled(c)


def test_unknown_node_is_not_found():
    with pytest.raises(KeyError):
        Cluster().set_node_ready("node-9", False)


# --- cordon, uncordon, drain (through the API, as kubectl sends them) ----------------------------
SMP = "application/strategic-merge-patch+json"


def _cordon(c, node, on=True):
    return c.patch("nodes", node, {"spec": {"unschedulable": True if on else None}}, SMP)


def test_cordon_sets_unschedulable_and_the_node_controllers_taint():
    c = Cluster(seed=1)
    c.advance(7)
    answer = _cordon(c, "node-2")
    assert answer["line"] == "node/node-2 patched"
    spec = answer["body"]["spec"]
    assert spec["unschedulable"] is True
    assert spec["taints"] == [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                               "timeAdded": "2026-01-01T00:00:07Z"}]
    uncordoned = _cordon(c, "node-2", on=False)["body"]["spec"]
    assert "unschedulable" not in uncordoned and "taints" not in uncordoned


def test_the_scheduler_leaves_cordoned_nodes_alone():
    c = Cluster(seed=4)
    _cordon(c, "node-1")
    _cordon(c, "node-3")
    c.apply(deployment_yaml(replicas=4))
    settled(c)
    assert {p["spec"]["nodeName"] for p in c.list("pod")} == {"node-2"}


def test_with_every_node_cordoned_pods_wait_and_go_when_one_is_uncordoned():
    c = Cluster(seed=4, nodes=2)
    c.set_node_ready("node-2", False)
    _cordon(c, "node-1")
    c.apply(deployment_yaml(replicas=1))
    c.advance(5)
    (pod,) = c.list("pod")
    assert "nodeName" not in pod["spec"]
    (event,) = [e for e in c.list("event") if e["reason"] == "FailedScheduling"]
    assert event["message"] == (
        "0/2 nodes are available: 1 node(s) had untolerated taint "
        "{node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable. preemption: 0/2 nodes "
        "are available: 2 Preemption is not helpful for scheduling.")
    _cordon(c, "node-1", on=False)
    c.advance(5)
    assert c.list("pod")[0]["spec"]["nodeName"] == "node-1"


def test_drain_as_kubectl_does_it():
    """Cordon, list the node's pods by spec.nodeName, evict each, wait until they are gone:
    their replacements run elsewhere."""
    c = Cluster(seed=2)
    c.apply(deployment_yaml(replicas=6))
    settled(c)
    _cordon(c, "node-1")
    listed = c.read_list("pods", field_selector="spec.nodeName=node-1")["items"]
    assert len(listed) == 2
    for pod in listed:
        name = pod["metadata"]["name"]
        assert c.evict(name, {"metadata": {"name": name}})["code"] == 201
    c.advance(40)
    assert c.read_list("pods", field_selector="spec.nodeName=node-1")["items"] == []
    assert len(c.list("pod")) == 6 and settled(c)


NODE_PATCHES = [
    ("labels", {"metadata": {"labels": {"disk": "ssd"}}}, None,
     lambda n: n["metadata"]["labels"]["disk"] == "ssd"),
    ("annotations", {"metadata": {"annotations": {"team": "a"}}}, None,
     lambda n: n["metadata"]["annotations"] == {"team": "a"}),
    ("status-ignored", {"status": {"capacity": {"pods": "1"}}}, None,
     lambda n: n["status"]["capacity"]["pods"] == "110"),
    ("taints", {"spec": {"taints": [{"key": "a", "effect": "NoSchedule"}]}},
     'Node "node-1" is invalid: spec.taints: Forbidden: the simulation does not model changes to '
     "this node field", None),
    ("bad-label", {"metadata": {"labels": {"-x": "y"}}},
     'Node "node-1" is invalid: metadata.labels: Invalid value: "-x": name part must consist of '
     "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
     "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
     "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", None),
]


@pytest.mark.parametrize("patch,message,check", [c[1:] for c in NODE_PATCHES],
                         ids=[c[0] for c in NODE_PATCHES])
def test_node_patches(patch, message, check):
    c = Cluster(seed=1)
    if message is None:
        assert check(c.patch("nodes", "node-1", patch, SMP)["body"])
        assert check(c.get("node", "node-1"))
        return
    with pytest.raises(StatusError) as refused:
        c.patch("nodes", "node-1", patch, SMP)
    assert (refused.value.code, refused.value.status["message"]) == (422, message)
