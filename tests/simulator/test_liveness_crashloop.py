"""The hellok8s tutorial's liveness step, run for ten simulated minutes at several offsets:
the step that used to hang `Cluster.step()` (a probe due a rounding error after the clock).

The expected behaviour is the real kubelet's (pkg/kubelet/prober/worker.go, kuberuntime
doBackOff, client-go flowcontrol.Backoff): hellok8s:liveness answers /healthz with 500
from 15 s of uptime; the probe (initialDelaySeconds 3, periodSeconds 3, failureThreshold
3) fails on three ticks 3 s apart and the container is killed at the third; the first
restart is immediate, every later one waits 10, 20, 40, 80, 160, then 300 s after the
kill, in CrashLoopBackOff."""
import datetime

import pytest

from soak import wall_guard
from simulator import Cluster

NAME = "hellok8s-deployment"
CONTAINER = "hellok8s-container"
LIVENESS_IMAGE = "guangzhengli/hellok8s:liveness"
# flowcontrol.Backoff as the kubelet sets it up: 10 s, doubling, at most 300 s
RESTART_WAITS = [0, 10, 20, 40, 80, 160, 300, 300]
UNHEALTHY = "Liveness probe failed: HTTP probe failed with statuscode: 500"
KILLING = f"Container {CONTAINER} failed liveness probe, will be restarted"


def manifest(image: str, probe: bool) -> str:
    """The tutorial's deployment.yaml: 3 replicas, maxSurge 1 / maxUnavailable 1."""
    liveness = ("          livenessProbe:\n"
                "            httpGet: {path: /healthz, port: 3000}\n"
                "            initialDelaySeconds: 3\n"
                "            periodSeconds: 3\n") if probe else ""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {NAME}\nspec:\n"
            "  strategy:\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}\n"
            "  replicas: 3\n  selector:\n    matchLabels: {app: hellok8s}\n"
            "  template:\n    metadata:\n      labels: {app: hellok8s}\n    spec:\n"
            f"      containers:\n        - image: {image}\n          name: {CONTAINER}\n{liveness}")


def seconds(stamp: str) -> int:
    moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return int((moment - datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds())


def run(offset: float, tick: float, minutes: int = 10):
    """Apply v2, wait `offset` s, apply the liveness release, step `minutes` more; every
    step under the soak suite's wall guard. Returns the cluster and all records."""
    c = Cluster(seed=int(offset * 7), tick=tick)
    c.apply(manifest("guangzhengli/hellok8s:v2", probe=False))
    c.advance(offset)
    c.apply(manifest(LIVENESS_IMAGE, probe=True))
    label = f"hellok8s liveness step, offset {offset} s, tick {tick} s"
    records = c.take_changes()
    for step in range(round(minutes * 60 / tick)):
        with wall_guard(label, step):
            records += c.step()
    return c, records


def container_history(records: list[dict]) -> dict[str, list[dict]]:
    """Pod name -> the distinct container statuses of the liveness pods, in order."""
    out: dict[str, list[dict]] = {}
    for r in records:
        if r["kind"] != "Pod" or r["type"] == "DELETED":
            continue
        statuses = r["object"]["status"].get("containerStatuses") or []
        if statuses and statuses[0]["image"] == LIVENESS_IMAGE:
            seen = out.setdefault(r["name"], [])
            if not seen or seen[-1] != statuses[0]:
                seen.append(statuses[0])
    return out


def restarts(history: list[dict]) -> list[dict]:
    """One entry per restart: when the killed container finished, when the next started,
    how long the killed one ran."""
    out = []
    for before, after in zip(history, history[1:]):
        if after["restartCount"] == before["restartCount"] + 1 and "running" in after["state"]:
            killed = after["lastState"]["terminated"]
            out.append({"finished": seconds(killed["finishedAt"]),
                        "started": seconds(after["state"]["running"]["startedAt"]),
                        "ran": seconds(killed["finishedAt"]) - seconds(killed["startedAt"]),
                        "exit": killed["exitCode"]})
    return out


@pytest.mark.parametrize("offset, tick", [(0, 1.0), (5, 1.0), (15, 1.0), (37, 1.0), (100, 1.0),
                                          (15, 0.25), (33.3, 0.1), (60, 2.5)],
                         ids=lambda v: str(v))
def test_liveness_restarts_and_crash_loop_back_off_as_a_kubelet_gives_them(offset, tick):
    c, records = run(offset, tick)
    histories = container_history(records)
    assert len(histories) == 3                      # the rollout completed: three liveness pods
    for pod, history in histories.items():
        seen = restarts(history)
        assert len(seen) >= 6, (pod, seen)          # ten minutes: 0+10+20+40+80+160 s of waits
        assert [r["started"] - r["finished"] for r in seen] == RESTART_WAITS[:len(seen)], pod
        # killed at the third failure 3 s apart, the first at 15-18 s of uptime (stamps are
        # whole seconds); the kubelet's kill is a SIGKILL
        assert all(20 <= r["ran"] <= 24 and r["exit"] == 137 for r in seen), (pod, seen)
        waiting = [h["state"]["waiting"] for h in history if "waiting" in h["state"]
                   and h["state"]["waiting"]["reason"] == "CrashLoopBackOff"]
        uid = c.get("pod", pod)["metadata"]["uid"]
        assert [w["message"] for w in waiting][:5] == [
            f"back-off {d} restarting failed container={CONTAINER} pod={pod}_default({uid})"
            for d in ("10s", "20s", "40s", "1m20s", "2m40s")]
        assert history[-1]["restartCount"] == len(seen)
        events = [r["object"] for r in records if r["type"] == "EVENT"
                  and r["object"]["involvedObject"]["name"] == pod]
        by_reason = {reason: [e for e in events if e["reason"] == reason]
                     for reason in ("Unhealthy", "Killing", "BackOff")}
        assert {e["message"] for e in by_reason["Unhealthy"]} == {UNHEALTHY}
        assert {e["message"] for e in by_reason["Killing"]} == {KILLING}
        assert {e["message"] for e in by_reason["BackOff"]} == {
            f"Back-off restarting failed container {CONTAINER} in pod {pod}_default({uid})"}
        assert all(e["type"] == "Warning" for e in by_reason["Unhealthy"] + by_reason["BackOff"])
        # the first kill: three Unhealthy writes 3 s apart, the Killing at the third
        first_kill = seen[0]["finished"]
        unhealthy = [seconds(e["lastTimestamp"]) for e in by_reason["Unhealthy"]][:3]
        assert unhealthy == [first_kill - 6, first_kill - 3, first_kill]
        assert seconds(by_reason["Killing"][0]["lastTimestamp"]) == first_kill
