"""RollingUpdate (rolling.go): scale the new ReplicaSet up within maxSurge, then the old
ones down within maxUnavailable, one kind of step per sync."""
from __future__ import annotations

from simulator.controllers.deployment import progress
from simulator.controllers.deployment import rollout_math as rm
from simulator.controllers.deployment import sync as dc
from simulator.objects import Deployment, ReplicaSet
from simulator.store import Store


def rollout(store: Store, d: Deployment, rss: list[ReplicaSet]) -> None:
    """rolloutRolling: new RS up, else old RSs down, else history cleanup once complete."""
    new_rs, old_rss = dc.new_and_old(store, d, rss, create=True)
    replicas, surge, unavailable, _ = dc.strategy_params(d)
    if _reconcile_new(store, d, new_rs, old_rss, replicas, surge, unavailable):
        progress.sync_rollout_status(store, d, new_rs, old_rss)
        return
    if _reconcile_old(store, d, new_rs, old_rss, replicas, surge, unavailable):
        progress.sync_rollout_status(store, d, new_rs, old_rss)
        return
    if rm.deployment_complete(replicas, d.generation, d.status):
        dc.cleanup_history(store, d, old_rss)
    progress.sync_rollout_status(store, d, new_rs, old_rss)


def _reconcile_new(store, d, new_rs, old_rss, replicas, surge, unavailable) -> bool:
    if new_rs is None or new_rs.replicas == replicas:
        return False
    size = rm.reconcile_new_replica_set(replicas, surge, unavailable, new_rs.replicas,
                                        [rs.replicas for rs in old_rss])
    return dc.scale_replica_set(store, d, new_rs, size)


def _reconcile_old(store, d, new_rs, old_rss, replicas, surge, unavailable) -> bool:
    active = [rs for rs in old_rss if rs.replicas > 0]
    if not active:
        return False
    sizes = rm.reconcile_old_replica_sets(replicas, surge, unavailable,
                                          dc.rs_view(new_rs) if new_rs else None,
                                          [dc.rs_view(rs) for rs in active])
    scaled = False
    for rs, size in zip(active, sizes):
        if size != rs.replicas:
            scaled = dc.scale_replica_set(store, d, rs, size) or scaled
    return scaled
