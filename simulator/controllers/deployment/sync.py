"""The Deployment controller's sync loop (deployment_controller.go + sync.go): finds the new
and old ReplicaSets, keeps revisions and annotations, handles scaling events and paused
Deployments, and hands rollouts to the rolling or recreate strategy."""
from __future__ import annotations

import copy

from simulator.controllers import garbage_collector
from simulator.controllers.deployment import conditions as cond
from simulator.controllers.deployment import explain, progress, revisions
from simulator.api.selectors import label_selector_as_selector
from simulator.controllers.deployment import rollout_math as rm
from simulator.names import (
    POD_TEMPLATE_HASH_LABEL,
    pod_template_hash,
    replica_set_name,
    templates_equal_ignoring_hash,
)
from simulator.objects import Deployment, ReplicaSet
from simulator.store import Store

COMPONENT = "deployment-controller"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
# annotations the controller never copies from the Deployment onto its ReplicaSets
ANNOTATIONS_TO_SKIP = frozenset({
    LAST_APPLIED_ANNOTATION, revisions.REVISION_ANNOTATION, revisions.REVISION_HISTORY_ANNOTATION,
    rm.DESIRED_REPLICAS_ANNOTATION, rm.MAX_REPLICAS_ANNOTATION,
    "deprecated.deployment.rollback.to",
})


# --- plain views for rollout_math --------------------------------------------------------
def strategy_params(d: Deployment) -> tuple[int, object, object, str]:
    """(replicas, maxSurge, maxUnavailable, strategy type) of a Deployment."""
    strategy = d.spec.get("strategy") or {}
    rolling = strategy.get("rollingUpdate") or {}
    return (d.spec.get("replicas", 1), rolling.get("maxSurge"), rolling.get("maxUnavailable"),
            strategy.get("type", rm.ROLLING_UPDATE))


def rs_view(rs: ReplicaSet) -> dict:
    """A ReplicaSet as rollout_math reads it."""
    return {"name": rs.name, "replicas": rs.replicas,
            "available": rs.status["available_replicas"], "created": rs.created,
            "desired_replicas": rs.annotations.get(rm.DESIRED_REPLICAS_ANNOTATION),
            "max_replicas": rs.annotations.get(rm.MAX_REPLICAS_ANNOTATION),
            "status_replicas": rs.status["replicas"],
            "revision": revisions.revision_number(rs.annotations.get(revisions.REVISION_ANNOTATION)),
            "deleting": rs.deleting, "generation": rs.generation,
            "observed_generation": rs.status["observed_generation"]}


def owned_replica_sets(store: Store, d: Deployment) -> list[ReplicaSet]:
    """The Deployment's ReplicaSets, oldest first (ties by name)."""
    owned = [rs for rs in store.replicasets.values()
             if rs.owner == d.name and rs.owner_uid == d.uid and not rs.deleting]
    owned.sort(key=lambda rs: (rs.created, rs.name))
    return owned


def claim_replica_sets(store: Store, d: Deployment) -> None:
    """ClaimReplicaSets: adopt the ReplicaSets no controller owns that the Deployment's
    selector matches, and release owned ones whose labels it no longer matches."""
    selector = None
    for rs in store.replicasets.values():
        owned = rs.owner == d.name and rs.owner_uid == d.uid
        if rs.deleting or not owned and rs.owner is not None:
            continue
        if selector is None:
            selector = label_selector_as_selector(d.spec["selector"])
        if owned != selector.matches(rs.labels):
            rs.owner, rs.owner_uid = (None, None) if owned else (d.name, d.uid)
            store.changed("ReplicaSet", rs)
            store.enqueue("replicaset", rs.name)


def find_new_replica_set(d: Deployment, rss: list[ReplicaSet]) -> ReplicaSet | None:
    """The oldest ReplicaSet whose template equals the Deployment's, hash label ignored."""
    template = d.spec["template"]
    for rs in rss:
        if templates_equal_ignoring_hash(rs.template, template):
            return rs
    return None


# --- the sync ---------------------------------------------------------------------------
def sync(store: Store, name: str) -> None:
    """One syncDeployment for `name`."""
    d = store.deployments.get(name)
    if d is None:
        return
    claim_replica_sets(store, d)
    rss = owned_replica_sets(store, d)
    progress.check_paused_condition(store, d)
    if d.spec.get("paused") or rm.is_scaling_event(d.spec.get("replicas", 1),
                                                    [rs_view(rs) for rs in rss]):
        sync_scaling(store, d, rss)
        return
    from simulator.controllers.deployment import recreate, rolling  # the strategies build on this module
    if strategy_params(d)[3] == rm.RECREATE:
        recreate.rollout(store, d, rss)
    else:
        rolling.rollout(store, d, rss)


def sync_scaling(store: Store, d: Deployment, rss: list[ReplicaSet]) -> None:
    """The `sync` path: scaling events and paused Deployments (no new ReplicaSet, no
    Progressing update)."""
    new_rs, old_rss = new_and_old(store, d, rss, create=False)
    scale(store, d, new_rs, old_rss)
    replicas, surge, unavailable, strategy = strategy_params(d)
    if d.spec.get("paused"):
        cleanup_history(store, d, old_rss)
        why = explain.paused(replicas)
    else:
        why = explain.scaling(replicas, replicas + rm.max_surge(replicas, surge, unavailable, strategy))
    update_status(store, d, new_rs, old_rss)
    store.explain(d, why)


def new_and_old(store: Store, d: Deployment, rss: list[ReplicaSet],
                create: bool) -> tuple[ReplicaSet | None, list[ReplicaSet]]:
    """getAllReplicaSetsAndSyncRevision: the new RS (synced or created) and the old ones."""
    new_rs = find_new_replica_set(d, rss)
    old_rss = [rs for rs in rss if rs is not new_rs]
    new_revision = revisions.max_revision(
        [rs.annotations.get(revisions.REVISION_ANNOTATION) for rs in old_rss]) + 1
    if new_rs is not None:
        _sync_existing_new_rs(store, d, new_rs, new_revision)
    elif create:
        new_rs = _create_new_rs(store, d, old_rss, new_revision)
    return new_rs, old_rss


def _sync_existing_new_rs(store: Store, d: Deployment, rs: ReplicaSet, new_revision: int) -> None:
    changed = set_new_rs_annotations(d, rs, new_revision, exists=True)
    min_ready = d.spec.get("minReadySeconds", 0)
    if changed or rs.min_ready_seconds != min_ready:
        if rs.min_ready_seconds != min_ready:
            rs.min_ready_seconds = min_ready
            rs.generation += 1
        write_replica_set(store, rs)
        return
    updated = _set_deployment_revision(d, rs.annotations.get(revisions.REVISION_ANNOTATION))
    if rm.has_progress_deadline(d.spec.get("progressDeadlineSeconds")) and \
            cond.get_condition(d.status.get("conditions"), cond.PROGRESSING) is None:
        progress.set_progressing(store, d, cond.FOUND_NEW_RS_REASON,
                                 cond.found_new_rs_message(rs.name))
        updated = True
    if updated:
        store.changed("Deployment", d)


def set_new_rs_annotations(d: Deployment, rs: ReplicaSet, new_revision: int, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the revision
    (keeping the old number in revision-history), and on creation the replica annotations.

    A revision it cannot parse ("abc") makes Kubernetes give up: nothing is written (an
    empty one counts as 0)."""
    old = rs.annotations.get(revisions.REVISION_ANNOTATION)
    old_number = 0 if old == "" else revisions.revision_number(old)
    if old_number is None:
        return False
    changed = False
    for key, value in d.annotations.items():
        if key not in ANNOTATIONS_TO_SKIP and rs.annotations.get(key) != value:
            rs.annotations[key] = value
            changed = True
    if old_number < new_revision:
        rs.annotations[revisions.REVISION_ANNOTATION] = str(new_revision)
        changed = True
        if old is not None:  # a re-used RS (rollback): remember its earlier number
            history = revisions.append_revision_history(
                rs.annotations.get(revisions.REVISION_HISTORY_ANNOTATION), old)
            if history is not None:
                rs.annotations[revisions.REVISION_HISTORY_ANNOTATION] = history
    if not exists:
        replicas, surge, unavailable, strategy = strategy_params(d)
        rs.annotations.update(rm.replicas_annotations(replicas, surge, unavailable, strategy))
        changed = True
    return changed


def _set_deployment_revision(d: Deployment, revision: str | None) -> bool:
    if revision is None or d.annotations.get(revisions.REVISION_ANNOTATION) == revision:
        return False
    d.annotations[revisions.REVISION_ANNOTATION] = revision
    return True


def _create_new_rs(store: Store, d: Deployment, old_rss: list[ReplicaSet],
                   new_revision: int) -> ReplicaSet:
    collision = d.status.get("collision_count")
    while True:
        template_hash = pod_template_hash(d.spec["template"], collision)
        name = replica_set_name(d.name, template_hash)
        if name not in store.replicasets:
            break
        # a ReplicaSet of that name with another template: bump collisionCount, as Kubernetes does
        collision = (collision or 0) + 1
        d.status["collision_count"] = collision
    template = copy.deepcopy(d.spec["template"])
    template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH_LABEL] = template_hash
    selector = copy.deepcopy(d.spec["selector"])
    selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH_LABEL] = template_hash
    replicas, surge, unavailable, strategy = strategy_params(d)
    sizes = [rs.replicas for rs in old_rss] + [0]
    size = rm.new_rs_new_replicas(replicas, surge, unavailable, 0, sizes, strategy)
    rs = ReplicaSet(name, store.new_uid(), store.time, dict(template["metadata"]["labels"]), {},
                    d.name, d.uid, size, d.spec.get("minReadySeconds", 0), selector, template)
    set_new_rs_annotations(d, rs, new_revision, exists=False)
    store.replicasets[name] = rs
    store.changed("ReplicaSet", rs, "ADDED")
    store.enqueue("replicaset", name)
    if size > 0:
        store.record_event("Deployment", d, "Normal", cond.SCALING_REPLICA_SET_EVENT,
                           cond.scaling_replica_set_message(name, 0, size), COMPONENT)
        store.explain(d, explain.recreate_scaled_up(name, size) if strategy == rm.RECREATE else
                      explain.scaled_up(name, 0, size, rm.surge_room(replicas, surge, sizes),
                                        replicas, rm.max_surge(replicas, surge, unavailable)))
    _set_deployment_revision(d, str(new_revision))
    if rm.has_progress_deadline(d.spec.get("progressDeadlineSeconds")):
        progress.set_progressing(store, d, cond.NEW_REPLICA_SET_REASON,
                                 cond.created_new_rs_message(name))
    store.changed("Deployment", d)
    return rs


# --- scaling ----------------------------------------------------------------------------
def scale(store: Store, d: Deployment, new_rs: ReplicaSet | None, old_rss: list[ReplicaSet]) -> None:
    """The controller's scale(): one active RS takes all, a saturated new RS empties the old
    ones, otherwise RollingUpdate spreads replicas + maxSurge proportionally."""
    replicas, surge, unavailable, strategy = strategy_params(d)
    writes, proportional = rm.scale_targets(
        replicas, surge, unavailable, rs_view(new_rs) if new_rs else None,
        [rs_view(rs) for rs in old_rss], strategy=strategy,
        status_replicas=d.status["replicas"])
    if not writes:
        return
    by_name = {rs.name: rs for rs in [*old_rss, new_rs] if rs is not None}
    direction = None
    if proportional:
        before = sum(by_name[n].replicas for n, _ in writes)
        after = sum(size for _, size in writes)
        direction = "up" if after > before else "down"
    for name, size in writes:
        scale_replica_set(store, d, by_name[name], size, direction, refresh_annotations=True)


def scale_replica_set(store: Store, d: Deployment, rs: ReplicaSet, size: int,
                      direction: str | None = None, refresh_annotations: bool = False) -> bool:
    """Write an RS's size (and refreshed desired/max annotations); True if the size changed.

    ScalingReplicaSet reads "Scaled up replica set X from A to B" (v1.31+ wording)."""
    old = rs.replicas
    if old == size and not refresh_annotations:
        return False
    replicas, surge, unavailable, strategy = strategy_params(d)
    wanted = rm.replicas_annotations(replicas, surge, unavailable, strategy)
    annotations_changed = any(rs.annotations.get(k) != v for k, v in wanted.items())
    if old == size and not annotations_changed:
        return False
    rs.annotations.update(wanted)
    if old != size:
        rs.replicas = size
        rs.generation += 1
        store.record_event("Deployment", d, "Normal", cond.SCALING_REPLICA_SET_EVENT,
                           cond.scaling_replica_set_message(rs.name, old, size, direction),
                           COMPONENT)
    write_replica_set(store, rs)
    return old != size


def write_replica_set(store: Store, rs: ReplicaSet) -> None:
    """An update to a ReplicaSet: its controller and its owner look again."""
    store.changed("ReplicaSet", rs)
    store.enqueue("replicaset", rs.name)
    if rs.owner:
        store.enqueue("deployment", rs.owner)


# --- history cleanup and status ---------------------------------------------------------
def cleanup_history(store: Store, d: Deployment, old_rss: list[ReplicaSet]) -> None:
    """revisionHistoryLimit: delete the oldest fully scaled-down old ReplicaSets."""
    for name in rm.replica_sets_to_delete([rs_view(rs) for rs in old_rss],
                                          d.spec.get("revisionHistoryLimit")):
        garbage_collector.delete_replicaset(store, store.replicasets[name])


def calculate_status(store: Store, d: Deployment, new_rs: ReplicaSet | None,
                     old_rss: list[ReplicaSet]) -> dict:
    """calculateStatus: status (with the Available condition) from the ReplicaSets' status."""
    replicas, surge, unavailable, strategy = strategy_params(d)
    views = [_status_view(rs) for rs in old_rss]
    new_view = _status_view(new_rs) if new_rs is not None else None
    return cond.calculate_status(d.generation, replicas, surge, unavailable,
                                 views + ([new_view] if new_view else []), new_view,
                                 d.status.get("conditions", []), store.time, strategy=strategy,
                                 collision_count=d.status.get("collision_count"))


def _status_view(rs: ReplicaSet) -> dict:
    return {"replicas": rs.replicas, "status_replicas": rs.status["replicas"],
            "ready": rs.status["ready_replicas"], "available": rs.status["available_replicas"]}


def update_status(store: Store, d: Deployment, new_rs: ReplicaSet | None,
                  old_rss: list[ReplicaSet]) -> None:
    """syncDeploymentStatus: write the recomputed status if it changed."""
    status = calculate_status(store, d, new_rs, old_rss)
    if status != d.status:
        d.status = status
        store.changed("Deployment", d)
        store.enqueue("deployment", d.name)
