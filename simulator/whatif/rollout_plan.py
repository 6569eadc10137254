"""A rollout played out on counts: the Deployment controller's decisions (rollout_math's
own functions, in the order rolling.go and recreate.go take them) over the instants at which
pods become ready or available, without pods, nodes or a clock.

Times are integer milliseconds after the edit is applied (t0). The old ReplicaSets count as
one: each of their active pods is the instant it is (or becomes) available, 0 for one that
already is, None for one that never will. A new pod's ready and available delays come from a
callback, so the caller decides which pods pull their image.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.controllers.deployment import rollout_math as rm

# (ready delay, available delay) of the i-th new pod created at instant t (ms after creation;
# None: never)
NewPod = Callable[[int, int], tuple[int | None, int | None]]
# told that this many old pods were deleted at instant t
OldRemoved = Callable[[int, int], None]


@dataclass
class Plan:
    """What the controller does, as the numbers a rollout is judged by."""

    peak_pods: int = 0           # the most non-terminating pods at the end of any instant from t0
    min_available: int = 0       # the fewest available pods at the end of any instant from t0
    waves: list[int] = field(default_factory=list)   # the instants the new ReplicaSet grew
    complete_ms: int | None = None   # every replica updated and available, no old pod left
    deadline_ms: int | None = None   # when Progressing turns False (ProgressDeadlineExceeded)
    last_progress_ms: int = 0
    new_replicas: int = 0        # the new ReplicaSet's size at the end
    new_available: int = 0       # its available pods at the end


@dataclass
class _State:
    old: list = field(default_factory=list)         # old pods' available instants (see above)
    ready: list = field(default_factory=list)       # new pods' ready instants (None: never)
    available: list = field(default_factory=list)   # new pods' available instants

    @property
    def new(self) -> int:
        return len(self.available)

    @staticmethod
    def counted(times: list, now: int) -> int:
        return sum(1 for t in times if t is not None and t <= now)


def rolling(replicas: int, surge_spec, unavailable_spec, old: list, new_pod: NewPod,
            deadline_seconds: int | None, new_available: int = 0,
            old_removed: OldRemoved | None = None) -> Plan:
    """RollingUpdate from the ``old`` pods and ``new_available`` available pods of the new
    template (a ReplicaSet taken back)."""
    state = _State(old=list(old), ready=[0] * new_available, available=[0] * new_available)
    plan = Plan(min_available=state.counted(state.old, 0) + new_available)

    def settle(now: int) -> None:
        # one sync scales the new ReplicaSet up or, if it did not, the old ones down; each
        # write makes the controller look again in the same instant, until nothing moves
        while True:
            if state.new < replicas:
                size = rm.reconcile_new_replica_set(replicas, surge_spec, unavailable_spec,
                                                    state.new, [len(state.old)])
                if size > state.new:
                    _create(state, plan, new_pod, size - state.new, now)
                    continue
            if state.old:
                new_view = {"replicas": state.new, "available": state.counted(state.available, now)}
                old_view = [{"replicas": len(state.old), "available": state.counted(state.old, now)}]
                size = rm.reconcile_old_replica_sets(replicas, surge_spec, unavailable_spec,
                                                     new_view, old_view)[0]
                if size < len(state.old):
                    _scale_old_down(state, size, now, old_removed)
                    plan.last_progress_ms = now
                    continue
            return

    return _play(state, plan, replicas, settle, deadline_seconds)


def recreate(replicas: int, old: list, old_gone_ms: int, new_pod: NewPod,
             deadline_seconds: int | None, old_removed: OldRemoved | None = None) -> Plan:
    """Recreate: every old pod is stopped at t0; the new ReplicaSet gets every replica once
    the last old pod is gone (``old_gone_ms``)."""
    state = _State(old=list(old))
    plan = Plan(min_available=state.counted(state.old, 0))

    def settle(now: int) -> None:
        if state.old:
            _scale_old_down(state, 0, now, old_removed)
        elif state.new < replicas and now >= old_gone_ms:
            _create(state, plan, new_pod, replicas - state.new, now)

    return _play(state, plan, replicas, settle, deadline_seconds, wake=[old_gone_ms])


def scaled_first(old: list, replicas: int, joining: list) -> list:
    """The old pods after the scaling event that comes first when an edit changes replicas
    too (the only active ReplicaSet is set to ``replicas``): ``joining`` are the instants the
    pods it adds become available; a scale-down removes the unavailable pods first."""
    if replicas >= len(old):
        return list(old) + list(joining[:replicas - len(old)])
    return _kept(old, replicas)


def _kept(old: list, size: int) -> list:
    """The ``size`` old pods a scale-down keeps: the available ones, then those that become
    available soonest (the ReplicaSet deletes not-ready pods first)."""
    order = sorted(old, key=lambda t: (t is None, t if t is not None else 0))
    return order[:size]


def _create(state: _State, plan: Plan, new_pod: NewPod, count: int, now: int) -> None:
    for _ in range(count):
        ready, available = new_pod(len(state.ready), now)
        state.ready.append(None if ready is None else now + ready)
        state.available.append(None if available is None else now + available)
    plan.last_progress_ms = now
    if not plan.waves or plan.waves[-1] != now:
        plan.waves.append(now)


def _scale_old_down(state: _State, size: int, now: int, old_removed: OldRemoved | None) -> None:
    """The old pods removed go unavailable ones first (cleanupUnhealthyReplicas)."""
    if old_removed is not None:
        old_removed(len(state.old) - size, now)
    state.old = _kept(state.old, size)


def _play(state: _State, plan: Plan, replicas: int, settle, deadline_seconds: int | None,
          wake: list | None = None) -> Plan:
    """Settle each instant in turn, from t0 to completion or the progress deadline.

    Ends: every instant visited is strictly later than the one before, and there are at
    most two per new pod (ready, available), one per old pod and the ``wake`` instants."""
    now, seen_ready, seen_available = 0, 0, 0
    while True:
        settle(now)
        ready = state.counted(state.ready, now)
        available = state.counted(state.available, now)
        old_available = state.counted(state.old, now)
        if ready > seen_ready or available > seen_available:
            plan.last_progress_ms = now
        seen_ready, seen_available = ready, available
        plan.peak_pods = max(plan.peak_pods, state.new + len(state.old))
        plan.min_available = min(plan.min_available, available + old_available)
        plan.new_replicas, plan.new_available = state.new, available
        if state.new == replicas and available == replicas and not state.old:
            plan.complete_ms = now
            return plan
        later = [t for t in (*state.ready, *state.available, *state.old, *(wake or ()))
                 if t is not None and t > now]
        deadline = None
        if rm.has_progress_deadline(deadline_seconds):
            # the controller looks again a second after the deadline has passed
            deadline = plan.last_progress_ms + deadline_seconds * 1000 + 1000
        if deadline is not None and (not later or deadline <= min(later)):
            plan.deadline_ms = deadline
            return plan
        if not later:
            return plan  # stuck for ever: no deadline to report it
        now = min(later)
