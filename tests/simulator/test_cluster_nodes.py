"""Nodes: scheduling spread, NotReady nodes, eviction after the toleration and recovery."""
import pytest

from cluster_helpers import condition, deployment_yaml, settled
from simulator import Cluster


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
