"""Which pods a ReplicaSet deletes first when it scales down.

Mirrors getPodsToDelete / getPodsRankedByRelatedPodsOnSameNode (pkg/controller/replicaset)
and ActivePodsWithRanks.Less (pkg/controller/controller_utils.go) with the default feature
gates (PodDeletionCost and LogarithmicScaleDown on), over plain per-pod dicts:

    name            str
    node            str | None      spec.nodeName; None or "" = not scheduled yet
    phase           str             "Pending", "Unknown" or "Running"
    ready           bool            the Ready condition is True
    ready_since     int | None      that condition's lastTransitionTime (None = unset)
    restarts        int             the highest restartCount among the pod's containers
    created         int | None      creationTimestamp (None = unset)
    deletion_cost   int | str | None  controller.kubernetes.io/pod-deletion-cost (invalid = 0)
    uid             str             breaks ties between pods of the same age bucket (default "")
    rank            int             only for deletion_order(): active related pods on its node
    now             int             only for deletion_order(): the controller's clock

Times are integer milliseconds on the simulated clock (as every instant in the engine). Where Kubernetes finds two pods equal its sort
leaves them in an arbitrary order; here they keep the order given, for determinism.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
_INT32 = re.compile(r"^[+-]?[0-9]+$")


def deletion_cost(value: int | str | None) -> int:
    """The pod-deletion-cost annotation as an int32; missing or invalid counts as 0.

    As GetDeletionCostFromPodAnnotations: a leading "+" or leading zeros ("008") are invalid.
    """
    if value is None:   # no annotation: nearly every pod
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not _INT32.match(value):
        return 0
    if value != "0" and value[0] not in "-123456789":
        return 0
    return int(value) if -(2**31) <= int(value) < 2**31 else 0


def _after_or_zero(t1: int | None, t2: int | None) -> bool:
    """afterOrZero: an unset time sorts first, otherwise the later time does."""
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _log_rank(t: int, now: int) -> int:
    """The power-of-two bucket of an age, measured in nanoseconds as Go's time.Duration is
    (floor of log2, exact on integers)."""
    age_ns = (now - t) * 1_000_000
    return age_ns.bit_length() - 1 if age_ns > 0 else -1


def _newer_first(t1: int | None, t2: int | None, uid1: str, uid2: str, now: int | None) -> bool:
    """Compare two times on Kubernetes' logarithmic scale; same bucket falls back to the UID."""
    if now is None or t1 is None or t2 is None:
        return _after_or_zero(t1, t2)
    diff = _log_rank(t1, now) - _log_rank(t2, now)
    return uid1 < uid2 if diff == 0 else diff < 0


def less(a: dict, b: dict, rank_a: int, rank_b: int, now: int | None) -> bool:
    """Whether pod ``a`` should be deleted before pod ``b`` (ActivePodsWithRanks.Less)."""
    node_a, node_b = a.get("node") or "", b.get("node") or ""
    if node_a != node_b and (not node_a or not node_b):
        return not node_a  # 1. not scheduled before scheduled
    phase_a, phase_b = PHASE_ORDINAL.get(a.get("phase"), 0), PHASE_ORDINAL.get(b.get("phase"), 0)
    if phase_a != phase_b:
        return phase_a < phase_b  # 2. Pending < Unknown < Running
    if bool(a.get("ready")) != bool(b.get("ready")):
        return not a.get("ready")  # 3. not ready before ready
    cost_a, cost_b = deletion_cost(a.get("deletion_cost")), deletion_cost(b.get("deletion_cost"))
    if cost_a != cost_b:
        return cost_a < cost_b  # 4. lower deletion cost first
    if rank_a != rank_b:
        return rank_a > rank_b  # 5. more related pods on the same node first
    if a.get("ready") and b.get("ready") and a.get("ready_since") != b.get("ready_since"):
        # 6. ready for a shorter time first
        return _newer_first(a.get("ready_since"), b.get("ready_since"), a.get("uid", ""), b.get("uid", ""), now)
    if a.get("restarts", 0) != b.get("restarts", 0):
        return a.get("restarts", 0) > b.get("restarts", 0)  # 7. more restarts first
    if a.get("created") != b.get("created"):
        # 8. created more recently first
        return _newer_first(a.get("created"), b.get("created"), a.get("uid", ""), b.get("uid", ""), now)
    return False


def related_pods_per_node(related_pods: list[dict]) -> dict[str, int]:
    """How many of the owner's active pods run on each node ("" = not scheduled)."""
    return pods_per_node(pod.get("node") for pod in related_pods)


def pods_per_node(nodes: Iterable[str | None]) -> dict[str, int]:
    """How many pods each node has, from the pods' node names (None or "": not scheduled,
    counted under "")."""
    return Counter(node or "" for node in nodes)


def _ordered(pods: list[dict], ranks: list[int], now: int | None) -> list[str]:
    keys = _sort_keys(pods, ranks, now)
    if keys is not None:
        order = sorted(range(len(pods)), key=keys.__getitem__)
    else:
        def compare(i: int, j: int) -> int:
            if less(pods[i], pods[j], ranks[i], ranks[j], now):
                return -1
            return 1 if less(pods[j], pods[i], ranks[j], ranks[i], now) else 0
        order = sorted(range(len(pods)), key=functools.cmp_to_key(compare))
    return [pods[i]["name"] for i in order]


def _sort_keys(pods: list[dict], ranks: list[int], now: int | None) -> list[tuple] | None:
    """One key per pod ordering the pods exactly as `less` does, or None if `less` is not a
    consistent order for these pods (then the pairwise sort decides, as it always did).

    A key sort costs a fraction of the pairwise one; both are stable, so equal keys keep
    the given order just as pods `less` finds equal do."""
    keys = [(1 if pod.get("node") else 0, PHASE_ORDINAL.get(pod.get("phase"), 0),
             bool(pod.get("ready")), deletion_cost(pod.get("deletion_cost")), -rank)
            for pod, rank in zip(pods, ranks)]
    keys = _with_time(keys, pods, "ready_since", now, ready_only=True)      # 6.
    if keys is None:
        return None
    keys = [key + (-pod.get("restarts", 0),) for key, pod in zip(keys, pods)]  # 7.
    return _with_time(keys, pods, "created", now, ready_only=False)          # 8.


def _with_time(keys: list[tuple], pods: list[dict], field: str, now: int | None,
               ready_only: bool) -> list[tuple] | None:
    """Extend the keys by `_newer_first` on `field` (unset first, then newer first).

    With a clock, times in one power-of-two age bucket are ordered by UID, yet equal times
    fall through to the next rule: among pods equal so far, that is a consistent order only
    if a bucket holds one time, or distinct times with distinct UIDs. Otherwise None."""
    parts = []
    ranked: dict[int, tuple] = {}   # pods share a few distinct times: rank each once
    for pod in pods:
        t = pod.get(field)
        if ready_only and not pod.get("ready"):
            parts.append(())                  # the rule compares ready pods only
        elif t is None:
            parts.append((0,))
        elif now is None:
            parts.append((1, -t))
        else:
            part = ranked.get(t)
            if part is None:
                part = ranked[t] = (1, _log_rank(t, now))
            parts.append(part)
    if now is not None:
        buckets: dict[tuple, list[int]] = {}
        for i, (key, part) in enumerate(zip(keys, parts)):
            if len(part) == 2:
                buckets.setdefault((key, part), []).append(i)
        for members in buckets.values():
            times = {pods[i][field] for i in members}
            if len(times) == 1:
                continue                       # one time: a tie, the next rule decides
            uids = {pods[i].get("uid", "") for i in members}
            if len(times) < len(members) or len(uids) < len(members):
                return None
            for i in members:
                parts[i] += (pods[i].get("uid", ""),)
    return [key + part for key, part in zip(keys, parts)]


def pods_to_delete(pods: list[dict], count: int, related_pods: list[dict] | None = None,
                   now: int | None = None, per_node: dict[str, int] | None = None) -> list[str]:
    """Names of the ``count`` pods a ReplicaSet deletes when it has too many (getPodsToDelete).

    ``pods`` are the ReplicaSet's active pods; ``related_pods`` are the active pods of every
    ReplicaSet of the same owner (default: ``pods``), used to rank pods by how crowded their
    node is; a caller that has already counted them (pods_per_node) passes ``per_node``
    instead. If all pods go, no sorting happens and they come back in the order
    given.
    """
    if count >= len(pods):
        return [pod["name"] for pod in pods]
    if per_node is None:
        per_node = related_pods_per_node(pods if related_pods is None else related_pods)
    ranks = [per_node.get(pod.get("node") or "", 0) for pod in pods]
    return _ordered(pods, ranks, now)[:count]


def deletion_order(pods: list[dict]) -> list[str]:
    """All pod names, first-to-delete first, for pods that already carry ``rank`` and ``now``."""
    now = pods[0].get("now") if pods else None
    return _ordered(pods, [pod.get("rank", 0) for pod in pods], now)
