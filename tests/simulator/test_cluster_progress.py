"""Conditions and progressDeadlineSeconds through the engine."""
from cluster_helpers import condition, deployment_yaml, settled
from simulator import Cluster

BAD = dict(image="guangzhengli/hellok8s:bad",
           container_extra="readinessProbe:\n  httpGet: {path: /healthz, port: 3000}\n")


def test_complete_rollout_conditions():
    c = Cluster(seed=1)
    c.apply(deployment_yaml())
    settled(c)
    c.step()
    d = c.get("deployment", "web")
    (rs,) = [r["metadata"]["name"] for r in c.list("replicaset")]
    assert [(x["type"], x["status"], x["reason"]) for x in d["status"]["conditions"]] == [
        ("Available", "True", "MinimumReplicasAvailable"),
        ("Progressing", "True", "NewReplicaSetAvailable")]
    assert condition(d, "Progressing")["message"] == f'ReplicaSet "{rs}" has successfully progressed.'
    assert c.rollout_status("web") == ('deployment "web" successfully rolled out\n', True)


def test_progress_deadline_exceeded_after_the_last_progress():
    c = Cluster(seed=2)
    c.apply(deployment_yaml(spec_extra="progressDeadlineSeconds: 30\n"))
    settled(c)
    c.apply(deployment_yaml(spec_extra="progressDeadlineSeconds: 30\n", **BAD))
    c.advance(10)
    d = c.get("deployment", "web")
    assert condition(d, "Progressing")["reason"] == "ReplicaSetUpdated"
    last_progress = condition(d, "Progressing")["lastUpdateTime"]
    c.advance(40)
    d = c.get("deployment", "web")
    progressing = condition(d, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    new_rs = next(r["metadata"]["name"] for r in c.list("replicaset")
                  if r["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2")
    assert progressing["message"] == f'ReplicaSet "{new_rs}" has timed out progressing.'
    assert progressing["lastUpdateTime"] > last_progress
    # only informational: the Deployment stays Available with the old pods
    assert condition(d, "Available")["status"] == "True"
    assert c.rollout_status("web") == ('error: deployment "web" exceeded its progress deadline\n', False)


def test_deadline_is_measured_from_the_last_progress_and_is_strict():
    c = Cluster(seed=3)
    c.apply(deployment_yaml(replicas=1, spec_extra="progressDeadlineSeconds: 20\n", **BAD))
    c.step()
    # NewReplicaSetCreated, then ReplicaSetUpdated as soon as the pod exists (same instant)
    start = condition(c.get("deployment", "web"), "Progressing")
    assert (start["reason"], start["lastUpdateTime"]) == ("ReplicaSetUpdated", "2026-01-01T00:00:00Z")
    times = []
    while condition(c.get("deployment", "web"), "Progressing")["reason"] != "ProgressDeadlineExceeded":
        c.step()
        times.append(c.now)
        assert c.now < 60
    progressing = condition(c.get("deployment", "web"), "Progressing")
    # last progress at 0 s (the pod was created then); the re-check comes 1 s after the
    # deadline, when last progress + 20 s < now holds
    assert progressing["lastUpdateTime"] == "2026-01-01T00:00:21Z"
    assert times[-1] == 21.0


def test_paused_deployment_never_times_out():
    c = Cluster(seed=4)
    c.apply(deployment_yaml(spec_extra="progressDeadlineSeconds: 20\n"))
    settled(c)
    c.rollout_pause("web")
    c.apply(deployment_yaml(spec_extra="progressDeadlineSeconds: 20\n", **BAD))
    c.advance(100)
    assert condition(c.get("deployment", "web"), "Progressing")["reason"] == "DeploymentPaused"


def test_without_progress_deadline_there_is_no_progressing_condition():
    c = Cluster(seed=5)
    c.apply(deployment_yaml(spec_extra="progressDeadlineSeconds: 2147483647\n"))
    settled(c)
    c.step()
    assert condition(c.get("deployment", "web"), "Progressing") is None
