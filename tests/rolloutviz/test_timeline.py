"""The timeline recorder: pod segments and marks, ReplicaSet and Deployment series, markers."""
import pytest

from rolloutviz import protocol
from rolloutviz.timeline import TimelineRecorder


def stamp(t: float) -> str:
    return f"2026-01-01T00:{int(t) // 60:02d}:{int(t) % 60:02d}Z"


def pod(name, rs="web-abc", *, node=None, waiting=None, ready_since=None, restarts=0,
        last_reason=None, deleting=False):
    status = {"name": "app", "restartCount": restarts, "state": {"running": {}}}
    if waiting:
        status["state"] = {"waiting": {"reason": waiting}}
    if last_reason:
        status["lastState"] = {"terminated": {"reason": last_reason, "exitCode": 137}}
    conditions = []
    if ready_since is not None:
        conditions.append({"type": "Ready", "status": "True", "lastTransitionTime": stamp(ready_since)})
    metadata = {"name": name, "ownerReferences": [{"kind": "ReplicaSet", "name": rs}]}
    if deleting:
        metadata["deletionTimestamp"] = stamp(0)
    return {
        "metadata": metadata,
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": "nginx:1.14.2"}]},
        "status": {"phase": "Pending" if waiting else "Running", "containerStatuses": [status], "conditions": conditions},
    }


def rs(name="web-abc", *, replicas=3, ready=0, available=0, revision="1", min_ready=0, image="nginx:1.14.2"):
    return {
        "metadata": {"name": name, "labels": {"pod-template-hash": name.split("-")[-1]},
                     "annotations": {"deployment.kubernetes.io/revision": revision},
                     "ownerReferences": [{"kind": "Deployment", "name": "web"}]},
        "spec": {"replicas": replicas, "minReadySeconds": min_ready,
                 "template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
        "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": available},
    }


def deployment(replicas=3, surge="25%", unavailable="25%", strategy="RollingUpdate"):
    spec = {"replicas": replicas, "strategy": {"type": strategy}}
    if strategy == "RollingUpdate":
        spec["strategy"]["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {"metadata": {"name": "web"}, "spec": spec}


def change(kind, obj, change_type="MODIFIED"):
    return {"type": change_type, "kind": kind, "name": obj["metadata"]["name"], "namespace": "default", "object": obj}


def event(reason, message, kind="Pod", name="web-abc-1"):
    return {"reason": reason, "message": message, "type": "Normal", "involvedObject": {"kind": kind, "name": name}}


def run(ticks):
    recorder = TimelineRecorder()
    outputs = [recorder.record(t=t, changes=changes, events=events) for t, changes, events in ticks]
    return recorder, outputs


def test_pod_segments_follow_its_states_and_skip_repeats():
    recorder, _ = run([
        (1.0, [change("Pod", pod("web-abc-1", waiting="ContainerCreating"), "ADDED")], []),
        (2.0, [change("Pod", pod("web-abc-1", node="node-1", waiting="ContainerCreating"))], []),
        (5.0, [change("Pod", pod("web-abc-1", node="node-1"))], []),
        (7.0, [change("Pod", pod("web-abc-1", node="node-1", ready_since=7.0))], []),
        (9.0, [change("Pod", pod("web-abc-1", node="node-1", deleting=True))], []),
        (12.0, [change("Pod", pod("web-abc-1", node="node-1", deleting=True), "DELETED")], []),
    ])
    entry = recorder.as_dict()["pods"]["web-abc-1"]
    assert entry["segments"] == [[1.0, "ContainerCreating"], [5.0, "Running"], [7.0, "Available"], [9.0, "Terminating"]]
    assert (entry["rs"], entry["node"], entry["deleted"]) == ("web-abc", "node-1", 12.0)


def test_a_pod_becomes_available_when_its_replicaset_counts_it_after_min_ready_seconds():
    recorder, outputs = run([
        (1.0, [change("ReplicaSet", rs(min_ready=10), "ADDED"), change("Pod", pod("web-abc-1", ready_since=1.0), "ADDED")], []),
        (12.0, [change("ReplicaSet", rs(min_ready=10, ready=1, available=1))], []),
    ])
    assert recorder.pods["web-abc-1"]["segments"] == [[1.0, "Ready"], [12.0, "Available"]]
    assert outputs[1][1]["pods"]["web-abc-1"]["segments"] == [[12.0, "Available"]]


@pytest.mark.parametrize(
    "ticks, marks",
    [
        ([(3.0, [change("Pod", pod("web-abc-1", restarts=1, last_reason="Error"))], [])],
         [[3.0, "restart", "app: Error (exit code 137)"]]),
        ([(3.0, [], [event("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500")])],
         [[3.0, "unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500"]]),
        ([(3.0, [], [event("Unhealthy", "probe failed", name="other-pod")])], []),
        ([(3.0, [change("Pod", pod("web-abc-1", restarts=0))], [event("Pulled", "Successfully pulled")])], []),
    ],
    ids=["restart-count-rises", "unhealthy-event", "event-of-unknown-pod", "no-restart"],
)
def test_pod_marks(ticks, marks):
    recorder, _ = run([(1.0, [change("Pod", pod("web-abc-1"), "ADDED")], []), *ticks])
    assert recorder.pods["web-abc-1"]["marks"] == marks


def test_replicaset_series_records_only_changes_and_keeps_revision_moves():
    recorder, outputs = run([
        (1.0, [change("ReplicaSet", rs(replicas=1), "ADDED")], []),
        (2.0, [change("ReplicaSet", rs(replicas=1))], []),
        (3.0, [change("ReplicaSet", rs(replicas=1, ready=1, available=1))], []),
        (4.0, [change("ReplicaSet", rs(replicas=1, ready=1, available=1, revision="3"))], []),
        (5.0, [change("ReplicaSet", rs(replicas=0, revision="3"), "DELETED")], []),
    ])
    entry = recorder.replicasets["web-abc"]
    assert entry["series"] == [[1.0, 1, 0, 0], [3.0, 1, 1, 1], [5.0, 0, 0, 0]]
    assert (entry["revision"], entry["hash"], entry["images"], entry["deployment"], entry["deleted"]) == (
        3, "abc", ["nginx:1.14.2"], "web", 5.0)
    assert outputs[1][1]["replicasets"]["web-abc"]["series"] == []
    assert outputs[3][1]["replicasets"]["web-abc"]["revision"] == 3


@pytest.mark.parametrize(
    "spec, point",
    [  # replicas, maxSurge, maxUnavailable resolved; availableReplicas (none yet)
        (deployment(3), [3, 1, 0, 0]),
        (deployment(10, 3, 2), [10, 3, 2, 0]),
        (deployment(10, "30%", "30%"), [10, 3, 3, 0]),
        (deployment(4, 0, 1), [4, 0, 1, 0]),
        (deployment(4, strategy="Recreate"), [4, 0, 0, 0]),
    ],
    ids=["default-25%", "absolute", "percent-rounding", "no-surge", "recreate"],
)
def test_deployment_series_resolves_surge_and_unavailable(spec, point):
    recorder, _ = run([(0.0, [change("Deployment", spec, "ADDED")], [])])
    assert recorder.deployments["web"]["series"] == [[0.0, *point]]


def test_markers_for_scaling_events_and_commands_in_order():
    recorder = TimelineRecorder()
    command = protocol.marker(t=4.0, label="scale", detail="deployment.apps/web scaled")
    markers, _ = recorder.record(
        t=4.0, changes=[], command_markers=[command],
        events=[event("ScalingReplicaSet", "Scaled up replica set web-abc from 1 to 3", kind="Deployment", name="web")],
    )
    assert [(m["label"], m["kind"]) for m in markers] == [("scale", "command"), ("ScalingReplicaSet", "event")]
    assert markers[1]["detail"] == "Scaled up replica set web-abc from 1 to 3"
    assert recorder.as_dict()["markers"] == markers


def test_rebuild_from_stored_deltas_equals_the_live_timeline_and_restarts_after_a_reset():
    ticks = [
        (1.0, [change("Deployment", deployment(), "ADDED"), change("ReplicaSet", rs(), "ADDED"),
               change("Pod", pod("web-abc-1", waiting="ContainerCreating"), "ADDED")],
         [event("ScalingReplicaSet", "Scaled up replica set web-abc from 0 to 3", kind="Deployment", name="web")]),
        (4.0, [change("Pod", pod("web-abc-1", ready_since=4.0)), change("ReplicaSet", rs(ready=1, available=1))], []),
        (6.0, [change("Pod", pod("web-abc-1", ready_since=4.0, restarts=1, last_reason="Error"))], []),
    ]
    recorder = TimelineRecorder()
    payloads = []
    for t, changes, events in ticks:
        command = [protocol.marker(t=t, label="apply")] if t == 1.0 else []
        markers, patch = recorder.record(t=t, changes=changes, events=events, command_markers=command)
        payloads.append({"cause": "step", "t": t, "changes": changes, "events": events, "markers": markers,
                         "timeline": patch})
    assert TimelineRecorder.rebuild(payloads).as_dict() == recorder.as_dict()
    reset = {"cause": "reset", "t": 0.0, "changes": [], "events": [], "markers": [protocol.marker(t=0, label="reset")]}
    rebuilt = TimelineRecorder.rebuild([*payloads, reset]).as_dict()
    assert rebuilt["pods"] == {} and [m["label"] for m in rebuilt["markers"]] == ["reset"]


def test_patches_appended_in_order_give_the_timeline():
    recorder = TimelineRecorder()
    merged = {"pods": {}, "replicasets": {}, "deployments": {}}
    for t, changes in [
        (1.0, [change("ReplicaSet", rs(), "ADDED"), change("Pod", pod("web-abc-1", waiting="ErrImagePull"), "ADDED")]),
        (2.0, [change("Pod", pod("web-abc-1", waiting="ImagePullBackOff", node="node-2"))]),
        (3.0, [change("ReplicaSet", rs(ready=1)), change("Deployment", deployment(), "ADDED")]),
    ]:
        _, patch = recorder.record(t=t, changes=changes, events=[])
        for section in ("pods", "replicasets", "deployments"):
            for name, entry in patch[section].items():
                target = merged[section].setdefault(name, {"segments": [], "marks": [], "series": []})
                for key, value in entry.items():
                    if key in ("segments", "marks", "series"):
                        target[key].extend(value)
                    else:
                        target[key] = value
    timeline = recorder.as_dict()
    assert merged["pods"]["web-abc-1"]["segments"] == timeline["pods"]["web-abc-1"]["segments"]
    assert merged["pods"]["web-abc-1"]["node"] == "node-2"
    assert merged["replicasets"]["web-abc"]["series"] == timeline["replicasets"]["web-abc"]["series"]
    assert merged["deployments"]["web"]["series"] == timeline["deployments"]["web"]["series"]


# ---------------------------------------------------------------- fed by the real simulator

LIVENESS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: guangzhengli/hellok8s:liveness
        livenessProbe:
          httpGet: {path: /healthz, port: 3000}
          initialDelaySeconds: 3
          periodSeconds: 3
"""


def simulate(manifest, seconds, then=None, more=0):
    """Feed a real Cluster's records into a recorder, as the custodian does."""
    from simulator import Cluster

    cluster, recorder = Cluster(seed=11), TimelineRecorder()

    def feed(records):
        changes = [r for r in records if r["type"] != "EVENT"]
        recorder.record(t=cluster.now, changes=changes, events=[r["object"] for r in records if r["type"] == "EVENT"])

    cluster.apply(manifest)
    feed(cluster.take_changes())
    for _ in range(seconds):
        feed(cluster.step())
    if then:
        then(cluster)
        feed(cluster.take_changes())
        for _ in range(more):
            feed(cluster.step())
    return cluster, recorder.as_dict()


def test_liveness_failures_leave_unhealthy_and_restart_marks_on_each_pod():
    cluster, timeline = simulate(LIVENESS, 60)
    assert len(timeline["pods"]) == 2
    for name, lane in timeline["pods"].items():
        kinds = [mark[1] for mark in lane["marks"]]
        assert "unhealthy" in kinds and "restart" in kinds, name
        restarts = sum(s["restartCount"] for s in cluster.get("pod", name)["status"]["containerStatuses"])
        assert kinds.count("restart") == restarts
        states = [state for _, state in lane["segments"]]
        assert states[0] in ("Pending", "ContainerCreating") and "Available" in states


def test_a_rolling_update_gives_scaling_markers_and_replicaset_series():
    manifest = LIVENESS.replace("guangzhengli/hellok8s:liveness", "nginx:1.14.2").replace(
        "        livenessProbe:\n          httpGet: {path: /healthz, port: 3000}\n"
        "          initialDelaySeconds: 3\n          periodSeconds: 3\n", "")
    _, timeline = simulate(manifest, 20, then=lambda c: c.set_image("web", "app", "nginx:1.16.1"), more=40)
    scaling = [m["detail"] for m in timeline["markers"] if m["label"] == "ScalingReplicaSet"]
    assert scaling[0].startswith("Scaled up replica set web-") and scaling[0].endswith("from 0 to 2")
    assert any(d.startswith("Scaled down") for d in scaling)
    by_revision = {rs["revision"]: rs for rs in timeline["replicasets"].values()}
    assert by_revision[1]["series"][-1][1:] == [0, 0, 0]
    assert by_revision[2]["series"][-1][1:] == [2, 2, 2]
    assert by_revision[2]["images"] == ["nginx:1.16.1"]
    series = timeline["deployments"]["web"]["series"]
    assert {tuple(point[1:4]) for point in series} == {(2, 1, 0)}  # replicas, maxSurge, maxUnavailable
    # the total available: 0 → 2 on the first rollout, then never under the floor (2 − 0) again
    available = [point[4] for point in series]
    assert available[0] == 0 and available[-1] == 2 and min(available[available.index(2):]) == 2


# ---------------------------------------------------------------- Ready → Available, bare ReplicaSets


def ready_pod_then(*ticks):
    """A pod Ready at t=10 in a ReplicaSet with minReadySeconds 5, then ``ticks``."""
    return run([
        (0.0, [change("ReplicaSet", rs(min_ready=5, replicas=1), "ADDED")], []),
        (10.0, [change("Pod", pod("web-abc-1", node="node-1", ready_since=10.0), "ADDED")], []),
        *ticks,
    ])


@pytest.mark.parametrize(
    "ticks, segments",
    [
        # the ReplicaSet counts the pod at the very instant minReadySeconds end: the pod's own
        # state reads Available only after it, and no later ReplicaSet change says so
        ([(15.0, [change("ReplicaSet", rs(min_ready=5, replicas=1, ready=1, available=1))], []), (16.0, [], [])],
         [[10.0, "Ready"], [16.0, "Available"]]),
        ([(t, [], []) for t in (11.0, 14.0, 15.0, 15.5, 16.0)], [[10.0, "Ready"], [15.5, "Available"]]),
        ([(12.0, [change("Pod", pod("web-abc-1", node="node-1", deleting=True))], []), (20.0, [], [])],
         [[10.0, "Ready"], [12.0, "Terminating"]]),
        ([(12.0, [change("Pod", pod("web-abc-1", node="node-1"))], []), (20.0, [], [])],
         [[10.0, "Ready"], [12.0, "Running"]]),
        ([(12.0, [change("Pod", pod("web-abc-1", node="node-1", ready_since=10.0), "DELETED")], []), (20.0, [], [])],
         [[10.0, "Ready"]]),
    ],
    ids=["replicaset-counts-it-at-the-boundary", "no-replicaset-change-at-all", "terminating-first",
         "not-ready-again-first", "deleted-first"],
)
def test_a_ready_pod_turns_available_at_the_first_delta_after_min_ready_seconds(ticks, segments):
    recorder, outputs = ready_pod_then(*ticks)
    assert recorder.pods["web-abc-1"]["segments"] == segments
    assert recorder.as_dict() == TimelineRecorder.rebuild(
        {"t": t, "changes": c, "events": e} for t, c, e in [
            (0.0, [change("ReplicaSet", rs(min_ready=5, replicas=1), "ADDED")], []),
            (10.0, [change("Pod", pod("web-abc-1", node="node-1", ready_since=10.0), "ADDED")], []),
            *ticks]).as_dict()
    if segments[-1][1] == "Available":  # the delta that turned it carries the new segment
        patch_of = {t: patch for (t, _, _), (_, patch) in zip([(0.0, 0, 0), (10.0, 0, 0), *ticks], outputs)}
        assert patch_of[segments[-1][0]]["pods"]["web-abc-1"]["segments"] == [segments[-1]]


def test_every_pod_of_the_k8s_in_action_demo_is_drawn_as_its_state_reads():
    """The canary step with minReadySeconds 10 left pods drawn Ready long after they were Available."""
    from rolloutviz.demos import k8s_in_action
    from simulator import Cluster
    from simulator.kubectl.printers import pod_timeline_state

    cluster, recorder = Cluster(seed=0), TimelineRecorder()

    def feed(records):
        recorder.record(t=cluster.now, changes=[r for r in records if r["type"] != "EVENT"],
                        events=[r["object"] for r in records if r["type"] == "EVENT"])

    run_steps = {
        "apply": lambda a: cluster.apply(a["yaml"]),
        "set-image": lambda a: cluster.set_image(a["deployment"], a["container"], a["image"]),
        "undo": lambda a: cluster.rollout_undo(a["deployment"], a["to_revision"]),
        "pause": lambda a: cluster.rollout_pause(a["deployment"]),
        "resume": lambda a: cluster.rollout_resume(a["deployment"]),
    }
    cluster.apply(k8s_in_action.DEMO.manifest)
    feed(cluster.take_changes())
    wrong = []
    for step in k8s_in_action.DEMO.steps:
        if step.command not in run_steps:
            continue
        run_steps[step.command](step.args)
        feed(cluster.take_changes())
        for _ in range(40):
            feed(cluster.step())
            for obj in cluster.list("pod"):
                name = obj["metadata"]["name"]
                owner = cluster.get("replicaset", obj["metadata"]["ownerReferences"][0]["name"])
                due = pod_timeline_state(obj, cluster.now - cluster.tick, owner["spec"].get("minReadySeconds", 0))
                drawn = recorder.pods[name]["segments"][-1][1]
                if due == "Available" and drawn != due:  # at most one tick late
                    wrong.append((step.title, cluster.now, name, drawn))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    "annotations, owned, revision",
    [({}, False, None), ({"deployment.kubernetes.io/revision": "abc"}, False, None),
     ({"deployment.kubernetes.io/revision": "abc"}, True, None), ({"deployment.kubernetes.io/revision": "7"}, True, 7)],
    ids=["bare", "bare-with-abc", "owned-with-abc", "owned"],
)
def test_replicaset_revision_is_none_without_a_number(annotations, owned, revision):
    obj = rs()
    obj["metadata"]["annotations"] = annotations
    if not owned:
        del obj["metadata"]["ownerReferences"]
    recorder, _ = run([(1.0, [change("ReplicaSet", obj, "ADDED")], [])])
    entry = recorder.replicasets["web-abc"]
    assert (entry["revision"], entry["deployment"]) == (revision, "web" if owned else None)
