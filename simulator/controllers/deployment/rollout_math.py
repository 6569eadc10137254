"""The Deployment controller's arithmetic as pure functions over plain values.

Mirrors pkg/controller/deployment (rolling.go, sync.go, util/deployment_util.go) and
kubectl's rollout status viewer. The controllers of the engine call these functions
directly, so every number the simulator shows comes from here.

Conventions (fixed by the simulator issue):
* an int-or-percent value is an ``int``, a ``"N%"`` string or ``None`` (unset, counts as 0);
  anything else raises ``ValueError``;
* a ReplicaSet is a plain dict; ``replicas`` is its ``spec.replicas`` and ``available`` its
  ``status.availableReplicas``; ``created`` (an instant) is used only for ordering, ties
  broken by ``name``;
* instants (``now``, condition times) are integer milliseconds on the simulated clock, as
  everywhere in the engine; spec fields keep their units (``progressDeadlineSeconds``);
* status and condition mappings use snake_case keys (``updated_replicas``, ``last_update_time``);
* lists of sizes come back in the order the ReplicaSets were given.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"
MAX_INT32 = 2**31 - 1

DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"

_PERCENT = re.compile(r"^([0-9]+)%$")
# Progressing reasons the arithmetic itself looks at (the rest live in simulator.controllers.deployment.conditions).
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"


# ---------------------------------------------------------------- int-or-percent, fenceposts

def int_or_percent(value: int | str | None, total: int, round_up: bool) -> int:
    """Resolve an int-or-percent against ``total`` (intstr.GetScaledValueFromIntOrPercent).

    Percentages round up or down as asked; ``None`` counts as 0; anything that is not an
    int or an ``"N%"`` string raises ValueError.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if not match:
            raise ValueError(f"invalid value for IntOrString: invalid type: string is not a percentage: {value!r}")
        scaled = int(match.group(1)) * total
        return -(-scaled // 100) if round_up else scaled // 100
    raise ValueError(f"invalid value for IntOrString: {value!r}")


def resolve_fenceposts(surge_spec, unavailable_spec, desired: int) -> tuple[int, int]:
    """maxSurge (rounded up) and maxUnavailable (rounded down) for ``desired`` replicas.

    If both resolve to 0, maxUnavailable becomes 1 so a rollout can always move.
    """
    surge = int_or_percent(surge_spec, desired, round_up=True)
    unavailable = int_or_percent(unavailable_spec, desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(replicas: int, surge_spec, unavailable_spec, strategy: str = ROLLING_UPDATE) -> int:
    """How many pods above ``replicas`` a rollout may create (0 for Recreate)."""
    if strategy != ROLLING_UPDATE:
        return 0
    return resolve_fenceposts(surge_spec, unavailable_spec, replicas)[0]


def max_unavailable(replicas: int, surge_spec, unavailable_spec, strategy: str = ROLLING_UPDATE) -> int:
    """How many of ``replicas`` may be unavailable; 0 for Recreate or no replicas, capped at replicas."""
    if strategy != ROLLING_UPDATE or replicas == 0:
        return 0
    return min(resolve_fenceposts(surge_spec, unavailable_spec, replicas)[1], replicas)


def min_available(replicas: int, surge_spec, unavailable_spec, strategy: str = ROLLING_UPDATE) -> int:
    """The fewest available pods a rollout keeps (0 for Recreate)."""
    if strategy != ROLLING_UPDATE:
        return 0
    return replicas - max_unavailable(replicas, surge_spec, unavailable_spec, strategy)


# ---------------------------------------------------------------- RollingUpdate (rolling.go)

def get_replica_count_for_replica_sets(sizes: list[int | None]) -> int:
    """Sum of sizes, skipping missing ReplicaSets (GetReplicaCountForReplicaSets and friends)."""
    return sum(size for size in sizes if size is not None)


def new_rs_new_replicas(replicas: int, surge_spec, unavailable_spec, new_rs_replicas: int,
                        all_rs_replicas: list[int], strategy: str = ROLLING_UPDATE) -> int:
    """The size the new ReplicaSet may grow to now (NewRSNewReplicas).

    ``all_rs_replicas`` is summed as given (callers include the new RS). The surge is
    resolved directly (round up), without the fencepost rule, as Kubernetes does.
    """
    if strategy == RECREATE:
        return replicas
    if strategy != ROLLING_UPDATE:
        raise ValueError(f"deployment type {strategy} isn't supported")
    room = surge_room(replicas, surge_spec, all_rs_replicas)
    if room.pods >= room.max_pods:
        return new_rs_replicas
    return new_rs_replicas + min(room.max_pods - room.pods, replicas - new_rs_replicas)


class SurgeRoom(NamedTuple):
    """What bounds a scale-up: the pods of every ReplicaSet against replicas + maxSurge."""
    pods: int
    max_pods: int


def surge_room(replicas: int, surge_spec, all_rs_replicas: list[int]) -> SurgeRoom:
    """The pods counted and the most allowed (the surge resolved directly, rounded up)."""
    return SurgeRoom(get_replica_count_for_replica_sets(all_rs_replicas),
                     replicas + int_or_percent(surge_spec, replicas, round_up=True))


def reconcile_new_replica_set(replicas: int, surge_spec, unavailable_spec, new_rs_replicas: int,
                              old_rs_replicas: list[int]) -> int:
    """The new ReplicaSet's size after one reconcileNewReplicaSet (scale up within the surge, or down to replicas)."""
    if new_rs_replicas >= replicas:
        return replicas
    return new_rs_new_replicas(replicas, surge_spec, unavailable_spec, new_rs_replicas,
                               [*old_rs_replicas, new_rs_replicas])


def _creation_key(rs: dict) -> tuple:
    """Sort key of ReplicaSetsByCreationTimestamp: creation time, then name."""
    return (rs.get("created", 0), rs.get("name", ""))


def cleanup_unhealthy_replicas(old_rss: list[dict], max_cleanup_count: int) -> tuple[list[int], int]:
    """Remove old ReplicaSets' unavailable pods first, oldest RS first (cleanupUnhealthyReplicas).

    RS: {"replicas", "available"}. Returns the sizes afterwards (order given) and how many
    replicas were removed in total (never more than ``max_cleanup_count``).
    """
    sizes = [rs["replicas"] for rs in old_rss]
    removed = 0
    for i in sorted(range(len(old_rss)), key=lambda i: _creation_key(old_rss[i])):
        if removed >= max_cleanup_count:
            break
        unhealthy = old_rss[i]["replicas"] - old_rss[i].get("available", 0)
        if old_rss[i]["replicas"] == 0 or unhealthy == 0:
            continue
        count = min(max_cleanup_count - removed, unhealthy)
        sizes[i] -= count
        removed += count
    return sizes, removed


def scale_down_old_replica_sets(replicas: int, surge_spec, unavailable_spec, new_rs: dict | None,
                                old_rss: list[dict]) -> tuple[list[int], int]:
    """Scale old ReplicaSets down, oldest first, while availability stays above minAvailable.

    scaleDownOldReplicaSetsForRollingUpdate. RS: {"replicas", "available"}; ``available`` is
    the status seen at the start of the sync. Returns the sizes (order given) and the total removed.
    """
    floor = replicas - max_unavailable(replicas, surge_spec, unavailable_spec)
    available = counted_available(new_rs, old_rss)
    sizes = [rs["replicas"] for rs in old_rss]
    if available <= floor:
        return sizes, 0
    budget = available - floor
    removed = 0
    for i in sorted(range(len(old_rss)), key=lambda i: _creation_key(old_rss[i])):
        if removed >= budget:
            break
        if sizes[i] == 0:
            continue
        count = min(sizes[i], budget - removed)
        sizes[i] -= count
        removed += count
    return sizes, removed


def counted_available(new_rs: dict | None, old_rss: list[dict]) -> int:
    """The available pods a scale-down keeps above minAvailable: those of the active old
    ReplicaSets and the new one (Kubernetes passes FilterActiveReplicaSets(old) + new)."""
    counted = [rs for rs in old_rss if rs["replicas"] > 0] + ([new_rs] if new_rs else [])
    return sum(rs.get("available", 0) for rs in counted)


class ScaleDownRoom(NamedTuple):
    """What bounds reconcileOldReplicaSets: all pods, less minAvailable, less the new
    ReplicaSet's unavailable pods (they cannot be counted on) — the most it may remove."""
    pods: int
    min_available: int
    new_unavailable: int

    @property
    def max_scaled_down(self) -> int:
        return self.pods - self.min_available - self.new_unavailable


def scale_down_room(replicas: int, surge_spec, unavailable_spec, new_rs: dict | None,
                    old_rss: list[dict]) -> ScaleDownRoom:
    """The numbers reconcileOldReplicaSets decides by (RS dicts as below)."""
    new_replicas = new_rs["replicas"] if new_rs else 0
    old_total = get_replica_count_for_replica_sets([rs["replicas"] for rs in old_rss])
    return ScaleDownRoom(old_total + new_replicas,
                         replicas - max_unavailable(replicas, surge_spec, unavailable_spec),
                         new_replicas - (new_rs.get("available", 0) if new_rs else 0))


def reconcile_old_replica_sets(replicas: int, surge_spec, unavailable_spec, new_rs: dict | None,
                               old_rss: list[dict]) -> list[int]:
    """Old ReplicaSets' sizes after one reconcileOldReplicaSets (unhealthy cleanup, then scale down).

    RS: {"replicas", "available"} (plus "created"/"name" for ordering; without them the
    given order is taken as oldest first).
    """
    if get_replica_count_for_replica_sets([rs["replicas"] for rs in old_rss]) == 0:
        return [rs["replicas"] for rs in old_rss]
    max_scaled_down = scale_down_room(replicas, surge_spec, unavailable_spec, new_rs,
                                      old_rss).max_scaled_down
    if max_scaled_down <= 0:
        return [rs["replicas"] for rs in old_rss]
    sizes, _ = cleanup_unhealthy_replicas(old_rss, max_scaled_down)
    after_cleanup = [dict(rs, replicas=size) for rs, size in zip(old_rss, sizes)]
    sizes, _ = scale_down_old_replica_sets(replicas, surge_spec, unavailable_spec, new_rs, after_cleanup)
    return sizes


# ---------------------------------------------------------------- Recreate (recreate.go)

def old_pods_running(old_rs_status_replicas: list[int], old_pod_phases: list[str]) -> bool:
    """Whether Recreate must still wait before creating the new ReplicaSet (oldPodsRunning).

    ``old_rs_status_replicas``: status.replicas of the old RSs; ``old_pod_phases``: phases of
    every pod owned by an old RS, terminating ones included. Only Succeeded/Failed pods are
    gone for good; Unknown counts as running.
    """
    if get_replica_count_for_replica_sets(old_rs_status_replicas) > 0:
        return True
    return any(phase not in ("Succeeded", "Failed") for phase in old_pod_phases)


# ---------------------------------------------------------------- scaling events (sync.go)

def round_half_away_from_zero(x: float) -> int:
    """Go's math.Round: halves go away from zero (Python's round() would go to even)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def non_negative_int_annotation(value: str | int | None) -> int | None:
    """An annotation read as a non-negative int32 (getNonNegativeInt32FromAnnotation); None if absent or invalid."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_INT32 else None
    if not re.fullmatch(r"[0-9]+", value) or int(value) > MAX_INT32:
        return None
    return int(value)


def replica_set_fraction(rs_replicas: int, annotated_max: int | None, replicas: int, surge_spec,
                         unavailable_spec, status_replicas: int = 0) -> int:
    """How many replicas one RS gains (or loses) in proportional scaling (getReplicaSetFraction).

    ``annotated_max`` is the RS's max-replicas annotation (the old ``replicas + maxSurge``);
    when it is missing or 0, the Deployment's ``status.replicas`` stands in, and if that is
    0 too the RS does not scale.
    """
    if replicas == 0:
        return -rs_replicas
    allowed = replicas + max_surge(replicas, surge_spec, unavailable_spec)
    denominator = annotated_max if annotated_max else status_replicas
    if not denominator:
        return 0
    # Go computes this in float64 and rounds half away from zero.
    return round_half_away_from_zero(float(rs_replicas * allowed) / float(denominator)) - rs_replicas


def get_proportion(rs_replicas: int, fraction: int, to_add: int, added: int) -> int:
    """Clamp one RS's fraction to what is still left to hand out (GetProportion)."""
    if rs_replicas == 0 or to_add == 0 or to_add == added:
        return 0
    left = to_add - added
    return min(fraction, left) if to_add > 0 else max(fraction, left)


def is_saturated(replicas: int, rs: dict | None) -> bool:
    """Whether the new RS alone already runs the whole Deployment (IsSaturated).

    RS: {"replicas", "available", "desired_replicas"}; an absent desired-replicas
    annotation means not saturated.
    """
    if rs is None:
        return False
    desired = non_negative_int_annotation(rs.get("desired_replicas"))
    return (desired is not None and rs["replicas"] == replicas and desired == replicas
            and rs.get("available", 0) == replicas)


def is_scaling_event(replicas: int, rss: list[dict]) -> bool:
    """Whether a sync is a scaling event: an active RS's desired-replicas annotation differs from ``replicas``.

    RS: {"replicas", "desired_replicas"}; RSs without the annotation are ignored.
    """
    for rs in rss:
        if rs is None or rs["replicas"] <= 0:
            continue
        desired = non_negative_int_annotation(rs.get("desired_replicas"))
        if desired is not None and desired != replicas:
            return True
    return False


def replicas_annotations(replicas: int, surge_spec, unavailable_spec, strategy: str = ROLLING_UPDATE) -> dict[str, str]:
    """The desired-replicas and max-replicas annotations a written RS gets (SetReplicasAnnotations)."""
    return {DESIRED_REPLICAS_ANNOTATION: str(replicas),
            MAX_REPLICAS_ANNOTATION: str(replicas + max_surge(replicas, surge_spec, unavailable_spec, strategy))}


def replicas_annotations_need_update(annotations: dict | None, desired: int, max_replicas: int) -> bool:
    """Whether an RS's replica annotations differ from ``desired``/``max_replicas`` (ReplicasAnnotationsNeedUpdate)."""
    annotations = annotations or {}
    return (annotations.get(DESIRED_REPLICAS_ANNOTATION) != str(desired)
            or annotations.get(MAX_REPLICAS_ANNOTATION) != str(max_replicas))


def _active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    """FindActiveOrLatest: the only active RS, else the new RS, else the newest old RS; None if several are active."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=_creation_key, reverse=True)
    active = [rs for rs in [*newest_first, new_rs] if rs is not None and rs["replicas"] > 0]
    if len(active) == 1:
        return active[0]
    if active:
        return None
    return new_rs if new_rs is not None else newest_first[0]


def scale_targets(replicas: int, surge_spec, unavailable_spec, new_rs: dict | None, old_rss: list[dict], *,
                  strategy: str = ROLLING_UPDATE, status_replicas: int = 0) -> tuple[list[tuple[str, int]], bool]:
    """The ReplicaSets ``scale()`` writes on a scaling event or paused sync, in call order.

    Returns ([(name, new size), ...], proportional). The engine writes each listed RS with
    that size and refreshed replica annotations, emitting ScalingReplicaSet only when the
    size changed. ``proportional`` is True on the proportional path, where every active RS
    is listed (so stale annotations get refreshed) and the event direction is the sign of
    the total change. RS: {"name", "replicas", "available", "created", "desired_replicas",
    "max_replicas"}.
    """
    target = _active_or_latest(new_rs, old_rss)
    if target is not None:
        return ([] if target["replicas"] == replicas else [(target["name"], replicas)]), False
    # FindActiveOrLatest leaves the old RSs sorted newest first; later steps walk that order.
    old_newest_first = sorted(old_rss, key=_creation_key, reverse=True)
    if is_saturated(replicas, new_rs):
        return [(rs["name"], 0) for rs in old_newest_first if rs["replicas"] > 0], False
    if strategy != ROLLING_UPDATE:
        return [], False
    active = [rs for rs in [*old_newest_first, new_rs] if rs is not None and rs["replicas"] > 0]
    allowed = replicas + max_surge(replicas, surge_spec, unavailable_spec) if replicas > 0 else 0
    to_add = allowed - sum(rs["replicas"] for rs in active)
    if to_add:
        # Larger first; on equal sizes newer first when growing, older first when shrinking.
        active.sort(key=_creation_key, reverse=to_add > 0)
        active.sort(key=lambda rs: rs["replicas"], reverse=True)
    added, sizes = 0, []
    for rs in active:
        fraction = replica_set_fraction(rs["replicas"], non_negative_int_annotation(rs.get("max_replicas")),
                                        replicas, surge_spec, unavailable_spec, status_replicas)
        proportion = get_proportion(rs["replicas"], fraction, to_add, added) if to_add else 0
        sizes.append(rs["replicas"] + proportion)
        added += proportion
    if active and to_add:
        sizes[0] = max(0, sizes[0] + to_add - added)  # the largest RS takes the rounding leftover
    return [(rs["name"], size) for rs, size in zip(active, sizes)], True


def proportional_scale(replicas: int, surge_spec, unavailable_spec, new_rs: dict | None, old_rss: list[dict], *,
                       strategy: str = ROLLING_UPDATE, status_replicas: int = 0) -> tuple[int | None, list[int]]:
    """Sizes after the controller's ``scale()`` on a scaling event: (new RS size or None, old RS sizes).

    One active RS (or none) is set to ``replicas``; a saturated new RS zeroes the old ones;
    otherwise RollingUpdate spreads ``replicas + maxSurge`` proportionally to the sizes,
    rounding half away from zero, the leftover going to the largest RS (newer on ties when
    growing, older when shrinking). See :func:`scale_targets` for the RS dict keys.
    """
    writes = dict(scale_targets(replicas, surge_spec, unavailable_spec, new_rs, old_rss,
                                strategy=strategy, status_replicas=status_replicas)[0])
    new_size = None if new_rs is None else writes.get(new_rs["name"], new_rs["replicas"])
    return new_size, [writes.get(rs["name"], rs["replicas"]) for rs in old_rss]


# ---------------------------------------------------------------- status, progress, history

def deployment_complete(replicas: int, generation: int, status: dict) -> bool:
    """All replicas updated and available, no old pods left, and the spec observed (DeploymentComplete)."""
    return (status.get("updated_replicas", 0) == replicas and status.get("replicas", 0) == replicas
            and status.get("available_replicas", 0) == replicas
            and status.get("observed_generation", 0) >= generation)


def deployment_progressing(old_status: dict, new_status: dict) -> bool:
    """Whether the rollout moved: more updated, fewer old, more ready or more available pods."""
    def old_pods(status: dict) -> int:
        return status.get("replicas", 0) - status.get("updated_replicas", 0)
    return (new_status.get("updated_replicas", 0) > old_status.get("updated_replicas", 0)
            or old_pods(new_status) < old_pods(old_status)
            or new_status.get("ready_replicas", 0) > old_status.get("ready_replicas", 0)
            or new_status.get("available_replicas", 0) > old_status.get("available_replicas", 0))


def has_progress_deadline(progress_deadline_seconds: int | None) -> bool:
    """A deadline is set unless it is absent or MaxInt32 (HasProgressDeadline)."""
    return progress_deadline_seconds is not None and progress_deadline_seconds != MAX_INT32


def deployment_timed_out(progress_deadline_seconds: int | None, progressing_condition: dict | None,
                         now: int) -> bool:
    """Whether the last progress is older than the deadline (DeploymentTimedOut).

    A completed rollout never times out, one already marked ProgressDeadlineExceeded stays
    timed out, and the deadline is strict: ``last_update_time + deadline < now`` (ms).
    """
    if not has_progress_deadline(progress_deadline_seconds) or progressing_condition is None:
        return False
    reason = progressing_condition.get("reason")
    if reason == NEW_RS_AVAILABLE_REASON:
        return False
    if reason == TIMED_OUT_REASON:
        return True
    return progressing_condition.get("last_update_time", 0) + progress_deadline_seconds * 1000 < now


def replica_sets_to_delete(old_rss: list[dict], revision_history_limit: int | None) -> list[str]:
    """Names of old ReplicaSets that revisionHistoryLimit cleanup deletes, in deletion order.

    RS: {"name", "replicas", "status_replicas", "revision" (int or None), "created",
    "deleting"}; optional "generation"/"observed_generation" (an RS whose status lags its
    spec is kept) and "terminating_replicas" (kept unless 0). Only the ``count - limit``
    lowest revisions are looked at; one still holding pods is skipped, not replaced.
    """
    if revision_history_limit is None or revision_history_limit == MAX_INT32:
        return []
    candidates = [rs for rs in old_rss if not rs.get("deleting")]
    excess = len(candidates) - revision_history_limit
    if excess <= 0:
        return []
    candidates.sort(key=_creation_key)
    candidates.sort(key=lambda rs: rs.get("revision") or 0)
    return [rs["name"] for rs in candidates[:excess]
            if rs.get("status_replicas", 0) == 0 and rs["replicas"] == 0
            and rs.get("generation", 0) <= rs.get("observed_generation", rs.get("generation", 0))
            and rs.get("terminating_replicas", 0) == 0]


def go_quote(text: str) -> str:
    """Go's %q for the plain names Kubernetes allows (used in kubectl and controller messages)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rollout_status(name: str, generation: int, replicas: int, status: dict,
                   conditions=()) -> tuple[str, bool]:
    """kubectl rollout status's line for a Deployment (trailing newline included) and whether it is done.

    Past the progress deadline: ('error: deployment "NAME" exceeded its progress deadline\\n', False).
    """
    quoted = go_quote(name)
    if generation > status.get("observed_generation", 0):
        return "Waiting for deployment spec update to be observed...\n", False
    progressing = next((c for c in conditions if c.get("type") == "Progressing"), None)
    if progressing is not None and progressing.get("reason") == TIMED_OUT_REASON:
        return f"error: deployment {quoted} exceeded its progress deadline\n", False
    updated = status.get("updated_replicas", 0)
    current = status.get("replicas", 0)
    available = status.get("available_replicas", 0)
    waiting = f"Waiting for deployment {quoted} rollout to finish: "
    if updated < replicas:
        return f"{waiting}{updated} out of {replicas} new replicas have been updated...\n", False
    if current > updated:
        return f"{waiting}{current - updated} old replicas are pending termination...\n", False
    if available < updated:
        return f"{waiting}{available} of {updated} updated replicas are available...\n", False
    return f"deployment {quoted} successfully rolled out\n", True
