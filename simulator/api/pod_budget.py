"""The per-simulation pod budget, checked like an admission quota before anything changes.

Every Deployment may run `replicas + maxSurge` pods during a rollout (Recreate: no surge)
and every ReplicaSet that no Deployment owns its `replicas`; their sum over the
simulation is its demand, which may not grow past the budget. As with a ResourceQuota,
a change that lowers the demand is always admitted, even above the budget (a simulation
restored from a snapshot taken with a larger budget keeps running as it was).
"""
from __future__ import annotations

from simulator.controllers.deployment import rollout_math as rm
from simulator.errors import FieldError

DEFAULT_POD_BUDGET = 5_000
REPLICAS_FIELD = "spec.replicas"


def demand(kind: str, spec: dict) -> int:
    """Pods one object may ask for: a ReplicaSet's replicas, a Deployment's replicas plus
    its resolved maxSurge (0 for Recreate). `spec` is the defaulted spec."""
    replicas = spec.get("replicas", 1)
    if kind != "Deployment":
        return replicas
    strategy = spec.get("strategy") or {}
    rolling = strategy.get("rollingUpdate") or {}
    return replicas + rm.max_surge(replicas, rolling.get("maxSurge"), rolling.get("maxUnavailable"),
                                   strategy.get("type", rm.ROLLING_UPDATE))


def refusals(budget: int, current: dict, planned: dict) -> dict:
    """The field errors of the planned objects that would take the simulation past its
    budget, by key; empty when the plan is admitted.

    `current` maps every object's key to its demand now; `planned` maps the keys of the
    objects a command changes (or creates) to their (kind, new defaulted spec)."""
    before = sum(current.values())
    wanted = dict(current)
    for key, (kind, spec) in planned.items():
        wanted[key] = demand(kind, spec)
    after = sum(wanted.values())
    if after <= budget or after <= before:
        return {}
    room = max(budget, before)
    errors = {}
    for key, (kind, spec) in planned.items():
        if wanted[key] > current.get(key, 0):
            others = after - wanted[key]
            errors[key] = FieldError(REPLICAS_FIELD, _message(kind, spec, budget, room - others, others))
    return errors


def _message(kind: str, spec: dict, budget: int, room: int, others: int) -> str:
    replicas = spec.get("replicas", 1)
    what = (f"this simulation's pod budget of {budget} for replicas + maxSurge of all "
            f"Deployments and ReplicaSets ({others} used by the others)")
    limit = max_replicas(kind, spec, room)
    if limit < 0:
        return f"Invalid value: {replicas}: exceeds {what}"
    return f"Invalid value: {replicas}: must be less than or equal to {limit} within {what}"


def max_replicas(kind: str, spec: dict, room: int) -> int:
    """The most replicas the object could have with its other settings unchanged and its
    demand within `room` (-1 if not even 0 fits, e.g. a fixed maxSurge larger than room)."""
    def fits(replicas: int) -> bool:
        return demand(kind, {**spec, "replicas": replicas}) <= room
    # demand grows with replicas by 1 to 2 per replica (a percentage surge rounds up), so the
    # answer lies between room // 2 and room: bisect
    low, high = -1, max(room, -1)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low
