"""What one recorded rollout measured: its duration, peak pods, minimum available, failed requests
and waves, as pure functions of a simulation's recorded ``timeline`` (contracts.md §2) and its
Deployment's conditions.

The rollout measured is a Deployment's latest: it starts at the last command that may change its
pod template (`rollout_start`), and ends when the Deployment's Progressing condition turned
NewReplicaSetAvailable (kubectl's "successfully rolled out"), or is still going on at ``now``. A comparison shows these figures side by side (`services.comparisons`);
the what-if panel predicts the same figures from the spec.
"""
from __future__ import annotations

from simulator.controllers.deployment.rollout_math import NEW_RS_AVAILABLE_REASON, deployment_complete
from simulator.kubectl.printers import parse_time

PROGRESSING = "Progressing"
GONE_STATE = "Terminating"  # a pod counts from its creation until it is terminating (an active pod)
# commands (timeline marker labels) that may change a pod template, i.e. start a rollout
TEMPLATE_COMMANDS = frozenset({"apply", "set_image", "rollout_undo", "rollout_restart", "create", "replace", "patch"})
TEMPLATE_KUBECTL = ("kubectl apply", "kubectl set image", "kubectl rollout undo", "kubectl rollout restart",
                    "kubectl patch", "kubectl replace", "kubectl edit", "kubectl create")


def _changes_template(marker: dict) -> bool:
    label = marker.get("label", "")
    return label in TEMPLATE_COMMANDS or label.startswith(TEMPLATE_KUBECTL)


def rollout_start(timeline: dict, deployment: str) -> tuple[float, str] | None:
    """(start time, newest ReplicaSet) of the Deployment's latest rollout; None before it has one.

    The start is the later of: the last command that may change a pod template (a Recreate
    makes its new ReplicaSet only once the old pods are gone), and the last command before the
    newest ReplicaSet (highest revision) was last scaled up from zero (any other writer)."""
    owned = [(rs.get("revision") or 0, name, rs) for name, rs in timeline.get("replicasets", {}).items()
             if rs.get("deployment") == deployment]
    if not owned:
        return None
    _, name, newest = max(owned, key=lambda entry: (entry[0], entry[1]))
    rose = None
    previous = 0
    for t, desired, *_ in newest.get("series") or []:
        if desired > 0 and previous == 0:
            rose = t
        previous = desired
    commands = [m for m in timeline.get("markers") or [] if m.get("kind") == "command"]
    starts = [m["t"] for m in commands if _changes_template(m)]
    if rose is not None:
        before = [m["t"] for m in commands if m["t"] <= rose]
        starts.append(max(before) if before else rose)
    return (max(starts), name) if starts else None


def _complete(deployment_object: dict) -> bool:
    """DeploymentComplete on the object as the API shows it (`rollout_math.deployment_complete`)."""
    status = deployment_object.get("status") or {}
    replicas = (deployment_object.get("spec") or {}).get("replicas", 1)
    generation = (deployment_object.get("metadata") or {}).get("generation", 0)
    return deployment_complete(replicas, generation, {
        "updated_replicas": status.get("updatedReplicas", 0), "replicas": status.get("replicas", 0),
        "available_replicas": status.get("availableReplicas", 0),
        "observed_generation": status.get("observedGeneration", 0)})


def completed_at(deployment_object: dict, start: float) -> float | None:
    """When the Deployment's rollout that began at ``start`` completed (its Progressing condition's
    NewReplicaSetAvailable, whole seconds as the API server stores times), or None while it runs.

    A command that changed nothing (the Deployment complete, its condition older) completed at once."""
    for condition in (deployment_object.get("status") or {}).get("conditions") or []:
        if condition.get("type") == PROGRESSING and condition.get("reason") == NEW_RS_AVAILABLE_REASON:
            at = parse_time(condition.get("lastUpdateTime"))
            if at is not None and at >= int(start):
                return at
            return start if _complete(deployment_object) else None
    return None


def peak_pods(timeline: dict, deployment: str, start: float, end: float) -> int:
    """The most active pods (created, not yet terminating) of the Deployment at any instant in [start, end]."""
    owned = {name for name, rs in timeline.get("replicasets", {}).items() if rs.get("deployment") == deployment}
    changes = []  # (t, +1/-1): a pod's start, its end; ends first at one instant (one step did both)
    for lane in timeline.get("pods", {}).values():
        segments = lane.get("segments") or []
        if lane.get("rs") not in owned or not segments:
            continue
        gone = next((t for t, state in segments if state == GONE_STATE), lane.get("deleted"))
        if lane.get("deleted") is not None:
            gone = min(gone, lane["deleted"])
        born = segments[0][0]
        if gone is not None and gone <= born:
            continue
        changes.append((born, 1))
        if gone is not None:
            changes.append((gone, -1))
    changes.sort()
    count, peak, i = 0, 0, 0
    while i < len(changes):
        t = changes[i][0]
        while i < len(changes) and changes[i][0] == t:
            count += changes[i][1]
            i += 1
        if t > end:
            break
        if t >= start or i == len(changes) or changes[i][0] > start:
            peak = max(peak, count)
    return peak


def min_available(timeline: dict, deployment: str, start: float, end: float) -> int | None:
    """The Deployment's lowest ``status.availableReplicas`` in [start, end] (None without a record)."""
    series = (timeline.get("deployments", {}).get(deployment) or {}).get("series") or []
    before = [point for point in series if point[0] <= start]
    values = ([before[-1][4]] if before else []) + [point[4] for point in series if start < point[0] <= end]
    return min(values) if values else None


def waves(timeline: dict, replicaset: str, start: float, end: float) -> int:
    """How many times the ReplicaSet was scaled up (its creation with replicas included) in [start, end]:
    the rollout's steps up."""
    series = (timeline.get("replicasets", {}).get(replicaset) or {}).get("series") or []
    count, previous = 0, 0
    for t, desired, *_ in series:
        if desired > previous and start <= t <= end:
            count += 1
        previous = desired
    return count


def requests(timeline: dict, start: float, end: float) -> tuple[int, int]:
    """(answered, failed) requests of every Service's client in the steps after ``start`` up to ``end``."""
    ok = failed = 0
    for entry in timeline.get("traffic", {}).values():
        for t, answered, lost, *_ in entry.get("series") or []:
            if start < t <= end:
                ok, failed = ok + answered, failed + lost
    return ok, failed


def summary(timeline: dict, deployment: str, deployment_object: dict | None, now: float) -> dict:
    """Every figure of the Deployment's latest rollout, for a comparison's table.

    ``{"deployment", "start", "end", "done", "duration", "peak_pods", "min_available",
    "requests", "failed_requests", "waves"}``; before any rollout only ``deployment`` and
    ``done`` (False) and Nones. ``duration`` runs to ``now`` while the rollout goes on.
    """
    found = rollout_start(timeline, deployment)
    if found is None:
        return {"deployment": deployment, "start": None, "end": None, "done": False, "duration": None,
                "peak_pods": None, "min_available": None, "requests": None, "failed_requests": None, "waves": None}
    start, newest = found
    end = completed_at(deployment_object or {}, start)
    until = end if end is not None else now
    ok, failed = requests(timeline, start, until)
    return {
        "deployment": deployment, "start": start, "end": end, "done": end is not None,
        "duration": until - start, "peak_pods": peak_pods(timeline, deployment, start, until),
        "min_available": min_available(timeline, deployment, start, until),
        "requests": ok + failed, "failed_requests": failed, "waves": waves(timeline, newest, start, until),
    }
