"""The kubelet through the engine: pulls, starts, probes, restarts with back-off,
image-pull back-off and graceful termination."""
import pytest

from cluster_helpers import container_state, deployment_yaml, settled
from simulator import Cluster


def behavior(image: str, spec: str) -> str:
    indented = "\n".join("  " + line for line in spec.strip("\n").splitlines())
    return (f"apiVersion: rolloutviz.dev/v1\nkind: ImageBehavior\nmetadata:\n  name: b\n"
            f"spec:\n  image: {image}\n{indented}\n---\n")


def pod_events(c: Cluster, pod: str) -> list[tuple[str, str, str]]:
    return [(e["reason"], e["message"], e["source"]["component"]) for e in c.list("event")
            if e["involvedObject"]["name"] == pod]


def only_pod(c: Cluster) -> dict:
    (pod,) = [p for p in c.list("pod") if "deletionTimestamp" not in p["metadata"]]
    return pod


def test_pod_start_events_and_states():
    c = Cluster(seed=1, nodes=1)
    c.apply(deployment_yaml("nginx:1.14.2", replicas=1))
    c.step()
    pod = only_pod(c)
    assert container_state(pod) == "ContainerCreating"
    assert pod["status"]["phase"] == "Pending"
    c.advance(6)
    pod = only_pod(c)
    name = pod["metadata"]["name"]
    assert (pod["status"]["phase"], container_state(pod)) == ("Running", "running")
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    assert [(r, s) for r, _, s in pod_events(c, name)] == [
        ("Scheduled", "default-scheduler"), ("Pulling", "kubelet"), ("Pulled", "kubelet"),
        ("Created", "kubelet"), ("Started", "kubelet")]
    messages = [m for _, m, _ in pod_events(c, name)]
    assert messages[0] == f"Successfully assigned default/{name} to node-1"
    assert messages[1] == 'Pulling image "nginx:1.14.2"'
    assert messages[2] == 'Successfully pulled image "nginx:1.14.2" in 3.2s (3.2s including waiting)'
    assert messages[3:] == ["Created container app", "Started container app"]


def test_second_pod_on_a_node_finds_the_image_present():
    c = Cluster(seed=1, nodes=1)
    c.apply(deployment_yaml("nginx:1.14.2", replicas=1))
    settled(c)
    c.scale("web", 2)
    c.advance(5)
    newest = max(c.list("pod"), key=lambda p: p["metadata"]["creationTimestamp"])
    reasons = [(r, m) for r, m, _ in pod_events(c, newest["metadata"]["name"])]
    assert ("Pulled", 'Container image "nginx:1.14.2" already present on machine') in reasons
    assert "Pulling" not in [r for r, _ in reasons]


def test_image_pull_back_off_grows():
    c = Cluster(seed=2, nodes=1)
    c.apply(deployment_yaml("nginx:1.161", replicas=1))
    c.advance(4)
    pod = only_pod(c)
    assert (pod["status"]["phase"], container_state(pod)) == ("Pending", "ImagePullBackOff")
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["message"] == 'Back-off pulling image "nginx:1.161"'
    failed_at, last = [], None
    for _ in range(200):
        for record in c.step():
            if record["kind"] == "Pod":
                state = container_state(record["object"])
                if state == "ErrImagePull" and last != "ErrImagePull":
                    failed_at.append(c.now)
                last = state
    # each failed pull opens a back-off window of 10, 20, 40, 80 s; the next pull (1.2 s)
    # starts when the kubelet next syncs after the window. The first failure (at 2.2 s)
    # came before the loop, so the gaps seen start with the 20 s window.
    gaps = [b - a for a, b in zip(failed_at, failed_at[1:])]
    assert len(gaps) >= 2
    assert 20 <= gaps[0] <= 23 and 40 <= gaps[1] <= 43
    assert only_pod(c)["status"]["containerStatuses"][0]["restartCount"] == 0
    assert {"Failed", "BackOff", "Pulling"} <= {e["reason"] for e in c.list("event")}


LIVENESS = """
livenessProbe:
  httpGet: {path: /healthz, port: 3000}
  initialDelaySeconds: 3
  periodSeconds: 3
"""


def test_liveness_failures_restart_with_crash_loop_back_off():
    c = Cluster(seed=3, nodes=1)
    c.apply(deployment_yaml("guangzhengli/hellok8s:liveness", replicas=1, container_extra=LIVENESS))
    restarts_at = {}
    states = set()
    for _ in range(150):
        c.step()
        status = only_pod(c)["status"]["containerStatuses"][0]
        restarts_at.setdefault(status["restartCount"], c.now)
        states.add(container_state(only_pod(c)))
    assert "CrashLoopBackOff" in states
    assert max(restarts_at) >= 3
    status = only_pod(c)["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["reason"] == "Error"
    # each container lives ~15 s + 3 failed probes 3 s apart; then waits 0, 10, 20 s
    # gap = the container's life (15 s healthy + 3 failures on the 3 s probe grid, 21-24 s)
    # + the back-off wait before the restart
    gap1 = restarts_at[2] - restarts_at[1]
    gap2 = restarts_at[3] - restarts_at[2]
    assert 21 + 10 <= gap1 <= 24 + 10 + 1
    assert 21 + 20 <= gap2 <= 24 + 20 + 1
    name = only_pod(c)["metadata"]["name"]
    reasons = [r for r, _, _ in pod_events(c, name)]
    assert {"Unhealthy", "Killing", "BackOff"} <= set(reasons)
    killing = next(e for e in c.list("event") if e["reason"] == "Killing")
    assert killing["message"] == "Container app failed liveness probe, will be restarted"
    unhealthy = next(e for e in c.list("event") if e["reason"] == "Unhealthy")
    assert unhealthy["message"] == "Liveness probe failed: HTTP probe failed with statuscode: 500"
    assert unhealthy["count"] >= 9
    backoff = next(e for e in c.list("event") if e["reason"] == "BackOff")
    assert backoff["message"].startswith(f"Back-off restarting failed container app in pod {name}_default(")


def test_crashing_process_waits_0_10_20_40_seconds_between_restarts():
    c = Cluster(seed=4, nodes=1)
    c.apply(behavior("example.com/crash:1", "exit: {afterSeconds: 1, exitCode: 2}")
            + deployment_yaml("example.com/crash:1", replicas=1))
    restarts_at = {}
    for _ in range(120):
        c.step()
        status = only_pod(c)["status"]["containerStatuses"][0]
        restarts_at.setdefault(status["restartCount"], c.now)
    gaps = [restarts_at[i + 1] - restarts_at[i] for i in range(1, 4)]
    # each cycle: 1 s running, then the back-off counted from the exit: 10, 20, 40 s
    # (the first restart, after 1 s + 1 s until the kubelet notices, has no wait)
    assert gaps == [11.0, 21.0, 41.0]
    last = only_pod(c)["status"]["containerStatuses"][0]["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (2, "Error")


def test_readiness_success_threshold_and_failure_threshold():
    c = Cluster(seed=5, nodes=1)
    flappy = behavior("example.com/flap:1", """
http:
- port: 8080
  paths:
  - path: /ready
    responses:
    - {fromSeconds: 0, status: 200}
    - {fromSeconds: 40, status: 503}
""")
    probe = """
readinessProbe:
  httpGet: {path: /ready, port: 8080}
  periodSeconds: 5
  successThreshold: 2
  failureThreshold: 2
"""
    c.apply(flappy + deployment_yaml("example.com/flap:1", replicas=1, container_extra=probe))
    ready_at = unready_at = None
    for _ in range(80):
        c.step()
        ready = only_pod(c)["status"]["containerStatuses"][0]["ready"]
        if ready and ready_at is None:
            ready_at = c.now
        if ready_at is not None and not ready and unready_at is None:
            unready_at = c.now
    started = float(only_pod(c)["status"]["containerStatuses"][0]["state"]["running"]["startedAt"][-3:-1])
    # two successes 5 s apart after start; two failures 5 s apart after uptime 40
    assert 5 <= ready_at - started <= 11
    assert 45 <= unready_at - started <= 52
    assert only_pod(c)["status"]["containerStatuses"][0]["restartCount"] == 0


def test_startup_probe_gates_readiness():
    c = Cluster(seed=6, nodes=1)
    slow = behavior("example.com/slow-start:1", """
http:
- port: 8080
  openAfterSeconds: 20
""")
    probes = """
startupProbe:
  httpGet: {path: /, port: 8080}
  periodSeconds: 2
  failureThreshold: 30
readinessProbe:
  httpGet: {path: /, port: 8080}
"""
    c.apply(slow + deployment_yaml("example.com/slow-start:1", replicas=1, container_extra=probes))
    c.advance(15)
    status = only_pod(c)["status"]["containerStatuses"][0]
    assert (status["started"], status["ready"]) == (False, False)
    c.advance(20)
    status = only_pod(c)["status"]["containerStatuses"][0]
    assert (status["started"], status["ready"], status["restartCount"]) == (True, True, 0)


def test_deleted_pod_terminates_gracefully_and_is_replaced():
    c = Cluster(seed=7, nodes=2)
    c.apply(behavior("example.com/slow-stop:1", "shutdownSeconds: 4")
            + deployment_yaml("example.com/slow-stop:1", replicas=2))
    settled(c)
    victim = c.list("pod")[0]["metadata"]["name"]
    assert c.delete_pod(victim) == f'pod "{victim}" deleted'
    c.step()
    pod = c.get("pod", victim)
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    assert ("Killing", "Stopping container app", "kubelet") in pod_events(c, victim)
    assert len([p for p in c.list("pod") if "deletionTimestamp" not in p["metadata"]]) == 2
    c.advance(5)
    with pytest.raises(KeyError):
        c.get("pod", victim)
    settled(c)
    assert c.get("deployment", "web")["status"]["readyReplicas"] == 2


def test_grace_period_caps_a_slow_shutdown():
    c = Cluster(seed=8, nodes=1)
    c.apply(behavior("example.com/stubborn:1", "shutdownSeconds: 100")
            + deployment_yaml("example.com/stubborn:1", replicas=1,
                              container_extra="",
                              spec_extra=""))
    settled(c)
    d = c.get("deployment", "web")
    assert d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 30
    victim = only_pod(c)["metadata"]["name"]
    c.delete_pod(victim)
    c.advance(29)
    assert "deletionTimestamp" in c.get("pod", victim)["metadata"]
    c.advance(2)
    with pytest.raises(KeyError):
        c.get("pod", victim)


def test_delete_unknown_pod_is_not_found():
    with pytest.raises(KeyError, match='pods "nope" not found'):
        Cluster().delete_pod("nope")
