"""RollingUpdate through the whole engine: event order, surge/unavailable bounds,
minReadySeconds, rollover and proportional scaling."""
import pytest
from cluster_helpers import (
    condition,
    deployment_yaml,
    pods_by_image,
    replica_sets,
    rolling,
    scaling_messages,
    settled,
    sizes_by_image,
)

from simulator import Cluster


def _names(c):
    rss = sorted(replica_sets(c).items(), key=lambda kv: kv[1]["revision"])
    return [name for name, _ in rss]


def _update(strategy, replicas=3, seed=1):
    c = Cluster(seed=seed)
    c.apply(deployment_yaml("nginx:1.14.2", replicas, strategy=strategy))
    settled(c)
    c.apply(deployment_yaml("nginx:1.16.1", replicas, strategy=strategy))
    records = []
    while not c.rollout_status("web")[1]:
        records += c.step()
    old, new = _names(c)
    short = {old: "old", new: "new"}
    out = []
    for message in scaling_messages(records):
        words = message.split()  # Scaled up replica set NAME from A to B
        out.append(f"{short[words[4]]} {words[6]}->{words[8]}")
    return c, out


@pytest.mark.parametrize("strategy, expected", [
    ("", ["new 0->1", "old 3->2", "new 1->2", "old 2->1", "new 2->3", "old 1->0"]),
    (rolling(1, 0), ["new 0->1", "old 3->2", "new 1->2", "old 2->1", "new 2->3", "old 1->0"]),
    # both early new pods become available at the same instant: old 2->0 in one go
    (rolling(1, 1), ["new 0->1", "old 3->2", "new 1->2", "old 2->0", "new 2->3"]),
], ids=["default-25%-25%", "surge1-unavailable0", "surge1-unavailable1"])
def test_scaling_event_order_for_three_replicas(strategy, expected):
    _, order = _update(strategy)
    assert order == expected


def test_event_wording_is_the_current_kubernetes_one():
    c = Cluster(seed=3)
    c.apply(deployment_yaml())
    records = c.step()
    (rs,) = replica_sets(c)
    assert scaling_messages(records) == [f"Scaled up replica set {rs} from 0 to 3"]
    created = [r["object"] for r in records if r["type"] == "EVENT"
               and r["object"]["reason"] == "SuccessfulCreate"]
    assert len(created) == 3
    assert created[0]["source"] == {"component": "replicaset-controller"}
    assert created[0]["involvedObject"]["kind"] == "ReplicaSet"
    assert created[0]["message"].startswith(f"Created pod: {rs}-")


@pytest.mark.parametrize("replicas, surge, unavailable", [
    (3, "25%", "25%"), (4, 1, 1), (10, 3, 2), (5, 0, 1), (6, "50%", 0), (7, 2, "30%"),
], ids=["3-25%-25%", "4-1-1", "10-3-2", "5-0-1", "6-50%-0", "7-2-30%"])
def test_rollout_stays_within_surge_and_unavailable_bounds(replicas, surge, unavailable):
    from simulator.controllers.deployment import rollout_math as rm
    c = Cluster(seed=5)
    strategy = rolling(surge, unavailable)
    c.apply(deployment_yaml("nginx:1.14.2", replicas, strategy=strategy))
    settled(c)
    c.apply(deployment_yaml("nginx:1.16.1", replicas, strategy=strategy))
    max_total = replicas + rm.max_surge(replicas, surge, unavailable)
    min_avail = rm.min_available(replicas, surge, unavailable)
    steps = 0
    while not c.rollout_status("web")[1]:
        c.step()
        steps += 1
        assert sum(sizes_by_image(c).values()) <= max_total
        assert c.get("deployment", "web")["status"].get("availableReplicas", 0) >= min_avail
        assert steps < 300
    assert sizes_by_image(c) == {"nginx:1.14.2": 0, "nginx:1.16.1": replicas}


def test_min_ready_seconds_delays_availability_and_the_rollout():
    c = Cluster(seed=2)
    c.apply(deployment_yaml(replicas=1, spec_extra="minReadySeconds: 10\n"))
    c.advance(6)
    d = c.get("deployment", "web")
    assert d["status"].get("readyReplicas") == 1
    assert d["status"].get("availableReplicas", 0) == 0
    assert condition(d, "Available")["status"] == "False"
    c.advance(10)
    d = c.get("deployment", "web")
    assert d["status"]["availableReplicas"] == 1
    assert c.rollout_status("web")[1]


def test_rollover_of_a_rollout_in_progress_drains_oldest_first():
    c = Cluster(seed=4)
    strategy = rolling(1, 0)
    c.apply(deployment_yaml("nginx:1.14.2", 3, strategy=strategy))
    settled(c)
    c.apply(deployment_yaml("guangzhengli/hellok8s:bad", 3, strategy=strategy,
                            container_extra="readinessProbe:\n  httpGet: {path: /healthz, port: 3000}\n"))
    c.advance(30)  # stuck: the bad pod never becomes ready
    assert sizes_by_image(c) == {"nginx:1.14.2": 3, "guangzhengli/hellok8s:bad": 1}
    c.apply(deployment_yaml("nginx:1.16.1", 3, strategy=strategy))
    settled(c)
    assert sizes_by_image(c) == {"nginx:1.14.2": 0, "guangzhengli/hellok8s:bad": 0, "nginx:1.16.1": 3}
    assert [h["revision"] for h in c.rollout_history("web")] == [1, 2, 3]


def test_proportional_scaling_during_a_stuck_rollout():
    # the Kubernetes docs' example: 10 replicas, maxSurge 3, maxUnavailable 2
    c = Cluster(seed=6)
    strategy = rolling(3, 2)
    c.apply(deployment_yaml("nginx:1.14.2", 10, strategy=strategy))
    settled(c)
    c.set_image("web", "app", "nginx:1.161")
    c.advance(20)
    assert sizes_by_image(c) == {"nginx:1.14.2": 8, "nginx:1.161": 5}
    c.scale("web", 15)
    old, new = _names(c)
    assert scaling_messages(c.advance(5)) == [f"Scaled up replica set {old} from 8 to 11",
                                              f"Scaled up replica set {new} from 5 to 7"]
    c.advance(30)
    assert sizes_by_image(c) == {"nginx:1.14.2": 11, "nginx:1.161": 7}
    assert pods_by_image(c, ready=True) == {"nginx:1.14.2": 11}
    rs = c.get("replicaset", old)
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "15"
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "18"


def test_scaling_down_a_finished_deployment_deletes_pods():
    c = Cluster(seed=7)
    c.apply(deployment_yaml(replicas=5))
    settled(c)
    c.scale("web", 2)
    records = c.advance(5)
    (rs,) = replica_sets(c)
    assert scaling_messages(records) == [f"Scaled down replica set {rs} from 5 to 2"]
    deleted = [r for r in records if r["type"] == "EVENT" and r["object"]["reason"] == "SuccessfulDelete"]
    assert len(deleted) == 3
    c.advance(5)
    assert pods_by_image(c) == {"nginx:1.14.2": 2}
    assert pods_by_image(c, terminating=True) == {}
