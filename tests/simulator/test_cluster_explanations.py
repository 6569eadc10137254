"""Explanations over the seed scenarios: every sentence's numbers are the controller's
(a scale explanation matches the ScalingReplicaSet event of the same step), and each
scenario ends on the explanation a learner needs."""
import pytest

from cluster_helpers import scaling_messages
from simulator import Cluster
from test_seed_scenarios import SURGE_1_1, hellok8s, nginx

READINESS = ("          readinessProbe:\n            httpGet:\n              path: /healthz\n"
             "              port: 3000\n            initialDelaySeconds: 1\n"
             "            successThreshold: 5\n")


def _bad_readiness(c):
    c.apply(hellok8s("guangzhengli/hellok8s:bad", strategy=SURGE_1_1, probe=READINESS))


def _pause_and_scale(c):
    c.set_image("nginx-deployment", "nginx", "nginx:1.161")
    c.advance(30)
    c.scale("nginx-deployment", 15)
    c.rollout_pause("nginx-deployment")


SCENARIOS = {
    # name: (first manifest, the change, seconds to run, final reason, final message, live note)
    "000 hellok8s v1 → v2, maxSurge 1 / maxUnavailable 1": (
        hellok8s(strategy=SURGE_1_1),
        lambda c: c.apply(hellok8s("guangzhengli/hellok8s:v2", strategy=SURGE_1_1)), 60,
        "RolloutComplete", "rollout complete: 3 of 3 updated replicas available", None),
    "000 a failing readiness probe stalls the rollout": (
        hellok8s("guangzhengli/hellok8s:v2", strategy=SURGE_1_1), _bad_readiness, 30,
        "WaitingForNewPods", "old ReplicaSet not scaled down: 2 available, minimum 2, 2 new pods "
        "unavailable; no room to surge (4 pods of at most 4)",
        "rollout stalled: readiness probe failing on 2 new pods"),
    "000 … until the progress deadline": (
        hellok8s("guangzhengli/hellok8s:v2", strategy=SURGE_1_1), _bad_readiness, 700,
        "ProgressDeadlineExceeded", "ProgressDeadlineExceeded: no progress for 600 s — "
        "Kubernetes does not roll back by itself (`kubectl rollout undo` does)",
        "rollout stalled: readiness probe failing on 2 new pods"),
    "001 an unpullable image": (
        nginx(), lambda c: c.set_image("nginx-deployment", "nginx", "nginx:1.161"), 30,
        "WaitingForNewPods", "old ReplicaSet not scaled down: 3 available, minimum 3, 1 new pod "
        "unavailable; no room to surge (4 pods of at most 4)",
        "rollout stalled: image pull failing on 1 new pod"),
    "001 Recreate": (
        nginx(extra="  strategy:\n    type: Recreate\n"),
        lambda c: c.set_image("nginx-deployment", "nginx", "nginx:1.16.1"), 60,
        "RolloutComplete", "rollout complete: 3 of 3 updated replicas available", None),
    "001 scaled and paused mid-rollout": (
        nginx(replicas=10, extra="  strategy:\n    rollingUpdate:\n      maxSurge: 3\n"
                                 "      maxUnavailable: 2\n"), _pause_and_scale, 10,
        "Paused", "Deployment paused: template changes wait for `kubectl rollout resume`; "
        "scaling to 15 still applies", "rollout stalled: image pull failing on 7 new pods"),
}


@pytest.mark.parametrize("manifest, change, seconds, reason, message, note",
                         SCENARIOS.values(), ids=SCENARIOS.keys())
def test_explanations_follow_the_controller(manifest, change, seconds, reason, message, note):
    c = Cluster(seed=1)
    c.apply(manifest)
    steps = _steps(c, 60)
    change(c)
    steps += _steps(c, seconds)
    explained = [r["object"] for step in steps for r in step if r["kind"] == "Explanation"]
    assert explained, "every sync that decides something says why"
    # a scale sentence is the controller's own scale: same ReplicaSet, same sizes, same step
    for step in steps:
        events = scaling_messages(step)
        for said in (r["object"] for r in step if r["kind"] == "Explanation"):
            if said["reason"] in ("ScaledUpNew", "ScaledDownOld", "ScaledDownNew"):
                verb = "up" if said["numbers"]["to"] > said["numbers"]["from"] else "down"
                rs = said["message"].split(" scaled ")[0].split()[-1]
                assert f"Scaled {verb} replica set {rs} from {said['numbers']['from']} to " \
                       f"{said['numbers']['to']}" in events, said["message"]
    deployment = explained[-1]["deployment"]
    now = c.explanation(deployment)
    assert (now["reason"], now["message"]) == (reason, message)
    assert (now["new_pods"] or {}).get("message") == note


def _steps(c, seconds):
    """Each step's records (a command's go with the next step) for `seconds`."""
    return [c.step() for _ in range(round(seconds / c.tick))]


def test_an_explanation_survives_a_snapshot():
    c = Cluster(seed=1)
    c.apply(nginx())
    c.advance(5)
    c.set_image("nginx-deployment", "nginx", "nginx:1.16.1")
    c.advance(1)
    restored = Cluster.restore(c.snapshot())
    assert restored.explanation("nginx-deployment") == c.explanation("nginx-deployment")
    assert [r for r in restored.advance(20) if r["kind"] == "Explanation"] == \
        [r for r in c.advance(20) if r["kind"] == "Explanation"]
