"""Progress of a rollout (progress.go): the Progressing and ReplicaFailure conditions, the
paused/resumed bookkeeping and the timed re-check for progressDeadlineSeconds. The
condition arithmetic itself lives in simulator.controllers.deployment.conditions."""
from __future__ import annotations

from simulator.controllers.deployment import conditions as cond
from simulator.objects import Deployment
from simulator.store import Store


def check_paused_condition(store: Store, d: Deployment) -> None:
    """checkPausedConditions: Progressing Unknown while paused and just after resume."""
    updated = cond.paused_conditions(bool(d.spec.get("paused")),
                                     d.spec.get("progressDeadlineSeconds"),
                                     d.status.get("conditions", []), store.time)
    if updated is not None:
        d.status["conditions"] = updated
        store.changed("Deployment", d)


def set_progressing(store: Store, d: Deployment, reason: str, message: str) -> None:
    """Progressing True with `reason` when the new ReplicaSet is created or first found."""
    d.status["conditions"] = cond.set_condition(
        d.status.get("conditions", []),
        cond.new_condition(cond.PROGRESSING, cond.TRUE, reason, message, store.time))


def sync_rollout_status(store: Store, d: Deployment, new_rs, old_rss) -> None:
    """syncRolloutStatus: write status with Progressing/ReplicaFailure evaluated; when
    nothing changed, arm the deadline re-check (requeueStuckDeployment)."""
    from simulator.controllers.deployment.sync import calculate_status
    new_status = calculate_status(store, d, new_rs, old_rss)
    failure = cond.replica_failure_condition(
        new_rs.conditions if new_rs is not None else [],
        [c for rs in old_rss for c in rs.conditions])
    status = cond.sync_rollout_status(
        d.name, d.generation, d.spec.get("replicas", 1), d.spec.get("progressDeadlineSeconds"),
        d.status, new_status, new_rs.name if new_rs is not None else None, store.time, failure)
    if status == d.status:
        _requeue_stuck(store, d, status)
        return
    d.status = status
    store.changed("Deployment", d)
    store.enqueue("deployment", d.name)   # the controller sees its own update and syncs again


def _requeue_stuck(store: Store, d: Deployment, status: dict) -> None:
    after = cond.progress_check_after(d.spec.get("progressDeadlineSeconds"),
                                      d.status.get("conditions"), d.spec.get("replicas", 1),
                                      d.generation, status, store.time)
    if after is None:
        return
    # the real controller re-queues `after` + 1 s later (rate-limited when under a second):
    # strictly later than now either way
    store.timers.schedule_once(store.time + after + 1000, "deployment", d.name)

