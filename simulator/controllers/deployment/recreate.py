"""Recreate (recreate.go): all old pods go first; the new ReplicaSet is created, at full
size, only once none of them is left."""
from __future__ import annotations

from simulator.controllers.deployment import explain, progress
from simulator.controllers.deployment import rollout_math as rm
from simulator.controllers.deployment import sync as dc
from simulator.objects import Deployment, ReplicaSet
from simulator.store import Store


def rollout(store: Store, d: Deployment, rss: list[ReplicaSet]) -> None:
    """rolloutRecreate."""
    new_rs, old_rss = dc.new_and_old(store, d, rss, create=False)
    scaled = [rs.name for rs in old_rss if rs.replicas > 0 and dc.scale_replica_set(store, d, rs, 0)]
    if scaled:
        progress.sync_rollout_status(store, d, new_rs, old_rss)
        store.explain(d, explain.recreate_scaled_down(scaled))
        return
    old_pods = _old_pods_running(store, new_rs, old_rss)
    if old_pods:
        progress.sync_rollout_status(store, d, new_rs, old_rss)
        store.explain(d, explain.recreate_waiting(old_pods))
        return
    if new_rs is None:
        new_rs, old_rss = dc.new_and_old(store, d, rss, create=True)
    replicas = d.spec.get("replicas", 1)
    why = explain.recreate_scaled_up(new_rs.name, replicas) \
        if dc.scale_replica_set(store, d, new_rs, replicas) else None
    if rm.deployment_complete(replicas, d.generation, d.status):
        dc.cleanup_history(store, d, old_rss)
    progress.sync_rollout_status(store, d, new_rs, old_rss)
    store.explain(d, why or explain.settled(d) or explain.recreate_starting(new_rs.replicas))


def _old_pods_running(store: Store, new_rs, old_rss) -> int:
    """How many old pods still count (oldPodsRunning is true while any does): the old RSs'
    reported pods, else every pod object they own (terminating ones count)."""
    reported = sum(rs.status["replicas"] for rs in old_rss)
    return reported or sum(len(rs.pods) for rs in old_rss)

