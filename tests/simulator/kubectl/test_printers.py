"""kubectl text views: printers_test.go TestPrintPod, duration_test.go, and hand-made
objects in the shape `kubectl get -o yaml` prints them."""
import datetime

import pytest

from simulator.kubectl.printers import (
    describe_deployment,
    describe_service,
    get_text,
    human_duration,
    pod_row,
    pod_status,
    pod_timeline_state,
    rollout_history_text,
    short_human_duration,
    tabwrite,
)
from simulator.timers import EPOCH

DAY = 86400.0
NOW = 30 * DAY  # late enough that "10d ago" timestamps stay after the epoch


def ts(seconds: float) -> str:
    """RFC 3339 time of a simulated-clock second."""
    return (EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeCluster:
    """The duck-typed surface the printers use: list, get, now, rollout_history."""

    def __init__(self, now=0.0, history=None, **objects):
        self.now = now
        self.objects = {kind: list(objs) for kind, objs in objects.items()}
        self.history = history or {}

    def list(self, kind, namespace="default"):
        return list(self.objects.get(kind, []))

    def get(self, kind, name):
        for obj in self.objects.get(kind, []):
            if obj["metadata"]["name"] == name:
                return obj
        raise KeyError(name)

    def rollout_history(self, name):
        return self.history.get(name, [])


# --- duration formatting (apimachinery duration_test.go) -----------------------------------

@pytest.mark.parametrize("seconds, want", [
    (1, "1s"), (70, "70s"), (190, "3m10s"), (70 * 60, "70m"), (47 * 3600, "47h"), (49 * 3600, "2d1h"),
    ((8 * 24 + 2) * 3600, "8d"), (367 * DAY, "367d"), ((365 * 2 * 24 + 25) * 3600, "2y1d"),
    ((365 * 8 * 24 + 2) * 3600, "8y"),
    # TestHumanDurationBoundaries
    (-2, "<invalid>"), (-2 + 1e-9, "0s"), (0, "0s"), (1 - 0.001, "0s"), (120 - 0.001, "119s"), (120, "2m"),
    (121, "2m1s"), (600 - 0.001, "9m59s"), (600, "10m"), (601, "10m"), (3 * 3600 - 0.001, "179m"),
    (3 * 3600, "3h"), (3 * 3600 + 60, "3h1m"), (8 * 3600 - 0.001, "7h59m"), (8 * 3600, "8h"),
    (8 * 3600 + 59 * 60, "8h"), (2 * DAY - 0.001, "47h"), (2 * DAY, "2d"), (2 * DAY + 3600, "2d1h"),
    (8 * DAY - 0.001, "7d23h"), (8 * DAY, "8d"), (8 * DAY + 23 * 3600, "8d"), (2 * 365 * DAY - 0.001, "729d"),
    (2 * 365 * DAY, "2y"), (2 * 365 * DAY + 23 * 3600, "2y"), (2 * 365 * DAY + DAY, "2y1d"),
    (3 * 365 * DAY, "3y"), (8 * 365 * DAY - 0.001, "7y364d"), (8 * 365 * DAY, "8y"),
    (8 * 365 * DAY + 364 * DAY, "8y"), (9 * 365 * DAY, "9y"),
], ids=lambda v: str(v))
def test_human_duration(seconds, want):
    assert human_duration(seconds) == want


@pytest.mark.parametrize("seconds, want", [
    (-2, "<invalid>"), (-2 + 1e-9, "0s"), (0, "0s"), (1 - 0.001, "0s"), (1, "1s"), (2 - 0.001, "1s"),
    (60 - 0.001, "59s"), (60, "1m"), (120 - 0.001, "1m"), (3600 - 0.001, "59m"), (3600, "1h"),
    (7200 - 0.001, "1h"), (DAY - 0.001, "23h"), (DAY, "1d"), (2 * DAY - 0.001, "1d"),
    (365 * DAY - 0.001, "364d"), (365 * DAY, "1y"), (2 * 365 * DAY - 0.001, "1y"), (2 * 365 * DAY, "2y"),
], ids=lambda v: str(v))
def test_short_human_duration(seconds, want):
    assert short_human_duration(seconds) == want


# --- pod STATUS / READY / RESTARTS (printers_test.go TestPrintPod) -------------------------

RUNNING = {"running": {"startedAt": ts(0)}}


def pod(name, n_containers, statuses, phase="podPhase", reason=None, conditions=None, deleting=False, **meta):
    status = {"phase": phase, "containerStatuses": statuses}
    if reason:
        status["reason"] = reason
    if conditions:
        status["conditions"] = conditions
    metadata = {"name": name, **meta}
    if deleting:
        metadata["deletionTimestamp"] = ts(NOW - 10)
    return {"metadata": metadata,
            "spec": {"containers": [{"name": f"c{i}", "image": "x"} for i in range(n_containers)]},
            "status": status}


def cs(ready=False, restarts=0, state=None, finished=None, name=None):
    out = {"name": name or "c", "ready": ready, "restartCount": restarts, "state": state or {}}
    if finished is not None:
        out["lastState"] = {"terminated": {"finishedAt": ts(finished)}}
    return out


@pytest.mark.parametrize("the_pod, row", [
    (pod("test1", 2, [cs(True, 3, RUNNING), cs(restarts=3)]), ["test1", "1/2", "podPhase", "6", "<unknown>"]),
    (pod("test2", 2, [cs(True, 3, RUNNING), cs(restarts=3, state={"waiting": {"reason": "ContainerWaitingReason"}})]),
     ["test2", "1/2", "ContainerWaitingReason", "6", "<unknown>"]),
    (pod("test3", 2, [cs(restarts=3, state={"waiting": {"reason": "ContainerWaitingReason"}}),
                      cs(restarts=3, state={"terminated": {"reason": "ContainerTerminatedReason"}})]),
     ["test3", "0/2", "ContainerWaitingReason", "6", "<unknown>"]),
    (pod("test4", 2, [cs(True, 3, RUNNING), cs(True, 3)]), ["test4", "1/2", "podPhase", "6", "<unknown>"]),
    (pod("test5", 2, [cs(True, 3, RUNNING), cs(True, 3)], reason="podReason"),
     ["test5", "1/2", "podReason", "6", "<unknown>"]),
    (pod("test6", 2, [cs(True, 3, {"terminated": {"reason": "Completed", "exitCode": 0}}), cs(True, 3, RUNNING)],
         phase="Running"), ["test6", "1/2", "NotReady", "6", "<unknown>"]),
    (pod("test6", 2, [cs(True, 3, {"terminated": {"reason": "Completed", "exitCode": 0}}), cs(True, 3, RUNNING)],
         phase="Running", conditions=[{"type": "Ready", "status": "True"}]),
     ["test6", "1/2", "Running", "6", "<unknown>"]),
    (pod("test12", 1, [cs(True, 3, RUNNING, finished=NOW - 5 * DAY)], phase="Running"),
     ["test12", "1/1", "Running", "3 (5d ago)", "<unknown>"]),
    (pod("test13", 2, [cs(True, 0, RUNNING), cs(True, 3, RUNNING, finished=NOW - 10 * DAY)], phase="Running"),
     ["test13", "2/2", "Running", "3 (10d ago)", "<unknown>"]),
    (pod("test14", 2, [cs(True, 6, RUNNING, finished=NOW - 5 * DAY), cs(True, 3, RUNNING, finished=NOW - 20 * DAY)],
         phase="Running"), ["test14", "2/2", "Running", "9 (5d ago)", "<unknown>"]),
    (pod("test15", 2, [], conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
     ["test15", "0/2", "SchedulingGated", "0", "<unknown>"]),
    (pod("test16", 1, [cs(state={"terminated": {"reason": "Completed", "exitCode": 0}})], phase="Succeeded"),
     ["test16", "0/1", "Completed", "0", "<unknown>"]),
    (pod("test17", 1, [cs(state={"terminated": {"reason": "Error", "exitCode": 1}})], phase="Failed"),
     ["test17", "0/1", "Error", "0", "<unknown>"]),
    (pod("test18", 1, [cs(state={"terminated": {"reason": "Completed", "exitCode": 0}})], phase="Succeeded",
         deleting=True), ["test18", "0/1", "Completed", "0", "<unknown>"]),
    (pod("test19", 1, [cs(state=RUNNING)], phase="Running", deleting=True),
     ["test19", "0/1", "Terminating", "0", "<unknown>"]),
    (pod("test20", 1, [], phase="Pending", deleting=True), ["test20", "0/1", "Terminating", "0", "<unknown>"]),
    # our simulator's states
    (pod("creating", 1, [cs(state={"waiting": {"reason": "ContainerCreating"}})], phase="Pending",
         creationTimestamp=ts(NOW - 3)), ["creating", "0/1", "ContainerCreating", "0", "3s"]),
    (pod("crash", 1, [cs(restarts=4, state={"waiting": {"reason": "CrashLoopBackOff",
                                                        "message": "back-off 40s restarting failed container"}},
                         finished=NOW - 12)], phase="Running", creationTimestamp=ts(NOW - 190)),
     ["crash", "0/1", "CrashLoopBackOff", "4 (12s ago)", "3m10s"]),
    (pod("pullbackoff", 1, [cs(state={"waiting": {"reason": "ImagePullBackOff"}})], phase="Pending"),
     ["pullbackoff", "0/1", "ImagePullBackOff", "0", "<unknown>"]),
    (pod("exited", 1, [cs(restarts=1, state={"terminated": {"exitCode": 137}})], phase="Running"),
     ["exited", "0/1", "ExitCode:137", "1", "<unknown>"]),
    (pod("signal", 1, [cs(state={"terminated": {"exitCode": 0, "signal": 9}})], phase="Running"),
     ["signal", "0/1", "Signal:9", "0", "<unknown>"]),
    (pod("lost", 1, [cs(True, 0, RUNNING)], phase="Running", reason="NodeLost", deleting=True),
     ["lost", "1/1", "Unknown", "0", "<unknown>"]),
    (pod("evicted", 1, [], phase="Failed", reason="Evicted"), ["evicted", "0/1", "Evicted", "0", "<unknown>"]),
], ids=lambda v: v["metadata"]["name"] if isinstance(v, dict) else "")
def test_pod_row(the_pod, row):
    assert pod_row(the_pod, NOW) == row
    assert pod_status(the_pod) == row[2]


# --- timeline states -----------------------------------------------------------------------

def ready_pod(since, status="True", **kw):
    return pod("p", 1, [cs(status == "True", 0, RUNNING, name="c0")], phase="Running",
               conditions=[{"type": "Ready", "status": status, "lastTransitionTime": ts(since)}], **kw)


@pytest.mark.parametrize("the_pod, now, min_ready, state", [
    (pod("p", 1, [], phase="Pending"), 5, 0, "Pending"),
    (pod("p", 1, [cs(state={"waiting": {"reason": "ContainerCreating"}}, name="c0")], phase="Pending"), 5, 0,
     "ContainerCreating"),
    (pod("p", 1, [cs(state={"waiting": {"reason": "ErrImagePull"}}, name="c0")], phase="Pending"), 5, 0,
     "ErrImagePull"),
    (pod("p", 1, [cs(state={"waiting": {"reason": "ImagePullBackOff"}}, name="c0")], phase="Pending"), 5, 0,
     "ImagePullBackOff"),
    (pod("p", 1, [cs(state={"waiting": {"reason": "CrashLoopBackOff"}}, name="c0")], phase="Running"), 5, 0,
     "CrashLoopBackOff"),
    (pod("p", 1, [cs(state={"terminated": {"reason": "Error", "exitCode": 1}}, name="c0")], phase="Running"), 5, 0,
     "Error"),
    (pod("p", 1, [cs(state={"terminated": {"reason": "Completed", "exitCode": 0}}, name="c0")], phase="Running"),
     5, 0, "Completed"),
    (ready_pod(10, status="False"), 20, 0, "Running"),
    (ready_pod(10), 10, 0, "Available"),
    (ready_pod(10), 14, 5, "Ready"),
    (ready_pod(10), 15, 5, "Ready"),        # lastTransitionTime + minReadySeconds must be strictly before now
    (ready_pod(10), 15.5, 5, "Available"),
    (ready_pod(10, deleting=True), 50, 0, "Terminating"),
], ids=["unscheduled", "creating", "ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "exited with error",
        "exited 0", "running not ready", "ready, minReadySeconds 0 = available", "ready, within minReadySeconds",
        "exactly minReadySeconds is not yet available", "past minReadySeconds", "terminating"])
def test_pod_timeline_state(the_pod, now, min_ready, state):
    assert pod_timeline_state(the_pod, now, min_ready) == state


# --- tabwriter -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, minwidth, padding, want", [
    ("a\tb\tc\naaa\tbbbb\tc\n", 0, 2, "a    b     c\naaa  bbbb  c\n"),
    ("ID\tAGE\nx\t1s\n", 6, 3, "ID    AGE\nx     1s\n"),
    # a line without a tab ends the column block
    ("a\t1\nno tabs here\nlonger\t2\n", 0, 1, "a 1\nno tabs here\nlonger 2\n"),
    # inner columns are aligned only across the lines that share them
    ("x\ty\tz\nxx\ty\nxxx\tyyyy\tz\n", 0, 1, "x   y z\nxx  y\nxxx yyyy z\n"),
], ids=["widest plus padding", "minwidth", "block ends at a tab-less line", "nested blocks"])
def test_tabwrite(text, minwidth, padding, want):
    assert tabwrite(text, minwidth, padding) == want


# --- kubectl get ---------------------------------------------------------------------------

def deployment(name="nginx-deployment", replicas=3, status=None, **extra):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "uid": "d-uid", "generation": 2,
                     "creationTimestamp": ts(0), "labels": {"app": "nginx"},
                     "annotations": {"deployment.kubernetes.io/revision": "2",
                                     "kubectl.kubernetes.io/last-applied-configuration": "{...}"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx"}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                 "minReadySeconds": 0, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                 "template": template("nginx:1.16.1"), **extra},
        "status": status or {"observedGeneration": 2, "replicas": 4, "updatedReplicas": 1, "readyReplicas": 3,
                             "availableReplicas": 3, "unavailableReplicas": 1,
                             "conditions": [
                                 {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                 {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}]},
    }


def template(image, pod_hash=None, annotations=None):
    labels = {"app": "nginx", **({"pod-template-hash": pod_hash} if pod_hash else {})}
    meta = {"labels": labels, **({"annotations": annotations} if annotations else {})}
    return {"metadata": meta, "spec": {
        "containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "readinessProbe": {"httpGet": {"path": "/", "port": 80, "scheme": "HTTP"},
                                           "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                                           "failureThreshold": 3}}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30}}


def replicaset(pod_hash, image, replicas, revision, created, ready=None, cause=None):
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if cause:
        annotations["kubernetes.io/change-cause"] = cause
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"nginx-deployment-{pod_hash}", "namespace": "default", "uid": f"rs-{pod_hash}",
                     "creationTimestamp": ts(created), "labels": {"app": "nginx", "pod-template-hash": pod_hash},
                     "annotations": annotations,
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx-deployment",
                                          "uid": "d-uid", "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "nginx", "pod-template-hash": pod_hash}},
                 "template": template(image, pod_hash)},
        "status": {"replicas": replicas, "readyReplicas": replicas if ready is None else ready,
                   "availableReplicas": replicas if ready is None else ready},
    }


def event(reason, message, first, last=None, count=1, kind="Deployment", name="nginx-deployment",
          type_="Normal", source="deployment-controller"):
    return {"metadata": {"name": f"{name}.{first}", "namespace": "default"}, "type": type_, "reason": reason,
            "message": message, "count": count, "firstTimestamp": ts(first), "lastTimestamp": ts(last or first),
            "involvedObject": {"kind": kind, "name": name, "namespace": "default",
                               "uid": "d-uid" if kind == "Deployment" else None},
            "source": {"component": source}}


OLD_RS = replicaset("66b6c48dd5", "nginx:1.14.2", 3, 1, 0)
NEW_RS = replicaset("7c5ddbdf54", "nginx:1.16.1", 1, 2, 290, ready=0)
EVENTS = [
    event("ScalingReplicaSet", "Scaled up replica set nginx-deployment-66b6c48dd5 from 0 to 3", 0),
    event("ScalingReplicaSet", "Scaled up replica set nginx-deployment-7c5ddbdf54 from 0 to 1", 290),
    event("Scheduled", "Successfully assigned default/p to node-1", 291, kind="Pod", name="p",
          source="default-scheduler"),
]


def cluster(now=300.0, **kw):
    objects = {"deployment": [deployment()], "replicaset": [NEW_RS, OLD_RS], "event": EVENTS, **kw}
    return FakeCluster(now=now, history={"nginx-deployment": [
        {"revision": 2, "change_cause": "kubectl set image deployment/nginx-deployment nginx=nginx:1.16.1"},
        {"revision": 1, "change_cause": None}]}, **objects)


@pytest.mark.parametrize("kind, name, want", [
    ("deploy", None,
     "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"
     "nginx-deployment   3/3     1            3           5m\n"),
    ("rs", None,
     "NAME                          DESIRED   CURRENT   READY   AGE\n"
     "nginx-deployment-66b6c48dd5   3         3         3       5m\n"
     "nginx-deployment-7c5ddbdf54   1         1         0       10s\n"),
    ("replicasets", "nginx-deployment-7c5ddbdf54",
     "NAME                          DESIRED   CURRENT   READY   AGE\n"
     "nginx-deployment-7c5ddbdf54   1         1         0       10s\n"),
    ("pods", "nope", 'Error from server (NotFound): pods "nope" not found\n'),
    ("deployments", "nope", 'Error from server (NotFound): deployments.apps "nope" not found\n'),
    ("pods", None, "No resources found in default namespace.\n"),
    ("nodes", None, "No resources found.\n"),
    ("configmaps", None, 'error: the server doesn\'t have a resource type "configmaps"\n'),
    ("events", None,
     "LAST SEEN   TYPE     REASON              OBJECT                        MESSAGE\n"
     "5m          Normal   ScalingReplicaSet   deployment/nginx-deployment   "
     "Scaled up replica set nginx-deployment-66b6c48dd5 from 0 to 3\n"
     "10s         Normal   ScalingReplicaSet   deployment/nginx-deployment   "
     "Scaled up replica set nginx-deployment-7c5ddbdf54 from 0 to 1\n"
     "9s          Normal   Scheduled           pod/p                         "
     "Successfully assigned default/p to node-1\n"),
], ids=["deployments", "replicasets sorted by name", "one replicaset", "pod not found", "deployment not found",
        "no pods", "no nodes", "unknown resource type", "events"])
def test_get_text(kind, name, want):
    assert get_text(cluster(), kind, name) == want


def test_get_pods_and_nodes():
    pods = [
        {"metadata": {"name": "web-7c5ddbdf54-x2k9p", "creationTimestamp": ts(100)},
         "spec": {"containers": [{"name": "nginx"}]},
         "status": {"phase": "Running", "containerStatuses": [
             {"name": "nginx", "ready": False, "restartCount": 2,
              "state": {"waiting": {"reason": "CrashLoopBackOff"}},
              "lastState": {"terminated": {"finishedAt": ts(290)}}}]}},
        {"metadata": {"name": "web-66b6c48dd5-abcde", "creationTimestamp": ts(0)},
         "spec": {"containers": [{"name": "nginx"}]},
         "status": {"phase": "Running", "containerStatuses": [
             {"name": "nginx", "ready": True, "restartCount": 0, "state": RUNNING}]}},
    ]
    nodes = [{"metadata": {"name": f"node-{i}", "creationTimestamp": ts(0),
                           "labels": {"node-role.kubernetes.io/worker": ""} if i == 2 else {}},
              "spec": {"unschedulable": i == 3},
              "status": {"conditions": [{"type": "Ready", "status": "False" if i == 3 else "True"}],
                         "nodeInfo": {"kubeletVersion": "v1.28.0"}}} for i in (1, 2, 3)]
    c = FakeCluster(now=300.0, pod=pods, node=nodes)
    assert get_text(c, "pods") == (
        "NAME                   READY   STATUS             RESTARTS      AGE\n"
        "web-66b6c48dd5-abcde   1/1     Running            0             5m\n"
        "web-7c5ddbdf54-x2k9p   0/1     CrashLoopBackOff   2 (10s ago)   3m20s\n")
    assert get_text(c, "nodes") == (
        "NAME     STATUS                        ROLES    AGE   VERSION\n"
        "node-1   Ready                         <none>   5m    v1.28.0\n"
        "node-2   Ready                         worker   5m    v1.28.0\n"
        "node-3   NotReady,SchedulingDisabled   <none>   5m    v1.28.0\n")


# --- kubectl describe deployment -----------------------------------------------------------

DESCRIBE = """\
Name:                   nginx-deployment
Namespace:              default
CreationTimestamp:      Thu, 01 Jan 2026 00:00:00 +0000
Labels:                 app=nginx
Annotations:            deployment.kubernetes.io/revision: 2
Selector:               app=nginx
Replicas:               3 desired | 1 updated | 4 total | 3 available | 1 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=nginx
  Containers:
   nginx:
    Image:        nginx:1.16.1
    Port:         80/TCP
    Host Port:    0/TCP
    Readiness:    http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment:  <none>
    Mounts:       <none>
  Volumes:        <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    ReplicaSetUpdated
OldReplicaSets:  nginx-deployment-66b6c48dd5 (3/3 replicas created)
NewReplicaSet:   nginx-deployment-7c5ddbdf54 (1/1 replicas created)
Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  5m    deployment-controller  Scaled up replica set nginx-deployment-66b6c48dd5 from 0 to 3
  Normal  ScalingReplicaSet  10s   deployment-controller  Scaled up replica set nginx-deployment-7c5ddbdf54 from 0 to 1
"""


def test_describe_deployment_mid_rollout():
    assert describe_deployment(cluster(), "nginx-deployment") == DESCRIBE


def test_describe_deployment_details():
    d = deployment(status={"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2,
                           "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                          {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate"}]})
    d["spec"]["strategy"] = {"type": "Recreate"}
    d["spec"]["selector"] = {"matchLabels": {"app": "nginx"},
                             "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]}
    d["metadata"]["labels"] = {"team": "a", "app": "nginx"}
    c = d["spec"]["template"]["spec"]["containers"][0]
    c["ports"].append({"containerPort": 443, "protocol": "TCP", "hostPort": 8443})
    c["livenessProbe"] = {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5,
                          "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3}
    c["env"] = [{"name": "MODE", "value": "prod"}]
    text = describe_deployment(FakeCluster(now=60, deployment=[d], replicaset=[OLD_RS]), "nginx-deployment")
    # no RollingUpdateStrategy line: the first block is as wide as "CreationTimestamp:" + 2
    assert text == """\
Name:               nginx-deployment
Namespace:          default
CreationTimestamp:  Thu, 01 Jan 2026 00:00:00 +0000
Labels:             app=nginx
                    team=a
Annotations:        deployment.kubernetes.io/revision: 2
Selector:           app=nginx,tier in (api,web)
Replicas:           3 desired | 2 updated | 2 total | 2 available | 0 unavailable
StrategyType:       Recreate
MinReadySeconds:    0
Pod Template:
  Labels:  app=nginx
  Containers:
   nginx:
    Image:       nginx:1.16.1
    Ports:       80/TCP, 443/TCP
    Host Ports:  0/TCP, 8443/TCP
    Liveness:    exec [cat /tmp/healthy] delay=5s timeout=1s period=5s #success=1 #failure=3
    Readiness:   http-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3
    Environment:
      MODE:  prod
    Mounts:  <none>
  Volumes:   <none>
Conditions:
  Type             Status  Reason
  ----             ------  ------
  Available        True    MinimumReplicasAvailable
  ReplicaFailure   True    FailedCreate
OldReplicaSets:    nginx-deployment-66b6c48dd5 (3/3 replicas created)
NewReplicaSet:     <none>
Events:            <none>
"""
    assert describe_deployment(FakeCluster(), "nope") == 'Error from server (NotFound): deployments.apps "nope" not found\n'


# --- kubectl rollout history ---------------------------------------------------------------

def test_rollout_history():
    assert rollout_history_text(cluster(), "nginx-deployment") == (
        "deployment.apps/nginx-deployment \n"   # NamePrinter: name, space, operation
        "REVISION  CHANGE-CAUSE\n"
        "1         <none>\n"
        "2         kubectl set image deployment/nginx-deployment nginx=nginx:1.16.1\n"
        "\n")


def test_rollout_history_revision():
    new = replicaset("7c5ddbdf54", "nginx:1.16.1", 1, 2, 290, cause="kubectl set image nginx=nginx:1.16.1")
    text = rollout_history_text(cluster(replicaset=[OLD_RS, new]), "nginx-deployment", revision=2)
    assert text == (
        "deployment.apps/nginx-deployment with revision #2\n"
        "Pod Template:\n"
        "  Labels:\tapp=nginx\n"
        "\tpod-template-hash=7c5ddbdf54\n"
        "  Annotations:\tkubernetes.io/change-cause: kubectl set image nginx=nginx:1.16.1\n"
        "  Containers:\n"
        "   nginx:\n"
        "    Image:\tnginx:1.16.1\n"
        "    Port:\t80/TCP\n"
        "    Host Port:\t0/TCP\n"
        "    Readiness:\thttp-get http://:80/ delay=0s timeout=1s period=10s #success=1 #failure=3\n"
        "    Environment:\t<none>\n"
        "    Mounts:\t<none>\n"
        "  Volumes:\t<none>\n"
        "\n")
    assert rollout_history_text(cluster(), "nginx-deployment", revision=9) == (
        "error: unable to find the specified revision\n")


def test_rollout_history_empty_and_missing():
    c = FakeCluster(deployment=[deployment()])
    assert rollout_history_text(c, "nginx-deployment") == "deployment.apps/nginx-deployment \nNo rollout history found.\n"
    assert rollout_history_text(c, "x") == 'Error from server (NotFound): deployments.apps "x" not found\n'


def test_describe_lists_every_old_replicaset_and_aggregated_events():
    older = replicaset("5d59d67564", "nginx:1.13", 0, 1, 0)
    older["status"]["replicas"] = 0
    old = replicaset("66b6c48dd5", "nginx:1.14.2", 2, 2, 100)
    new = replicaset("7c5ddbdf54", "nginx:1.16.1", 2, 3, 200)
    events = [event("ScalingReplicaSet", "Scaled down replica set nginx-deployment-66b6c48dd5 from 3 to 2",
                    first=200, last=280, count=3)]
    text = describe_deployment(FakeCluster(now=300, deployment=[deployment()], replicaset=[new, old, older],
                                           event=events), "nginx-deployment")
    lines = text.splitlines()
    assert ("OldReplicaSets:  nginx-deployment-5d59d67564 (0/0 replicas created), "
            "nginx-deployment-66b6c48dd5 (2/2 replicas created)") in lines
    assert "NewReplicaSet:   nginx-deployment-7c5ddbdf54 (2/2 replicas created)" in lines
    assert lines[-1] == ("  Normal  ScalingReplicaSet  20s (x3 over 100s)  deployment-controller  "
                         "Scaled down replica set nginx-deployment-66b6c48dd5 from 3 to 2")


def test_long_annotation_is_wrapped_and_shortened():
    d = deployment()
    d["metadata"]["annotations"]["kubernetes.io/change-cause"] = "x" * 150
    lines = describe_deployment(FakeCluster(deployment=[d]), "nginx-deployment").splitlines()
    # the wrapped value has no tab: it ends the column block, so the lines above align on their own
    assert lines[3] == "Labels:             app=nginx"
    i = lines.index("                    kubernetes.io/change-cause:")
    assert lines[i + 1] == "  " + "x" * 138 + "..."


# --- services and their endpoints --------------------------------------------------------

def service(name, type_, ports, cluster_ip="10.96.14.2", ingress=None, selector=None, **spec):
    status = {"loadBalancer": {"ingress": ingress}} if ingress else {"loadBalancer": {}}
    return {"kind": "Service", "metadata": {"name": name, "namespace": "default", "uid": "u-" + name,
                                            "creationTimestamp": ts(0)},
            "spec": {"type": type_, "clusterIP": cluster_ip, "clusterIPs": [cluster_ip],
                     "ports": ports, "selector": selector or {"app": name},
                     "sessionAffinity": "None", "ipFamilyPolicy": "SingleStack",
                     "ipFamilies": ["IPv4"], "internalTrafficPolicy": "Cluster", **spec},
            "status": status}


def endpoint(ip, ready=True, terminating=False):
    return {"addresses": [ip], "conditions": {"ready": ready, "serving": ready or terminating,
                                              "terminating": terminating},
            "targetRef": {"kind": "Pod", "name": "p-" + ip, "namespace": "default"}}


def endpoint_slice(name, service_name, ports, endpoints, created=250):
    return {"kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": name, "creationTimestamp": ts(created),
                         "labels": {"kubernetes.io/service-name": service_name}},
            "ports": ports, "endpoints": endpoints}


SERVICES = [
    service("web", "LoadBalancer", [{"port": 80, "targetPort": "http", "nodePort": 31234,
                                     "protocol": "TCP"}],
            ingress=[{"ip": "203.0.113.10", "ipMode": "VIP"}], externalTrafficPolicy="Cluster"),
    service("db", "ClusterIP", [{"name": "pg", "port": 5432, "targetPort": 5432, "protocol": "TCP"},
                                {"name": "metrics", "port": 9187, "targetPort": 9187,
                                 "protocol": "TCP"}]),
    service("pending", "LoadBalancer", [{"port": 80, "targetPort": 80, "nodePort": 30001,
                                         "protocol": "TCP"}], externalTrafficPolicy="Cluster"),
    service("headless", "ClusterIP", [{"port": 80, "targetPort": 80, "protocol": "UDP"}],
            cluster_ip="None"),
]
SLICES = [
    endpoint_slice("web-abcde", "web", [{"name": "", "port": 3000, "protocol": "TCP"}],
                   [endpoint("10.244.1.2"), endpoint("10.244.2.2"),
                    endpoint("10.244.3.2", ready=False, terminating=True), endpoint("10.244.1.3"),
                    endpoint("10.244.2.3")]),
    endpoint_slice("pending-x1y2z", "pending", None, None, created=10),
]


def test_get_services():
    assert get_text(cluster(service=SERVICES), "svc") == (
        "NAME       TYPE           CLUSTER-IP   EXTERNAL-IP    PORT(S)             AGE\n"
        "db         ClusterIP      10.96.14.2   <none>         5432/TCP,9187/TCP   5m\n"
        "headless   ClusterIP      None         <none>         80/UDP              5m\n"
        "pending    LoadBalancer   10.96.14.2   <pending>      80:30001/TCP        5m\n"
        "web        LoadBalancer   10.96.14.2   203.0.113.10   80:31234/TCP        5m\n")


def test_get_endpoint_slices():
    assert get_text(cluster(endpointslice=SLICES), "endpointslices") == (
        "NAME            ADDRESSTYPE   PORTS     ENDPOINTS                                      AGE\n"
        "pending-x1y2z   IPv4          <unset>   <unset>                                        4m50s\n"
        "web-abcde       IPv4          3000      10.244.1.2,10.244.2.2,10.244.3.2 + 2 more...   50s\n")


def test_get_endpoints():
    endpoints = {"kind": "Endpoints", "metadata": {"name": "web", "creationTimestamp": ts(250)},
                 "subsets": [{"addresses": [{"ip": "10.244.1.2"}, {"ip": "10.244.2.2"}],
                              "ports": [{"port": 3000, "protocol": "TCP"}]}]}
    empty = {"kind": "Endpoints", "metadata": {"name": "idle", "creationTimestamp": ts(250)}}
    assert get_text(cluster(endpoints=[endpoints, empty]), "ep") == (
        "NAME   ENDPOINTS                         AGE\n"
        "idle   <none>                            50s\n"
        "web    10.244.1.2:3000,10.244.2.2:3000   50s\n")


DESCRIBE_SERVICE = """\
Name:                     web
Namespace:                default
Labels:                   <none>
Annotations:              <none>
Selector:                 app=web
Type:                     LoadBalancer
IP Family Policy:         SingleStack
IP Families:              IPv4
IP:                       10.96.14.2
IPs:                      10.96.14.2
LoadBalancer Ingress:     203.0.113.10 (VIP)
Port:                     <unset>  80/TCP
TargetPort:               http/TCP
NodePort:                 <unset>  31234/TCP
Endpoints:                10.244.1.2:3000,10.244.2.2:3000,10.244.1.3:3000 + 2 more...
Session Affinity:         None
External Traffic Policy:  Cluster
Internal Traffic Policy:  Cluster
Events:
  Type    Reason                Age   From                Message
  ----    ------                ----  ----                -------
  Normal  EnsuringLoadBalancer  5m    service-controller  Ensuring load balancer
  Normal  EnsuredLoadBalancer   4m    service-controller  Ensured load balancer
"""


def test_describe_service():
    events = [event("EnsuringLoadBalancer", "Ensuring load balancer", 0, kind="Service", name="web",
                    source="service-controller"),
              event("EnsuredLoadBalancer", "Ensured load balancer", 60, kind="Service",
                    name="web", source="service-controller")]
    for e in events:
        e["involvedObject"]["uid"] = "u-web"
    c = cluster(service=SERVICES, endpointslice=SLICES, event=events)
    assert describe_service(c, "web") == DESCRIBE_SERVICE


def test_describe_service_without_endpoints_or_slices():
    c = cluster(service=SERVICES, endpointslice=SLICES)
    text = describe_service(c, "db")
    assert "Port:                     pg  5432/TCP\n" in text
    assert "Endpoints:                <none>\n" in text and text.endswith("Events:                   <none>\n")
    assert "Endpoints:                \n" in describe_service(c, "pending")   # a placeholder: no ports
    assert describe_service(c, "nope") == 'Error from server (NotFound): services "nope" not found\n'
