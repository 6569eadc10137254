"""A comparison's one clock: its members stepped together, its commands run on every member at one
instant, and play, pause, speed and single steps for the whole group.

Only the holder of the comparison's lease (`rolloutviz.clock.comparison_lease`) steps the members or
runs its commands: the clock host while it plays (`rolloutviz.clock.comparison_registry`), else the
request that steps it or sends a command. Every step first brings each member to the same target
time (`lockstep_steps`), so a member left behind by a failed step catches up at the next one and
the members are at one simulated instant whenever a command runs.
"""
from __future__ import annotations

import logging
import time
import uuid

from django.db import transaction

from rolloutviz import limits
from rolloutviz.clock import comparison_lease
from rolloutviz.models import Comparison, ComparisonCommand
from rolloutviz.services import commands, live, manifests, named_commands
from rolloutviz.services.comparison_members import member_ids, member_times
from rolloutviz.services.errors import InvalidInput, NotFound, Refused, ServiceError
from simulator.errors import ValidationError

logger = logging.getLogger(__name__)

MAX_STEPS = 3600  # one request never advances more than an hour of ticks (as a simulation's step)
# commands a comparison runs on its members: the named commands but the clock's own, and apply
GROUP_COMMANDS = frozenset(set(named_commands.COMMANDS) - {"clock", "step", "reset"}) | {"apply"}
MAX_DRAIN = 20  # commands one holder runs before it lets go (the next holder runs the rest)
HANDOVER_SECONDS = 1.0  # how long a request waits for a clock host that is letting go of the lease
HANDOVER_POLL = 0.05


def lockstep_steps(times: dict[int, float], tick: float, steps: int) -> dict[int, int]:
    """Steps each member takes so all reach the latest member's time plus ``steps`` ticks."""
    target = max(times.values()) + steps * tick
    return {sid: round((target - t) / tick) for sid, t in times.items()}


def step_members(comparison_id: int, tick: float, steps: int, owner: str = "") -> None:
    """Advance every member to the same instant ``steps`` ticks on (the lease holder only: ``owner``'s
    lease is renewed after each member, as a long step may outlast it)."""
    for sid, count in lockstep_steps(member_times(comparison_id), tick, steps).items():
        if count > 0:
            live.advance(simulation_id=sid, steps=count)
            if owner:
                comparison_lease.renew(comparison_id, owner)


# ---------------------------------------------------------------- commands


def check_command(name, args) -> dict:
    """The command's arguments as a group command takes them, or the refusal (nothing is queued)."""
    if name not in GROUP_COMMANDS:
        raise NotFound(f'unknown command "{name}"; one of {", ".join(sorted(GROUP_COMMANDS))}')
    if not isinstance(args, dict):
        raise InvalidInput("request body: must be a JSON object")
    if name == "apply":
        unknown = sorted(set(args) - {"yaml"})
        if unknown:
            raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])
        manifests.manifest_load(yaml_text=args.get("yaml"))
        return {"yaml": args["yaml"]}
    return named_commands.checked_arguments(name, args)


def _run_on(simulation_id: int, name: str, args: dict) -> dict:
    """One member's outcome of a group command: ``{"simulation", "result"}`` or ``{"simulation", "errors", "status"}``."""
    try:
        if name == "apply":
            result = commands.manifest_apply(simulation_id=simulation_id, yaml_text=args["yaml"])
        else:
            result = named_commands.run_named_command(simulation_id=simulation_id, name=name, args=args)
        return {"simulation": simulation_id, "result": result}
    except ServiceError as refusal:
        return {"simulation": simulation_id, "errors": refusal.errors, "status": refusal.status}
    except ValidationError as refusal:
        return {"simulation": simulation_id, "errors": [e.as_dict() for e in refusal.errors] or
                [{"field": "", "message": str(refusal), "line": None}], "status": 400}
    except Exception as failure:  # noqa: BLE001 - recorded for this member: never run twice on the others
        logger.exception("comparison command %s on simulation %s failed", name, simulation_id)
        return {"simulation": simulation_id, "errors": [{"field": None, "message": f"failed: {failure}", "line": None}],
                "status": 500}


def drain(comparison_id: int, owner: str) -> int:
    """Run the waiting commands, oldest first, each on every member at one instant (the lease holder
    only; it stops when the lease is no longer ``owner``'s). Returns how many ran."""
    ran = 0
    while ran < MAX_DRAIN:
        clock = comparison_lease.renew(comparison_id, owner)
        waiting = ComparisonCommand.objects.filter(comparison_id=comparison_id, done=False).order_by("id").first()
        if clock is None or waiting is None:
            break
        step_members(comparison_id, clock.tick, 0, owner)  # a member left behind catches up first
        times = member_times(comparison_id)
        results = [_run_on(sid, waiting.name, waiting.args) for sid in member_ids(comparison_id)]
        ComparisonCommand.objects.filter(pk=waiting.pk).update(
            done=True, results=results, sim_time=max(times.values(), default=None))
        ran += 1
    return ran


def _hold(comparison_id: int, owner: str, *, wait: bool, running: bool | None = None):
    """Take the lease for a request, waiting up to `HANDOVER_SECONDS` when ``wait``; its clock state or None."""
    deadline = time.monotonic() + (HANDOVER_SECONDS if wait else 0.0)
    while True:
        clock = comparison_lease.acquire(comparison_id, owner, running=running)
        if clock is not None or time.monotonic() >= deadline:
            return clock
        time.sleep(HANDOVER_POLL)


def let_go(comparison_id: int, owner: str) -> None:
    """Run what waits, then give the lease up (a bounded number of rounds; then it just expires)."""
    for _ in range(MAX_DRAIN):
        if comparison_lease.release_if_idle(comparison_id, owner):
            return
        drain(comparison_id, owner)
    comparison_lease.release(comparison_id, owner)


def group_command(*, comparison_id: int, name: str, args: dict) -> dict:
    """Send a command to every member: run at once when nobody drives the comparison (``{"done": true,
    "t", "results"}``, one result per member), else queued for its clock, which runs it between two
    steps (``{"done": false, "id"}``). Bad arguments are refused before anything is queued."""
    args = check_command(name, args)
    if not Comparison.objects.filter(pk=comparison_id).exists():
        raise NotFound(f"comparison {comparison_id} not found")
    queued = ComparisonCommand.objects.create(comparison_id=comparison_id, name=name, args=args)
    owner = f"request:{uuid.uuid4().hex}"
    if _hold(comparison_id, owner, wait=False) is None:
        return {"done": False, "id": queued.pk}
    try:
        drain(comparison_id, owner)
    finally:
        let_go(comparison_id, owner)
    queued.refresh_from_db()
    return {"done": queued.done, "id": queued.pk, "t": queued.sim_time, "results": queued.results}


# ---------------------------------------------------------------- play, pause, speed, step


def clock_set(*, comparison_id: int, running=None, speed=None) -> dict:
    """Play or pause the comparison's clock and/or set its speed (one of the simulations' speeds)."""
    if running is not None and not isinstance(running, bool):
        raise InvalidInput("running: must be true or false", field="running")
    if speed is not None and (isinstance(speed, bool) or not isinstance(speed, (int, float))
                              or float(speed) not in live.SPEEDS):
        supported = ", ".join(f"{s:g}" for s in live.SPEEDS)
        raise InvalidInput(f"speed: Unsupported value: {speed!r}: supported values: {supported}", field="speed")
    fields = {k: v for k, v in (("running", running), ("speed", None if speed is None else float(speed)))
              if v is not None}
    if running:
        found = Comparison.objects.filter(pk=comparison_id).first()
        if found is None:
            raise NotFound(f"comparison {comparison_id} not found")
        limits.check_running_comparison(found)
    with transaction.atomic():
        if fields and not Comparison.objects.filter(pk=comparison_id).update(**fields):
            raise NotFound(f"comparison {comparison_id} not found")
        row = Comparison.objects.filter(pk=comparison_id).values("running", "speed").first()
    if row is None:
        raise NotFound(f"comparison {comparison_id} not found")
    return {"running": row["running"], "speed": row["speed"]}


def clock_step(*, comparison_id: int, count=1) -> dict:
    """Advance every member ``count`` ticks together (the clock paused); ``{"t"}`` after it."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_STEPS:
        raise InvalidInput(f"count: must be an integer from 1 to {MAX_STEPS}", field="count")
    if not Comparison.objects.filter(pk=comparison_id).exists():
        raise NotFound(f"comparison {comparison_id} not found")
    owner = f"request:{uuid.uuid4().hex}"
    clock = _hold(comparison_id, owner, wait=True, running=False)
    if clock is None:
        raise Refused("the comparison's clock is running: pause it to step")
    try:
        step_members(comparison_id, clock.tick, count, owner)
    finally:
        let_go(comparison_id, owner)
    return {"t": max(member_times(comparison_id).values(), default=0.0)}
