"""RollingUpdate (rolling.go): scale the new ReplicaSet up within maxSurge, then the old
ones down within maxUnavailable, one kind of step per sync."""
from __future__ import annotations

from simulator.controllers.deployment import conditions as cond
from simulator.controllers.deployment import explain, progress
from simulator.controllers.deployment import rollout_math as rm
from simulator.controllers.deployment import sync as dc
from simulator.objects import Deployment, ReplicaSet
from simulator.store import Store


def rollout(store: Store, d: Deployment, rss: list[ReplicaSet]) -> None:
    """rolloutRolling: new RS up, else old RSs down, else history cleanup once complete."""
    new_rs, old_rss = dc.new_and_old(store, d, rss, create=True)
    replicas, surge, unavailable, _ = dc.strategy_params(d)
    why = (_reconcile_new(store, d, new_rs, old_rss, replicas, surge, unavailable)
           or _reconcile_old(store, d, new_rs, old_rss, replicas, surge, unavailable))
    if why is None and rm.deployment_complete(replicas, d.generation, d.status):
        dc.cleanup_history(store, d, old_rss)
    progress.sync_rollout_status(store, d, new_rs, old_rss)
    store.explain(d, why or _waiting(store, d, new_rs, old_rss, replicas, surge, unavailable))


def _reconcile_new(store, d, new_rs, old_rss, replicas, surge, unavailable):
    """Scale the new RS toward replicas; its explanation if it moved."""
    if new_rs is None or new_rs.replicas == replicas:
        return None
    old = new_rs.replicas
    size = rm.reconcile_new_replica_set(replicas, surge, unavailable, old,
                                        [rs.replicas for rs in old_rss])
    if not dc.scale_replica_set(store, d, new_rs, size):
        return None
    if size < old:
        return explain.new_over_replicas(new_rs.name, old, size)
    room = rm.surge_room(replicas, surge, [rs.replicas for rs in old_rss] + [old])
    return explain.scaled_up(new_rs.name, old, size, room, replicas,
                             rm.max_surge(replicas, surge, unavailable))


def _reconcile_old(store, d, new_rs, old_rss, replicas, surge, unavailable):
    """Scale the old RSs down within maxUnavailable; its explanation if any moved."""
    active = [rs for rs in old_rss if rs.replicas > 0]
    if not active:
        return None
    new_view = dc.rs_view(new_rs) if new_rs else None
    views = [dc.rs_view(rs) for rs in active]
    sizes = rm.reconcile_old_replica_sets(replicas, surge, unavailable, new_view, views)
    before = sum(rs.replicas for rs in active)
    scaled = [rs.name for rs, size in zip(active, sizes) if size != rs.replicas]
    moved = False
    for rs, size in zip(active, sizes):
        if size != rs.replicas:
            moved = dc.scale_replica_set(store, d, rs, size) or moved
    if not moved:
        return None
    room = rm.scale_down_room(replicas, surge, unavailable, new_view, views)
    return explain.scaled_down(scaled, before, sum(sizes), room, replicas,
                               rm.max_unavailable(replicas, surge, unavailable))


def _waiting(store, d, new_rs, old_rss, replicas, surge, unavailable) -> explain.Explanation:
    """Why nothing moved this sync: done, past its deadline, or waiting on the new pods."""
    settled = explain.settled(d)
    if settled is not None:
        return settled
    new_view = dc.rs_view(new_rs) if new_rs else None
    views = [dc.rs_view(rs) for rs in old_rss]
    return explain.waiting(
        rm.scale_down_room(replicas, surge, unavailable, new_view, views),
        rm.surge_room(replicas, surge, [rs.replicas for rs in old_rss]
                      + ([new_rs.replicas] if new_rs else [])),
        rm.counted_available(new_view, views), sum(rs.replicas for rs in old_rss))
