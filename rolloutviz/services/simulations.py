"""Simulations as a whole: create (optionally from a demo), list, read, delete, reset, and
the clock (run/pause, speed, single step)."""
from __future__ import annotations

from django.db import transaction

from rolloutviz import demos, limits, permissions, protocol
from rolloutviz.models import Deployment, Simulation
from rolloutviz.permissions import Principal, Role
from rolloutviz.services import commands, live, running_manifest
from rolloutviz.services.comparison_members import refuse_member_clock
from rolloutviz.services.errors import InvalidInput, NotFound
from simulator.timers import ms, seconds

MAX_NAME_LENGTH = 200
MAX_SEED = 2**63 - 1
MAX_STEPS = 3600  # one request never advances more than an hour of ticks
MIN_TICK, MAX_TICK = 0.1, 10.0  # simulated seconds per step


def simulation_create(*, name: str = "", seed: int = 0, demo: str | None = None,
                      tick: float = 1.0, owner_session: str = "", owner_user_id: int | None = None) -> Simulation:
    """A new simulation, paused at t=0; from a built-in demo, with its manifest applied.

    ``owner_session`` (a session's owner id, `permissions.owner_id`) and ``owner_user_id`` say
    who owns it (neither: the operator)."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or "\0" in name:
        raise InvalidInput(f"name: must be a string of at most {MAX_NAME_LENGTH} characters, "
                           "without the NUL character", field="name")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidInput(f"seed: must be an integer from 0 to {MAX_SEED}", field="seed")
    if (isinstance(tick, bool) or not isinstance(tick, (int, float))
            or not MIN_TICK <= tick <= MAX_TICK or seconds(ms(tick)) != tick):
        raise InvalidInput(f"tick: must be a number from {MIN_TICK:g} to {MAX_TICK:g} "
                           "in whole milliseconds", field="tick")
    chosen = None
    if demo:
        chosen = demos.get_demo(demo) if isinstance(demo, str) else None
        if chosen is None:
            keys = ", ".join(d.key for d in demos.all_demos())
            raise InvalidInput(f"demo: Unsupported value: {demo!r}: supported values: {keys}",
                               field="demo")
    with transaction.atomic():
        sim = Simulation.objects.create(
            name=name or (chosen.title if chosen else ""), seed=seed, tick=float(tick),
            demo=chosen.key if chosen else "", owner_session=owner_session, owner_user_id=owner_user_id,
        )
        if chosen:
            commands.manifest_apply(simulation_id=sim.id, yaml_text=chosen.manifest)
    return sim


def simulation_list(who: Principal) -> list[dict]:
    """The simulations ``who`` has a role in, as the API lists them (each with that role)."""
    return [simulation_summary(sim, permissions.role_in(who, sim))
            for sim in permissions.visible(who).order_by("id")]


def simulation_summary(sim: Simulation, role: Role | None = None) -> dict:
    """``{"id", "name", "t", "seq", "speed", "running", ..., "role"}`` of one simulation."""
    return {"id": sim.id, "name": sim.name, "t": sim.sim_time, "seq": sim.seq,
            "speed": sim.speed, "running": sim.running, "demo": sim.demo, "seed": sim.seed,
            "tick": sim.tick, "public": sim.public, "role": role.name.lower() if role else None}


def simulation_get(*, simulation_id: int) -> Simulation:
    """The simulation row, or `NotFound`."""
    try:
        return Simulation.objects.get(pk=simulation_id)
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None


def simulation_state(*, simulation_id: int) -> dict:
    """The snapshot ``state`` at the current time (contracts.md §2)."""
    try:
        return live.state(simulation_id=simulation_id)
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None


def simulation_state_text(*, simulation_id: int) -> str:
    """`simulation_state` as JSON text, the very text viewers' snapshots carry (built once per seq)."""
    try:
        return live.state_text(simulation_id=simulation_id)
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None


def simulation_delete(*, simulation_id: int) -> None:
    """Delete a simulation and its whole history; its viewers are told it is gone."""
    with transaction.atomic():
        deleted, _ = Simulation.objects.filter(pk=simulation_id).delete()
        if not deleted:
            raise NotFound(f"simulation {simulation_id} not found")
        transaction.on_commit(lambda: _gone(simulation_id))


def _gone(simulation_id: int) -> None:
    live.forget(simulation_id)
    live.publish(simulation_id, [protocol.layer_gone(simulation_id=simulation_id)])


def simulation_reset(*, simulation_id: int) -> int:
    """Back to t=0 with the same seed: empty, or a demo's first manifest applied.

    The recorded history keeps the reset (a command and a delta), so export and replay show
    it. Returns the new seq.
    """
    sim = simulation_get(simulation_id=simulation_id)
    refuse_member_clock(simulation_id)
    chosen = demos.get_demo(sim.demo) if sim.demo else None
    cluster = live.new_cluster(sim)
    if chosen:
        cluster.apply(chosen.manifest)
    with transaction.atomic():
        seq = live.reset(simulation_id=simulation_id, cluster=cluster)
        if chosen:
            for name, text in running_manifest.applied_texts(chosen.manifest).items():
                Deployment.objects.filter(simulation_id=simulation_id, name=name).update(manifest=text)
    return seq


def clock_set(*, simulation_id: int, running: bool | None = None,
              speed: float | None = None) -> dict:
    """Run or pause the clock and/or set its speed (0.5, 1, 2, 5, 10 or 50 sim-s per s).

    Starting a clock is refused (`limits.Limited`) when the simulation's owner already has
    as many running as `limits.check_running` allows."""
    if running is not None and not isinstance(running, bool):
        raise InvalidInput("running: must be true or false", field="running")
    if speed is not None and (isinstance(speed, bool) or not isinstance(speed, (int, float))):
        raise InvalidInput("speed: must be a number", field="speed")
    sim = simulation_get(simulation_id=simulation_id)
    refuse_member_clock(simulation_id)
    if running:
        limits.check_running(sim)
    state = live.set_clock(simulation_id=simulation_id, running=running, speed=speed)
    return {"running": state.running, "speed": state.speed, "t": state.t, "seq": state.seq}


def clock_step(*, simulation_id: int, count: int = 1) -> dict:
    """Advance ``count`` ticks at once (single-step mode), one delta per tick."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_STEPS:
        raise InvalidInput(f"count: must be an integer from 1 to {MAX_STEPS}", field="count")
    simulation_get(simulation_id=simulation_id)
    refuse_member_clock(simulation_id)
    state = live.advance(simulation_id=simulation_id, steps=count)
    return {"running": state.running, "speed": state.speed, "t": state.t, "seq": state.seq}
