"""The timeline recorder: folds each delta's change records into the snapshot's ``timeline``.

It keeps, per pod, the segments of its `pod_timeline_state` and marks for restarts and
failed probes; per ReplicaSet, its desired/ready/available series; per Deployment, its
replicas and resolved maxSurge/maxUnavailable (the chart's guides); and the markers
(ScalingReplicaSet events and user commands). Everything it needs is in the published
deltas, so `TimelineRecorder.rebuild` over the stored TickRecords gives back the same
timeline after a restart.

`record` also returns the *patch*: only what this delta added, in the snapshot's shape
(pods/replicasets/deployments; segments, marks and series hold only the new entries; a pod's
``rs``, ``node`` and ``deleted`` only when they changed), which the delta carries (as
`protocol.timeline_patch` rows) so a viewer can extend its timeline without re-deriving states.
"""
from __future__ import annotations

from typing import Iterable

from rolloutviz import compact, protocol
from simulator.controllers.deployment.revisions import revision_number
from simulator.controllers.deployment.rollout_math import max_surge, max_unavailable
from simulator.kubectl.printers import parse_time, pod_timeline_state

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
SCALING_REASON = "ScalingReplicaSet"
UNHEALTHY_REASON = "Unhealthy"


def _owner_name(obj: dict, kind: str) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == kind:
            return ref.get("name")
    return None


def _images(template_spec: dict) -> list[str]:
    return [c.get("image", "") for c in template_spec.get("containers") or []]


def _restart_count(pod: dict) -> int:
    return sum(s.get("restartCount", 0) for s in pod.get("status", {}).get("containerStatuses") or [])


def _restart_detail(pod: dict) -> str:
    """Which container restarted and why, from its lastState (kubelet's terminated reason)."""
    parts = []
    for status in pod.get("status", {}).get("containerStatuses") or []:
        terminated = (status.get("lastState") or {}).get("terminated") or {}
        if terminated:
            reason = terminated.get("reason", "")
            code = terminated.get("exitCode")
            parts.append(f"{status.get('name', '')}: {reason} (exit code {code})")
    return "; ".join(parts) or "container restarted"


def _revision(rs: dict) -> int | None:
    """The ReplicaSet's revision; None for a bare ReplicaSet (no Deployment numbers it) and
    for an annotation that is not a number, which Kubernetes skips too."""
    value = (rs.get("metadata", {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    return revision_number(value) or None


def _ready_since(pod: dict) -> float | None:
    """When the pod's Ready condition last changed (simulated seconds)."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return parse_time(condition.get("lastTransitionTime"))
    return None


def _rs_point(rs: dict) -> tuple[int, int, int]:
    status = rs.get("status") or {}
    return (
        int(rs.get("spec", {}).get("replicas", 0) or 0),
        int(status.get("readyReplicas", 0) or 0),
        int(status.get("availableReplicas", 0) or 0),
    )


def _deployment_point(deployment: dict) -> tuple[int, int, int, int]:
    """(replicas, resolved maxSurge, resolved maxUnavailable, availableReplicas): the chart's
    ceiling, floor and the total available it compares with the floor."""
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 0) or 0)
    strategy = spec.get("strategy") or {}
    kind = strategy.get("type", "RollingUpdate")
    rolling = strategy.get("rollingUpdate") or {}
    surge, unavailable = rolling.get("maxSurge"), rolling.get("maxUnavailable")
    return (
        replicas,
        max_surge(replicas, surge, unavailable, kind),
        max_unavailable(replicas, surge, unavailable, kind),
        int((deployment.get("status") or {}).get("availableReplicas", 0) or 0),
    )


def _traffic_point(t: float, counts: dict) -> list:
    """A traffic series point: [t, ok, failed, {answer: n}, {error: n}] of one step's requests."""
    return [t, counts["ok"], counts["failed"], dict(counts["answers"]), dict(counts["errors"])]


def _counts(point: list) -> dict:
    """The counts a traffic point was made of (to fold a stored point back in)."""
    return {"ok": point[1], "failed": point[2], "answers": point[3], "errors": point[4]}


class _Patch:
    """Collects what one delta adds to the timeline."""

    def __init__(self) -> None:
        self.pods: dict[str, dict] = {}
        self.replicasets: dict[str, dict] = {}
        self.deployments: dict[str, dict] = {}
        self.traffic: dict[str, dict] = {}

    def pod(self, name: str, facts: dict | None = None) -> dict:
        """The pod's patch, with ``facts`` (its changed ``rs``, ``node``, ``deleted``) noted."""
        patch = self.pods.setdefault(name, {"segments": [], "marks": []})
        if facts:
            patch.update(facts)
        return patch

    def as_dict(self) -> dict:
        patch = {"pods": self.pods, "replicasets": self.replicasets, "deployments": self.deployments}
        if self.traffic:
            patch["traffic"] = self.traffic
        return patch


class TimelineRecorder:
    """The timeline of one simulation, extended delta by delta."""

    def __init__(self) -> None:
        self.pods: dict[str, dict] = {}
        self.replicasets: dict[str, dict] = {}
        self.deployments: dict[str, dict] = {}
        # Service -> {"series": [[t, ok, failed, {answer: n}, {error: n}], ...]}: what its
        # client's requests got in each step that sent some (the traffic strip)
        self.traffic: dict[str, dict] = {}
        self.markers: list[dict] = []
        self._live_pods: dict[str, dict] = {}  # name -> last seen object, until DELETED
        self._pods_of_rs: dict[str, set[str]] = {}
        self._min_ready: dict[str, int] = {}  # ReplicaSet -> spec.minReadySeconds
        # Ready pods waiting out minReadySeconds -> when they may turn Available. Nothing
        # changes on a pod at that moment and its ReplicaSet's count may move at another
        # instant than the one the pod's state reads as Available, so each delta looks again.
        self._awaiting_available: dict[str, float] = {}

    @classmethod
    def rebuild(cls, payloads: Iterable[dict]) -> "TimelineRecorder":
        """Fold stored deltas (all of them, in seq order) back into a timeline; a reset starts afresh."""
        recorder, mirror = cls(), compact.Mirror()
        for payload in payloads:
            recorder = recorder.fold(payload, mirror)
        return recorder

    def fold(self, payload: dict, mirror: compact.Mirror) -> "TimelineRecorder":
        """Add one stored delta, read against ``mirror`` (what a viewer held before it, brought
        forward); returns the recorder to use next (a new one after a reset)."""
        recorder = TimelineRecorder() if payload.get("cause") == "reset" else self
        changes, events = protocol.payload_records(payload, mirror)
        recorder.record(
            t=payload["t"],
            changes=changes,
            events=events,
            command_markers=[m for m in payload.get("markers") or [] if m.get("kind") in ("command", "explanation")],
            traffic={service: _counts(point) for service, entry in ((payload.get("timeline") or {}).get("traffic") or {}).items()
                     for point in entry["series"]},
        )
        return recorder

    def record(
        self, *, t: float, changes: list[dict], events: list[dict], command_markers: Iterable[dict] = (),
        traffic: dict[str, dict] | None = None,
    ) -> tuple[list[dict], dict]:
        """Add one delta's changes and what each Service's client got in it (``traffic``: the
        step's Traffic records' counts by Service); returns (the delta's markers, the timeline patch)."""
        patch = _Patch()
        for service, counts in (traffic or {}).items():
            point = _traffic_point(t, counts)
            self.traffic.setdefault(service, {"series": []})["series"].append(point)
            patch.traffic[service] = {"series": [point]}
        touched_rs: set[str] = set()
        for change in changes:
            kind, obj = change.get("kind"), change.get("object") or {}
            name = change.get("name") or obj.get("metadata", {}).get("name", "")
            if kind == "Pod":
                self._record_pod(t, change["type"], name, obj, patch)
            elif kind == "ReplicaSet":
                self._record_replicaset(t, change["type"], name, obj, patch)
                touched_rs.add(name)
            elif kind == "Deployment":
                self._record_deployment(t, change["type"], name, obj, patch)
        # A ReplicaSet's availableReplicas moving is when its pods become Available.
        for rs in sorted(touched_rs):
            for pod in sorted(self._pods_of_rs.get(rs, ())):
                self._update_state(t, pod, patch)
        for pod in sorted(name for name, due in self._awaiting_available.items() if due <= t):
            self._update_state(t, pod, patch)
        markers = [dict(m) for m in command_markers]
        for event in events:
            markers.extend(self._record_event(t, event, patch))
        self.markers.extend(markers)
        return markers, patch.as_dict()

    def _record_pod(self, t: float, change_type: str, name: str, pod: dict, patch: _Patch) -> None:
        entry = self.pods.get(name)
        new = entry is None
        if new:
            entry = {"rs": None, "node": None, "segments": [], "marks": [], "deleted": None}
            self.pods[name] = entry
        rs = _owner_name(pod, "ReplicaSet")
        node = pod.get("spec", {}).get("nodeName") or entry["node"]
        # what a viewer's lane lacks: a new lane has no node and is not deleted until told
        facts = {key: value for key, value in (("rs", rs), ("node", node))
                 if entry[key] != value or (new and key == "rs")}
        entry["rs"], entry["node"] = rs, node
        previous = self._live_pods.get(name)
        if change_type == "DELETED":
            self._live_pods.pop(name, None)
            self._awaiting_available.pop(name, None)
            self._pods_of_rs.get(rs, set()).discard(name)
            entry["deleted"] = facts["deleted"] = float(t)
            patch.pod(name, facts)
            return
        if entry["deleted"] is not None:  # (a pod made again under a deleted one's name lives again)
            entry["deleted"] = facts["deleted"] = None
        self._live_pods[name] = pod
        if rs is not None:
            self._pods_of_rs.setdefault(rs, set()).add(name)
        if previous is not None and _restart_count(pod) > _restart_count(previous):
            mark = [float(t), "restart", _restart_detail(pod)]
            entry["marks"].append(mark)
            patch.pod(name)["marks"].append(mark)
        self._update_state(t, name, patch)
        if facts:
            patch.pod(name, facts)

    def _update_state(self, t: float, name: str, patch: _Patch) -> None:
        pod = self._live_pods.get(name)
        if pod is None:
            return
        entry = self.pods[name]
        min_ready = self._min_ready.get(entry["rs"], 0)
        state = pod_timeline_state(pod, t, min_ready)
        if state == "Ready" and min_ready > 0:
            since = _ready_since(pod)
            self._awaiting_available[name] = (t if since is None else since) + min_ready
        else:
            self._awaiting_available.pop(name, None)
        if entry["segments"] and entry["segments"][-1][1] == state:
            return
        segment = [float(t), state]
        entry["segments"].append(segment)
        patch.pod(name)["segments"].append(segment)

    def _record_replicaset(self, t: float, change_type: str, name: str, rs: dict, patch: _Patch) -> None:
        spec = rs.get("spec") or {}
        self._min_ready[name] = int(spec.get("minReadySeconds", 0) or 0)
        entry = self.replicasets.setdefault(name, {"series": []})
        entry.update(
            deployment=_owner_name(rs, "Deployment"),
            revision=_revision(rs),
            images=_images((spec.get("template") or {}).get("spec") or {}),
            hash=(rs.get("metadata", {}).get("labels") or {}).get("pod-template-hash", ""),
            deleted=float(t) if change_type == "DELETED" else None,
        )
        new_points = []
        point = [float(t), *_rs_point(rs)] if change_type != "DELETED" else [float(t), 0, 0, 0]
        if not entry["series"] or entry["series"][-1][1:] != point[1:]:
            entry["series"].append(point)
            new_points.append(point)
        patch.replicasets[name] = {**{k: v for k, v in entry.items() if k != "series"}, "series": new_points}

    def _record_deployment(self, t: float, change_type: str, name: str, deployment: dict, patch: _Patch) -> None:
        entry = self.deployments.setdefault(name, {"series": []})
        if change_type == "DELETED":
            return
        point = [float(t), *_deployment_point(deployment)]
        if entry["series"] and entry["series"][-1][1:] == point[1:]:
            return
        entry["series"].append(point)
        patch.deployments.setdefault(name, {"series": []})["series"].append(point)

    def _record_event(self, t: float, event: dict, patch: _Patch) -> list[dict]:
        reason = event.get("reason")
        involved = event.get("involvedObject") or {}
        if reason == SCALING_REASON:
            return [protocol.marker(t=t, label=SCALING_REASON, detail=event.get("message", ""), kind="event")]
        if reason == UNHEALTHY_REASON and involved.get("kind") == "Pod" and involved.get("name") in self.pods:
            name = involved["name"]
            mark = [float(t), "unhealthy", event.get("message", "")]
            self.pods[name]["marks"].append(mark)
            patch.pod(name)["marks"].append(mark)
        return []

    def as_dict(self) -> dict:
        """The snapshot's ``timeline`` (a deep-enough copy to serialise while ticks go on)."""
        return {
            "pods": {
                name: {**entry, "segments": list(entry["segments"]), "marks": list(entry["marks"])}
                for name, entry in self.pods.items()
            },
            "replicasets": {name: {**entry, "series": list(entry["series"])} for name, entry in self.replicasets.items()},
            "deployments": {name: {"series": list(entry["series"])} for name, entry in self.deployments.items()},
            "traffic": {name: {"series": list(entry["series"])} for name, entry in self.traffic.items()},
            "markers": list(self.markers),
        }
