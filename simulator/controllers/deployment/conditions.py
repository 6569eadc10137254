"""Deployment status and conditions, as the Deployment controller computes them.

Mirrors pkg/controller/deployment (sync.go calculateStatus / checkPausedConditions,
progress.go syncRolloutStatus / requeueStuckDeployment) and the condition helpers of
util/deployment_util.go, over plain values. Conditions are dicts with the keys ``type``,
``status``, ``reason``, ``message``, ``last_update_time`` and ``last_transition_time``
(integer milliseconds on the simulated clock, as every instant in the engine); condition
lists are never mutated, new lists come back.
"""

from __future__ import annotations

from simulator.controllers.deployment import rollout_math as rm

# Condition types and statuses.
AVAILABLE = "Available"
PROGRESSING = "Progressing"
REPLICA_FAILURE = "ReplicaFailure"
TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"

# Progressing reasons.
REPLICA_SET_UPDATED_REASON = "ReplicaSetUpdated"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
NEW_REPLICA_SET_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
NEW_RS_AVAILABLE_REASON = rm.NEW_RS_AVAILABLE_REASON
TIMED_OUT_REASON = rm.TIMED_OUT_REASON
PAUSED_DEPLOY_REASON = "DeploymentPaused"
RESUMED_DEPLOY_REASON = "DeploymentResumed"
# Available reasons.
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"

PAUSED_MESSAGE = "Deployment is paused"
RESUMED_MESSAGE = "Deployment is resumed"
MINIMUM_AVAILABLE_MESSAGE = "Deployment has minimum availability."
MINIMUM_UNAVAILABLE_MESSAGE = "Deployment does not have minimum availability."

# Deployment event reasons.
SCALING_REPLICA_SET_EVENT = "ScalingReplicaSet"
SELECTING_ALL_EVENT = "SelectingAll"
SELECTING_ALL_MESSAGE = "This deployment is selecting all pods. A non-empty selector is required."


# ---------------------------------------------------------------- messages

def created_new_rs_message(rs_name: str) -> str:
    """Progressing/NewReplicaSetCreated message."""
    return f"Created new replica set {rm.go_quote(rs_name)}"


def found_new_rs_message(rs_name: str) -> str:
    """Progressing/FoundNewReplicaSet message."""
    return f"Found new replica set {rm.go_quote(rs_name)}"


def failed_rs_create_message(rs_name: str, error: str) -> str:
    """Progressing/ReplicaSetCreateError message (also the Warning event's)."""
    return f"Failed to create new replica set {rm.go_quote(rs_name)}: {error}"


def _subject(deployment_name: str, new_rs_name: str | None) -> str:
    return f"ReplicaSet {rm.go_quote(new_rs_name)}" if new_rs_name else f"Deployment {rm.go_quote(deployment_name)}"


def progressing_message(deployment_name: str, new_rs_name: str | None) -> str:
    """Progressing/ReplicaSetUpdated message, e.g. 'ReplicaSet "web-5d8f7c9b4" is progressing.'."""
    return f"{_subject(deployment_name, new_rs_name)} is progressing."


def successfully_progressed_message(deployment_name: str, new_rs_name: str | None) -> str:
    """Progressing/NewReplicaSetAvailable message."""
    return f"{_subject(deployment_name, new_rs_name)} has successfully progressed."


def timed_out_message(deployment_name: str, new_rs_name: str | None) -> str:
    """Progressing/ProgressDeadlineExceeded message."""
    return f"{_subject(deployment_name, new_rs_name)} has timed out progressing."


def scaling_replica_set_message(rs_name: str, old_size: int, new_size: int, operation: str | None = None) -> str:
    """The ScalingReplicaSet event text of v1.31+, e.g. 'Scaled up replica set web-7c5ddbdf54 from 1 to 3'.

    ``operation`` ("up"/"down") defaults to the direction of the change; proportional
    scaling passes the direction of the total change instead.
    """
    operation = operation or ("up" if new_size > old_size else "down")
    return f"Scaled {operation} replica set {rs_name} from {old_size} to {new_size}"


# ---------------------------------------------------------------- condition lists

def new_condition(cond_type: str, status: str, reason: str, message: str, now: int) -> dict:
    """A fresh condition stamped ``now`` (NewDeploymentCondition)."""
    return {"type": cond_type, "status": status, "reason": reason, "message": message,
            "last_update_time": now, "last_transition_time": now}


def get_condition(conditions, cond_type: str) -> dict | None:
    """The condition of that type, or None."""
    return next((c for c in conditions or () if c.get("type") == cond_type), None)


def remove_condition(conditions, cond_type: str) -> list[dict]:
    """The conditions without that type."""
    return [c for c in conditions or () if c.get("type") != cond_type]


def set_condition(conditions, condition: dict) -> list[dict]:
    """SetDeploymentCondition: same status and reason changes nothing; otherwise the old one is
    removed and the new one appended, keeping last_transition_time if the status is unchanged."""
    current = get_condition(conditions, condition["type"])
    if current is not None and current["status"] == condition["status"] and current["reason"] == condition["reason"]:
        return list(conditions)
    if current is not None and current["status"] == condition["status"]:
        condition = dict(condition, last_transition_time=current["last_transition_time"])
    return [*remove_condition(conditions, condition["type"]), condition]


def replica_failure_condition(new_rs_conditions, other_rs_conditions) -> dict | None:
    """The ReplicaFailure condition a Deployment copies from its ReplicaSets: the new RS's first,
    else the first on any RS (getReplicaFailures); both times taken from last_transition_time."""
    for cond in [*(new_rs_conditions or ()), *(other_rs_conditions or ())]:
        if cond.get("type") == REPLICA_FAILURE:
            return {"type": REPLICA_FAILURE, "status": cond["status"], "reason": cond.get("reason", ""),
                    "message": cond.get("message", ""), "last_update_time": cond["last_transition_time"],
                    "last_transition_time": cond["last_transition_time"]}
    return None


# ---------------------------------------------------------------- status

def calculate_status(generation: int, replicas: int, surge_spec, unavailable_spec, all_rss: list[dict],
                     new_rs: dict | None, conditions, now: int, *, strategy: str = rm.ROLLING_UPDATE,
                     collision_count: int | None = None) -> dict:
    """A Deployment's status from its ReplicaSets, with the Available condition set (calculateStatus).

    RS: {"replicas" (spec), "status_replicas", "ready", "available"}; ``all_rss`` includes the
    new RS. ``unavailable_replicas`` counts spec sizes, so surge pods count as unavailable.
    """
    available = sum(rs.get("available", 0) for rs in all_rss)
    status = {
        "observed_generation": generation,
        "replicas": sum(rs.get("status_replicas", 0) for rs in all_rss),
        "updated_replicas": new_rs.get("status_replicas", 0) if new_rs else 0,
        "ready_replicas": sum(rs.get("ready", 0) for rs in all_rss),
        "available_replicas": available,
        "unavailable_replicas": max(0, sum(rs["replicas"] for rs in all_rss) - available),
    }
    if collision_count is not None:
        status["collision_count"] = collision_count
    if available >= replicas - rm.max_unavailable(replicas, surge_spec, unavailable_spec, strategy):
        condition = new_condition(AVAILABLE, TRUE, MINIMUM_REPLICAS_AVAILABLE, MINIMUM_AVAILABLE_MESSAGE, now)
    else:
        condition = new_condition(AVAILABLE, FALSE, MINIMUM_REPLICAS_UNAVAILABLE, MINIMUM_UNAVAILABLE_MESSAGE, now)
    status["conditions"] = set_condition(list(conditions or ()), condition)
    return status


def paused_conditions(paused: bool, progress_deadline_seconds: int | None, conditions, now: int) -> list[dict] | None:
    """The conditions after checkPausedConditions, or None when nothing changes.

    Pausing sets Progressing Unknown/DeploymentPaused, resuming Unknown/DeploymentResumed
    (which restarts the deadline clock); a ProgressDeadlineExceeded condition is never overwritten.
    """
    if not rm.has_progress_deadline(progress_deadline_seconds):
        return None
    current = get_condition(conditions, PROGRESSING)
    if current is not None and current["reason"] == TIMED_OUT_REASON:
        return None
    paused_recorded = current is not None and current["reason"] == PAUSED_DEPLOY_REASON
    if paused and not paused_recorded:
        return set_condition(conditions, new_condition(PROGRESSING, UNKNOWN, PAUSED_DEPLOY_REASON, PAUSED_MESSAGE, now))
    if not paused and paused_recorded:
        return set_condition(conditions, new_condition(PROGRESSING, UNKNOWN, RESUMED_DEPLOY_REASON, RESUMED_MESSAGE, now))
    return None


def sync_rollout_status(deployment_name: str, generation: int, replicas: int, progress_deadline_seconds: int | None,
                        old_status: dict, new_status: dict, new_rs_name: str | None, now: int,
                        replica_failure: dict | None = None) -> dict:
    """The status a rollout sync writes: ``new_status`` (from :func:`calculate_status`) with the
    Progressing and ReplicaFailure conditions evaluated (syncRolloutStatus).

    ``old_status`` is the status on the Deployment before the sync (its conditions decide
    whether the rollout already finished); ``replica_failure`` comes from
    :func:`replica_failure_condition`.
    """
    conditions = list(new_status.get("conditions", ()))
    has_deadline = rm.has_progress_deadline(progress_deadline_seconds)
    if not has_deadline:
        conditions = remove_condition(conditions, PROGRESSING)
    current = get_condition(old_status.get("conditions"), PROGRESSING)
    finished = (new_status.get("replicas", 0) == new_status.get("updated_replicas", 0)
                and current is not None and current["reason"] == NEW_RS_AVAILABLE_REASON)
    if has_deadline and not finished:
        if rm.deployment_complete(replicas, generation, new_status):
            conditions = set_condition(conditions, new_condition(
                PROGRESSING, TRUE, NEW_RS_AVAILABLE_REASON,
                successfully_progressed_message(deployment_name, new_rs_name), now))
        elif rm.deployment_progressing(old_status, new_status):
            # Rewritten on every progress so last_update_time moves, even with the same reason.
            condition = new_condition(PROGRESSING, TRUE, REPLICA_SET_UPDATED_REASON,
                                      progressing_message(deployment_name, new_rs_name), now)
            if current is not None:
                if current["status"] == TRUE:
                    condition["last_transition_time"] = current["last_transition_time"]
                conditions = remove_condition(conditions, PROGRESSING)
            conditions = set_condition(conditions, condition)
        elif rm.deployment_timed_out(progress_deadline_seconds, get_condition(conditions, PROGRESSING), now):
            conditions = set_condition(conditions, new_condition(
                PROGRESSING, FALSE, TIMED_OUT_REASON, timed_out_message(deployment_name, new_rs_name), now))
    if replica_failure is not None:
        conditions = set_condition(conditions, replica_failure)
    else:
        conditions = remove_condition(conditions, REPLICA_FAILURE)
    return dict(new_status, conditions=conditions)


def progress_check_after(progress_deadline_seconds: int | None, old_conditions, replicas: int, generation: int,
                         new_status: dict, now: int) -> int | None:
    """When a stuck rollout must be looked at again for its deadline (requeueStuckDeployment).

    None: no re-check (no deadline, no Progressing condition, complete or already timed
    out); 0: now (less than a second left); otherwise the milliseconds left. The controller
    re-queues after that plus 1 s.
    """
    current = get_condition(old_conditions, PROGRESSING)
    if not rm.has_progress_deadline(progress_deadline_seconds) or current is None:
        return None
    if rm.deployment_complete(replicas, generation, new_status) or current["reason"] == TIMED_OUT_REASON:
        return None
    after = current.get("last_update_time", 0) + progress_deadline_seconds * 1000 - now
    return 0 if after < 1000 else after
