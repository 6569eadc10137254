"""snapshot() / Cluster.restore(): JSON state that continues exactly the same way."""
import json
import pathlib

import pytest

from cluster_helpers import deployment_yaml, rolling
from soak import wall_guard
from simulator import Cluster

LIVENESS = "livenessProbe:\n  httpGet: {path: /healthz, port: 3000}\n  initialDelaySeconds: 3\n  periodSeconds: 3\n"


def _busy_cluster(seed):
    c = Cluster(seed=seed)
    c.apply(deployment_yaml("guangzhengli/hellok8s:liveness", 4, strategy=rolling(1, 1),
                            container_extra=LIVENESS))
    c.advance(40)
    c.apply(deployment_yaml("nginx:1.161", 4, strategy=rolling(1, 1)))
    c.set_node_ready("node-2", False)
    c.advance(3)
    c.scale("web", 6)   # a command whose effects are not yet stepped
    return c


def _future(c, steps):
    return [c.step() for _ in range(steps)]


@pytest.mark.parametrize("seed", [0, 7, 42], ids=["seed-0", "seed-7", "seed-42"])
def test_restore_gives_the_same_future(seed):
    c = _busy_cluster(seed)
    state = json.loads(json.dumps(c.snapshot()))   # really JSON
    twin = Cluster.restore(state)
    assert twin.now == c.now
    assert _future(twin, 400) == _future(c, 400)
    assert twin.list("event") == c.list("event")


def test_same_seed_same_events_other_seed_other_names():
    a, b, other = _busy_cluster(5), _busy_cluster(5), _busy_cluster(6)
    assert a.list("event") == b.list("event")
    assert [p["metadata"]["name"] for p in a.list("pod")] != [p["metadata"]["name"] for p in other.list("pod")]


def test_snapshot_of_a_restored_cluster_is_identical():
    c = _busy_cluster(1)
    state = c.snapshot()
    assert Cluster.restore(json.loads(json.dumps(state))).snapshot() == json.loads(json.dumps(state))


def test_restore_rejects_other_versions():
    state = Cluster().snapshot()
    state["version"] = 99
    with pytest.raises(ValueError):
        Cluster.restore(state)


def test_a_snapshot_from_before_per_source_correlators_restores_and_runs_on():
    """Databases hold snapshots written by earlier versions (one shared correlator, a
    plain timer heap): they restore, with empty correlator caches, and the rollout goes on."""
    path = pathlib.Path(__file__).parent / "data" / "snapshot_before_per_source_correlators.json"
    old = json.loads(path.read_text())
    assert "spam_buckets" in old and "once" not in old["timers"]
    c = Cluster.restore(old)
    assert not c.rollout_status("web")[1]
    events_before = len(c.list("event"))
    for _ in range(120):
        c.step()
        if c.rollout_status("web")[1]:
            break
    assert c.rollout_status("web") == ('deployment "web" successfully rolled out\n', True)
    assert len(c.list("event")) > events_before
    state = c.snapshot()
    assert "correlators" in state and "spam_buckets" not in state
    assert Cluster.restore(state).snapshot() == state


def test_a_version_1_snapshot_taken_just_before_the_liveness_hang_runs_on():
    """Written by the float-seconds engine (version 1) one second before its hellok8s
    liveness hang: it converts to whole milliseconds and the crash loop goes on."""
    path = pathlib.Path(__file__).parent / "data" / "snapshot_v1_liveness_before_hang.json"
    old = json.loads(path.read_text())
    assert old["version"] == 1 and old["time"] == 128.0
    c = Cluster.restore(old)
    assert (c.now, c.tick, c.pod_budget) == (128.0, 1.0, 5000)
    restarts = []
    for step in range(600):
        with wall_guard("the version-1 liveness snapshot", step):
            c.step()
        restarts.append(sum(p["status"]["containerStatuses"][0]["restartCount"]
                            for p in c.list("pod")))
    assert restarts[-1] >= restarts[0] + 3 * 3        # three pods, three or more restarts each
    waiting = {p["status"]["containerStatuses"][0]["state"].get("waiting", {}).get("reason")
               for p in c.list("pod")}
    assert waiting <= {"CrashLoopBackOff", None}
    state = c.snapshot()
    assert state["version"] == 3 and isinstance(state["time"], int) and state["time"] == 728_000
    assert Cluster.restore(json.loads(json.dumps(state))).snapshot() == json.loads(json.dumps(state))


def test_version_1_times_become_whole_milliseconds():
    path = pathlib.Path(__file__).parent / "data" / "snapshot_v1_liveness_before_hang.json"
    old = json.loads(path.read_text())
    new = Cluster.restore(old).snapshot()
    assert new["tick"] == 1000 and new["time"] == 128_000
    pod_old, pod_new = old["pods"][0], next(p for p in new["pods"] if p["name"] == old["pods"][0]["name"])
    assert pod_new["created"] == round(pod_old["created"] * 1000)
    container = pod_new["containers"][0]
    assert container["started_at"] == round(old["pods"][0]["containers"][0]["started_at"] * 1000)
    assert all(isinstance(entry[0], int) for entry in new["timers"]["heap"])
    assert new["restart_backoff"]["initial"] == 10_000


def test_the_snapshot_keeps_the_pod_budget():
    c = Cluster(pod_budget=77)
    assert Cluster.restore(json.loads(json.dumps(c.snapshot()))).pod_budget == 77
