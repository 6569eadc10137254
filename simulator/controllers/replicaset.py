"""The ReplicaSet controller: keeps each ReplicaSet's number of active pods at spec.replicas
(adopting orphan pods its selector matches) and writes its status from the live pod
counters."""
from __future__ import annotations

from simulator.api.selectors import label_selector_as_selector
from simulator.controllers import pod_ranking
from simulator.names import generated_name
from simulator.objects import Pod, ReplicaSet
from simulator.store import Store

COMPONENT = "replicaset-controller"
BURST_REPLICAS = 500  # at most this many creates per sync, like the real controller


def sync(store: Store, name: str) -> None:
    """Create or delete pods towards spec.replicas, then update status."""
    rs = store.replicasets.get(name)
    if rs is None or rs.deleting:
        return
    if store.orphans:
        claim_pods(store, rs)
    diff = rs.live_active - rs.replicas
    if diff < 0:
        for _ in range(min(-diff, BURST_REPLICAS)):
            _create_pod(store, rs)
        if -diff > BURST_REPLICAS:
            store.enqueue("replicaset", name)
    elif diff > 0:
        # The real controller deletes at most 500 per sync, re-ranking in between; all
        # of it happens within one instant here, so one ranking serves the whole diff.
        for pod in pod_deletion_victims(store, rs, diff):
            store.record_event("ReplicaSet", rs, "Normal", "SuccessfulDelete",
                               f"Deleted pod: {pod.name}", COMPONENT)
            store.delete_pod(pod)
    update_status(store, rs)


def claim_pods(store: Store, rs: ReplicaSet) -> None:
    """ClaimPods: adopt the orphan pods (not being deleted) the selector matches."""
    selector = label_selector_as_selector(rs.selector)
    for pod in [p for name, p in store.pods.items() if name in store.orphans]:
        if pod.deletion_time is None and selector.matches(pod.labels):
            store.adopt(rs, pod)


def _create_pod(store: Store, rs: ReplicaSet) -> Pod:
    name = generated_name(rs.name + "-", store.rng)
    while name in store.pods:
        name = generated_name(rs.name + "-", store.rng)
    meta = rs.template.get("metadata") or {}
    pod = Pod(name, store.new_uid(), store.time, rs.name, rs.uid, dict(meta.get("labels") or {}),
              dict(meta.get("annotations") or {}), rs.template["spec"])
    store.pods[name] = pod
    rs.pods[name] = None
    store.changed("Pod", pod, "ADDED")
    store.recount(pod)
    store.record_event("ReplicaSet", rs, "Normal", "SuccessfulCreate", f"Created pod: {name}",
                       COMPONENT)
    store.enqueue("scheduler", name)
    return pod


def pod_deletion_victims(store: Store, rs: ReplicaSet, count: int) -> list[Pod]:
    """The `count` active pods the controller deletes first (getPodsToDelete)."""
    pods = store.pods
    active = [pod for pod in map(pods.__getitem__, rs.pods) if pod.counted[0]]
    if count >= len(active):
        return active
    names = pod_ranking.pods_to_delete([_ranking_view(p) for p in active], count,
                                       now=store.time, per_node=_related_per_node(store, rs))
    return [pods[n] for n in names]


def _related_per_node(store: Store, rs: ReplicaSet) -> dict[str, int]:
    """Active pods of every ReplicaSet of the same owner per node, for spreading the
    survivors (counted straight from the pods, without a dict per pod)."""
    owners = [r for r in store.replicasets.values() if rs.owner and r.owner == rs.owner] or [rs]
    pods = store.pods
    return pod_ranking.pods_per_node(pod.node for r in owners
                                     for pod in map(pods.__getitem__, r.pods) if pod.counted[0])


def _ranking_view(pod: Pod) -> dict:
    restarts = 0
    for c in pod.containers:
        if c.restart_count > restarts:
            restarts = c.restart_count
    return {"name": pod.name, "node": pod.node, "phase": pod.phase, "ready": pod.ready,
            "ready_since": pod.ready_since if pod.ready else None, "restarts": restarts,
            "created": pod.created, "uid": pod.uid,
            "deletion_cost": pod.annotations.get("controller.kubernetes.io/pod-deletion-cost")}


def update_status(store: Store, rs: ReplicaSet) -> None:
    """Write status from the live counters; the owner re-syncs when it changed."""
    new = {"replicas": rs.live_active, "fully_labeled_replicas": rs.live_active,
           "ready_replicas": rs.live_ready, "available_replicas": rs.live_available,
           "observed_generation": rs.generation}
    if new != rs.status:
        rs.status = new
        store.changed("ReplicaSet", rs)
        if rs.owner:
            store.enqueue("deployment", rs.owner)
