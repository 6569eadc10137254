"""Recreate (recreate.go): all old pods go first; the new ReplicaSet is created, at full
size, only once none of them is left."""
from __future__ import annotations

from simulator.controllers.deployment import progress
from simulator.controllers.deployment import rollout_math as rm
from simulator.controllers.deployment import sync as dc
from simulator.objects import Deployment, ReplicaSet
from simulator.store import Store


def rollout(store: Store, d: Deployment, rss: list[ReplicaSet]) -> None:
    """rolloutRecreate."""
    new_rs, old_rss = dc.new_and_old(store, d, rss, create=False)
    scaled = False
    for rs in old_rss:
        if rs.replicas > 0:
            scaled = dc.scale_replica_set(store, d, rs, 0) or scaled
    if scaled:
        progress.sync_rollout_status(store, d, new_rs, old_rss)
        return
    if _old_pods_running(store, new_rs, old_rss):
        progress.sync_rollout_status(store, d, new_rs, old_rss)
        return
    if new_rs is None:
        new_rs, old_rss = dc.new_and_old(store, d, rss, create=True)
    dc.scale_replica_set(store, d, new_rs, d.spec.get("replicas", 1))
    if rm.deployment_complete(d.spec.get("replicas", 1), d.generation, d.status):
        dc.cleanup_history(store, d, old_rss)
    progress.sync_rollout_status(store, d, new_rs, old_rss)


def _old_pods_running(store: Store, new_rs, old_rss) -> bool:
    """Old RSs still report pods, or any of their pods exists (terminating ones count)."""
    if sum(rs.status["replicas"] for rs in old_rss) > 0:
        return True
    return any(rs.pods for rs in old_rss)
