"""Countdowns end exactly when the engine acts: before `at` the thing has not happened, by
the first step that reaches `at` it has."""
import pytest

from cluster_helpers import deployment_yaml, settled
from simulator import Cluster

LIVENESS = ("livenessProbe:\n  httpGet: {path: /healthz, port: 3000}\n"
            "  initialDelaySeconds: 3\n  periodSeconds: 3\n")


def _pods(c, image=None):
    return [p for p in c.list("pod") if "deletionTimestamp" not in p["metadata"]
            and (image is None or p["spec"]["containers"][0]["image"] == image)]


def _min_ready(c):
    c.apply(deployment_yaml(replicas=1, spec_extra="minReadySeconds: 10"))


def _available(c, name):
    return c.get("pod", name)["metadata"]["name"] and any(
        rs["status"].get("availableReplicas", 0) for rs in c.list("rs"))


def _crash_loop(c):
    c.apply(deployment_yaml("guangzhengli/hellok8s:liveness", replicas=1,
                            container_extra=LIVENESS))


def _restarts(c, name):
    return c.get("pod", name)["status"]["containerStatuses"][0]["restartCount"]


def _unpullable(c):
    c.apply(deployment_yaml("nginx:1.161", replicas=1))


def _pulling_again(c, name):
    return sum(e["count"] for e in c.list("event")
               if e["reason"] == "Pulling" and e["involvedObject"]["name"] == name)


def _deadline(c):
    c.apply(deployment_yaml(spec_extra="progressDeadlineSeconds: 30"))
    settled(c)
    c.set_image("web", "app", "nginx:1.161")


def _timed_out(c, name):
    return any(x["reason"] == "ProgressDeadlineExceeded"
               for x in c.get("deployment", name)["status"]["conditions"])


def _node_down(c):
    c.apply(deployment_yaml(replicas=2))
    settled(c)
    c.set_node_ready(c.get("pod", _pods(c)[0]["metadata"]["name"])["spec"]["nodeName"], False)


def _evicted(c, name):
    return all("deletionTimestamp" in c.get("pod", p)["metadata"] for p in _on_node(c, name))


def _on_node(c, node):
    return [p["metadata"]["name"] for p in c.list("pod") if p["spec"].get("nodeName") == node]


CASES = {
    # name: (set-up, what, a value the effect changes, before, after)
    "minReadySeconds": (_min_ready, "minReadySeconds",
                        lambda c, n: c.get("deployment", "web")["status"].get("availableReplicas", 0)),
    "CrashLoopBackOff": (_crash_loop, "CrashLoopBackOff", _restarts),
    "ImagePullBackOff": (_unpullable, "ImagePullBackOff", _pulling_again),
    "progress deadline": (_deadline, "progressDeadlineSeconds", _timed_out),
    "node eviction": (_node_down, "tolerationSeconds", _evicted),
}


@pytest.mark.parametrize("set_up, what, effect", CASES.values(), ids=CASES.keys())
def test_a_countdown_ends_when_the_engine_acts(set_up, what, effect):
    c = Cluster(seed=3)
    set_up(c)
    found = None
    for _ in range(int(900 / c.tick)):
        found = next((x for x in c.countdowns() if x["what"] == what), None)
        if found is not None:
            break
        c.step()
    assert found is not None, f"no {what} countdown"
    assert found["at"] > c.now and (found["since"] is None or found["since"] <= c.now)
    before = effect(c, found["name"])
    while c.now + c.tick < found["at"]:
        c.step()
        assert effect(c, found["name"]) == before, f"{what}: acted before {found['at']}"
    # the engine acts at `at`; the kubelet's pod worker looks again within its resync
    deadline = found["at"] + (1.0 if what in ("CrashLoopBackOff", "ImagePullBackOff") else 0)
    while c.now < deadline + c.tick and effect(c, found["name"]) == before:
        c.step()
    assert effect(c, found["name"]) != before, f"{what}: nothing happened by {found['at']}"


def test_probe_countdowns_follow_the_grid_and_count_failures():
    c = Cluster(seed=3)
    _crash_loop(c)
    seen = []
    for _ in range(int(30 / c.tick)):   # hellok8s:liveness answers 500 from 15 s of uptime
        c.step()
        (probe,) = [x for x in c.countdowns() if x["what"] == "probe"] or [None]
        if probe is not None and probe["run"]:
            seen.append((probe["run"], probe["threshold"], probe["at"]))
    # two failures counted toward failureThreshold 3, on the periodSeconds grid; the third kills
    assert sorted({(run, threshold) for run, threshold, _ in seen}) == [(1, 3), (2, 3)]
    times = sorted({at for _, _, at in seen})
    assert len(times) == 2 and times[1] - times[0] == 3


def test_a_terminating_pod_counts_down_its_grace_period():
    c = Cluster(seed=3)
    c.apply(deployment_yaml(replicas=1))
    settled(c)
    name = _pods(c)[0]["metadata"]["name"]
    c.delete_pod(name)
    grace = [x for x in c.countdowns() if x["what"] == "terminationGracePeriodSeconds"]
    assert [x["name"] for x in grace] == [name]
    assert grace[0]["at"] - grace[0]["since"] <= 30
