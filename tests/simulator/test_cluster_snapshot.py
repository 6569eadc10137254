"""snapshot() / Cluster.restore(): JSON state that continues exactly the same way."""
import json
import pathlib

import pytest

from cluster_helpers import deployment_yaml, rolling
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
