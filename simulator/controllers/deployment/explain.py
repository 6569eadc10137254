"""Why the Deployment controller did what it did, in one sentence with its numbers.

The controller builds an Explanation at each decision from the very numbers it decided
by (rollout_math's SurgeRoom and ScaleDownRoom, the resolved surge and floor), so a
sentence can never disagree with what happened; none is parsed from event text. The
store records one whenever a Deployment's explanation changes (Store.explain).
"""
from __future__ import annotations

from typing import NamedTuple

from simulator.controllers.deployment import conditions as cond
from simulator.controllers.deployment import rollout_math as rm
from simulator.kubelet import probes

# reasons, CamelCase as Kubernetes writes its own
SCALED_UP = "ScaledUpNew"
NEW_SCALED_DOWN = "ScaledDownNew"
SCALED_DOWN = "ScaledDownOld"
WAITING = "WaitingForNewPods"
STALLED = "RolloutStalled"
COMPLETE = "RolloutComplete"
PAUSED = "Paused"
SCALING = "ScalingProportionally"
DEADLINE = rm.TIMED_OUT_REASON
RECREATE_SCALED_DOWN = "RecreateScaledDownOld"
RECREATE_WAITING = "RecreateWaitingForOldPods"
RECREATE_SCALED_UP = "RecreateScaledUpNew"

# why a new pod is not available yet; the first five stall a rollout until something changes
UNSCHEDULABLE = "unschedulable"
IMAGE_PULL_FAILING = "image pull failing"
CRASHING = "crashing"
READINESS_FAILING = "readiness probe failing"
NODE_NOT_READY = "node not ready"
CREATING = "being created"
STARTING = "starting"
NOT_READY_YET = "not ready yet"
MIN_READY = "waiting for minReadySeconds"
_STALLING = (UNSCHEDULABLE, IMAGE_PULL_FAILING, CRASHING, READINESS_FAILING, NODE_NOT_READY)


class Explanation(NamedTuple):
    """One controller decision: a reason, the sentence, and the numbers in it."""
    reason: str
    message: str
    numbers: dict

    def as_record(self) -> dict:
        """The record's object part (without metadata)."""
        return {"reason": self.reason, "message": self.message, "numbers": dict(self.numbers)}


def _pods(n: int, what: str = "pod") -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def scaled_up(rs_name: str, old: int, new: int, room: rm.SurgeRoom, replicas: int,
              surge: int) -> Explanation:
    """The new ReplicaSet grew within replicas + maxSurge."""
    return Explanation(SCALED_UP, (
        f"new ReplicaSet {rs_name} scaled up from {old} to {new}: "
        f"{room.pods + new - old} pods of at most {room.max_pods} "
        f"({replicas} replicas + maxSurge {surge})"),
        {"from": old, "to": new, "pods": room.pods + new - old, "max_pods": room.max_pods,
         "replicas": replicas, "max_surge": surge})


def new_over_replicas(rs_name: str, old: int, replicas: int) -> Explanation:
    """The new ReplicaSet held more than replicas (replicas was lowered): down at once."""
    return Explanation(NEW_SCALED_DOWN, (
        f"new ReplicaSet {rs_name} scaled down from {old} to {replicas}: it held more than the "
        f"{replicas} replicas wanted"), {"from": old, "to": replicas})


def scaled_down(rs_names: list[str], old: int, new: int, room: rm.ScaleDownRoom,
                replicas: int, unavailable: int) -> Explanation:
    """Old ReplicaSets shrank as far as minAvailable and the new pods' state allowed."""
    names = ", ".join(rs_names)
    subject = f"old ReplicaSet {names}" if len(rs_names) == 1 else f"old ReplicaSets {names}"
    return Explanation(SCALED_DOWN, (
        f"{subject} scaled down from {old} to {new}: {room.pods - room.new_unavailable} "
        f"available, minimum {room.min_available} ({replicas} replicas − maxUnavailable "
        f"{unavailable}), {_pods(room.new_unavailable, 'new pod')} unavailable"),
        {"from": old, "to": new, "available": room.pods - room.new_unavailable,
         "min_available": room.min_available, "new_unavailable": room.new_unavailable,
         "replicas": replicas, "max_unavailable": unavailable})


def waiting(room: rm.ScaleDownRoom, surge: rm.SurgeRoom, available: int,
            old_pods: int) -> Explanation:
    """Neither side may move: the new pods must become available first.

    ``available`` is what the scale-down counts (rollout_math.counted_available),
    ``old_pods`` the old ReplicaSets' replicas. Why the new pods are not available changes
    without the controller looking again: diagnose() says it when asked."""
    counted = min(room.pods - room.new_unavailable, available)
    if old_pods:
        message = (f"old ReplicaSet not scaled down: {counted} available, minimum "
                   f"{room.min_available}, {_pods(room.new_unavailable, 'new pod')} unavailable")
        if surge.pods >= surge.max_pods:
            message += f"; no room to surge ({surge.pods} pods of at most {surge.max_pods})"
    else:
        message = (f"waiting for the new ReplicaSet: {counted} of {room.pods} pods available, "
                   f"{_pods(room.new_unavailable, 'new pod')} unavailable")
    return Explanation(WAITING, message, {
        "available": counted, "min_available": room.min_available,
        "new_unavailable": room.new_unavailable, "old_pods": old_pods, "pods": surge.pods,
        "max_pods": surge.max_pods})


def complete(updated: int, replicas: int) -> Explanation:
    """Every replica is updated and available: nothing left to do."""
    return Explanation(COMPLETE, f"rollout complete: {updated} of {replicas} updated replicas "
                                 f"available", {"updated": updated, "replicas": replicas})


def paused(replicas: int) -> Explanation:
    """A paused Deployment only scales; template changes wait for resume."""
    return Explanation(PAUSED, f"Deployment paused: template changes wait for "
                               f"`kubectl rollout resume`; scaling to {replicas} still applies",
                       {"replicas": replicas})


def deadline_exceeded(seconds: int) -> Explanation:
    """The Progressing condition turned False; the controller only reports it."""
    return Explanation(DEADLINE, (
        f"ProgressDeadlineExceeded: no progress for {seconds} s — Kubernetes does not roll "
        f"back by itself (`kubectl rollout undo` does)"), {"progress_deadline_seconds": seconds})


def recreate_scaled_down(rs_names: list[str]) -> Explanation:
    """Recreate removes every old pod before the new ReplicaSet gets any."""
    return Explanation(RECREATE_SCALED_DOWN,
                       f"Recreate: old ReplicaSet {', '.join(rs_names)} scaled down to 0 first",
                       {"replica_sets": list(rs_names)})


def recreate_waiting(old_pods: int) -> Explanation:
    """Recreate creates the new ReplicaSet only once no old pod exists."""
    return Explanation(RECREATE_WAITING, (
        f"Recreate: new ReplicaSet waits until {_pods(old_pods, 'old pod')} "
        f"{'has' if old_pods == 1 else 'have'} terminated (no pods serve meanwhile)"),
        {"old_pods": old_pods})


def recreate_scaled_up(rs_name: str, replicas: int) -> Explanation:
    """Recreate's new ReplicaSet gets every replica at once."""
    return Explanation(RECREATE_SCALED_UP, f"Recreate: new ReplicaSet {rs_name} scaled to "
                                           f"{replicas} at once", {"to": replicas})


def settled(d) -> Explanation | None:
    """Past its progress deadline or complete: what a Deployment that no longer moves
    says (None while it is still rolling)."""
    progressing = cond.get_condition(d.status.get("conditions"), cond.PROGRESSING)
    if progressing is not None and progressing.get("reason") == rm.TIMED_OUT_REASON:
        return deadline_exceeded(d.spec.get("progressDeadlineSeconds"))
    replicas = d.spec.get("replicas", 1)
    if rm.deployment_complete(replicas, d.generation, d.status):
        return complete(d.status["updated_replicas"], replicas)
    return None


def recreate_starting(new_pods: int) -> Explanation:
    """Recreate's new pods are not all available yet (nothing serves meanwhile)."""
    return Explanation(WAITING, f"Recreate: waiting for {_pods(new_pods, 'new pod')} to become "
                                f"available (nothing serves meanwhile)", {"new_pods": new_pods})


def diagnose(causes: dict[str, int]) -> dict | None:
    """Why the new pods are not available now ({cause: pods} from pod_causes), as a
    ``{"reason", "message", "causes"}`` note: "rollout stalled: …" when a cause needs a
    change to clear (a failing probe, a pull or crash loop, no node); None if none."""
    if not causes:
        return None
    stalling = [f"{cause} on {_pods(n, 'new pod')}" for cause, n in causes.items()
                if cause in _STALLING]
    if stalling:
        return {"reason": STALLED, "message": "rollout stalled: " + ", ".join(stalling),
                "causes": dict(causes)}
    return {"reason": WAITING, "causes": dict(causes),
            "message": "new pods: " + ", ".join(f"{n} {cause}" for cause, n in causes.items())}


def scaling(replicas: int, total: int) -> Explanation:
    """A replicas change mid-rollout: every ReplicaSet takes its share."""
    return Explanation(SCALING, (
        f"scaled to {replicas} replicas: the ReplicaSets share {total} pods in proportion "
        f"to their sizes (replicas + maxSurge)"), {"replicas": replicas, "total": total})


def pod_cause(pod, now: int) -> str | None:
    """Why one pod is not available yet at `now` (None if it is, or is going away)."""
    if pod.deletion_time is not None or pod.available:
        return None
    if pod.not_ready_by_node:
        return NODE_NOT_READY
    if pod.node is None:
        # the scheduler binds a pod in the instant it is created, if any node fits
        return UNSCHEDULABLE if pod.created < now else STARTING
    if pod.ready:
        return MIN_READY
    for container in pod.containers:
        if container.state == "waiting" and container.reason in ("ErrImagePull", "ImagePullBackOff",
                                                                 "InvalidImageName"):
            return IMAGE_PULL_FAILING
        if container.reason == "CrashLoopBackOff" or container.restart_count > 0 \
                and container.state != "running":
            return CRASHING
    for container in pod.containers:
        if container.state != "running":
            return STARTING
        worker = container.probes.get("readiness")
        if worker is not None and worker.last_result == probes.FAILURE:
            return READINESS_FAILING
    return NOT_READY_YET


def pod_causes(pods, replicas: int, now: int) -> dict[str, int]:
    """{cause: pods} over a ReplicaSet's `pods` (of `replicas` wanted), in the order causes
    are first met; pods its controller has yet to create count as being created."""
    causes: dict[str, int] = {}
    missing = replicas - sum(1 for pod in pods if pod.deletion_time is None)
    if missing > 0:
        causes[CREATING] = missing
    for pod in pods:
        cause = pod_cause(pod, now)
        if cause is not None:
            causes[cause] = causes.get(cause, 0) + 1
    return causes
