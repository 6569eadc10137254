"""Scenario files: export a simulation as the commands that reproduce it, and import one as a new
simulation by replaying them (the file's format and checks: `scenario_file`).

What reproduces a simulation exactly, from its records: the engine settings; since its last reset
(a reset's cluster came from elsewhere), the engine snapshot the reset recorded as the starting
state; then every accepted command and every clock change (both are deltas: they number the
history, and the objects' resourceVersions follow that numbering), each at its simulated time;
the steps between are implied by the times. Refused commands change nothing and are left out.

The import replays through the custodian (`live`), so each command, clock note and step batch
runs in the new simulation's worker, in time slices, as on the live path; the new simulation is
paused and nobody holds its lease while it replays, so no clock advances it. Any failure deletes
it: nothing is created.
"""
from __future__ import annotations

import copy
import logging

from django.db import DatabaseError
from django.db.models import Max

from rolloutviz import demos, spoken
from rolloutviz.models import (
    CommandRecord,
    Deployment,
    Simulation,
    Snapshot,
    TickRecord,
)
from rolloutviz.runner import WorkerLost
from rolloutviz.services import commands, live, running_manifest
from rolloutviz.services import scenario_file as fmt
from rolloutviz.services.errors import InvalidInput
from rolloutviz.services.simulations import simulation_delete, simulation_get
from simulator import Cluster
from simulator.errors import FieldError, ValidationError

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- clock notes


def clock_detail(args: dict, reason: str = "") -> str:
    """The clock delta's marker detail for a change of ``args`` (``running``, ``speed``) and ``reason``,
    as the custodian words it."""
    parts = ([f"running={bool(args['running'])}"] if "running" in args else []) + (
        [f"speed={float(args['speed'])}"] if "speed" in args else [])
    return ", ".join(parts + ([reason] if reason else []))


def clock_note(detail: str) -> tuple[dict, str]:
    """(``args``, ``reason``) of a clock delta's marker detail: `clock_detail` read back."""
    args, parts = {}, detail.split(", ") if detail else []
    if parts and parts[0] in ("running=True", "running=False"):
        args["running"] = parts.pop(0) == "running=True"
    if parts and parts[0].startswith("speed="):
        try:
            args["speed"] = float(parts[0][len("speed="):])
            parts.pop(0)
        except ValueError:  # a reason that happens to start so
            pass
    return args, ", ".join(parts)


# ---------------------------------------------------------------- export


def scenario_export(*, simulation_id: int) -> dict:
    """The scenario file of a simulation at its latest seq (a JSON-ready dict)."""
    sim, manifests = _position(simulation_id)
    reset_seq = (TickRecord.objects.filter(simulation_id=sim.id, seq__lte=sim.seq, payload__cause="reset")
                 .aggregate(last=Max("seq"))["last"])
    start, after_seq, after_index = None, 0, -1
    if reset_seq is not None:
        start, after_index = _start(sim, reset_seq)
        after_seq = reset_seq
    return {
        "kind": fmt.KIND,
        "version": fmt.VERSION,
        "name": sim.name,
        "demo": sim.demo,
        "engine": {"seed": sim.seed, "tick": sim.tick, "nodes": fmt.CLUSTER_DEFAULTS["nodes"],
                   "pod_budget": live.pod_budget(), "proxy_delay": fmt.CLUSTER_DEFAULTS["proxy_delay"]},
        "manifests": manifests,
        "start": start,
        "commands": _commands(sim, after_seq, after_index),
        "position": {"t": sim.sim_time, "seq": sim.seq},
    }


def _running_manifests(simulation_id: int) -> dict[str, str]:
    return dict(Deployment.objects.filter(simulation_id=simulation_id).order_by("name")
                .values_list("name", "manifest"))


def _position(simulation_id: int, tries: int = 3) -> tuple[Simulation, dict[str, str] | None]:
    """The simulation's row and its running manifests at that row's seq: read on both sides of the row
    (a command writes both in one commit), so equal reads are the manifests at that seq; None when a
    running simulation kept changing them (the import then does not check them)."""
    for _ in range(tries):
        before = _running_manifests(simulation_id)
        sim = simulation_get(simulation_id=simulation_id)
        if _running_manifests(simulation_id) == before:
            return sim, before
    return sim, None


def _start(sim: Simulation, reset_seq: int) -> tuple[dict, int]:
    """The starting state a reset at ``reset_seq`` recorded, and the index of its CommandRecord."""
    snapshot = Snapshot.objects.filter(simulation_id=sim.id, seq=reset_seq).order_by("-id").first()
    # resets and their records correspond one to one, in order (a later reset may be committing now)
    nth = TickRecord.objects.filter(simulation_id=sim.id, seq__lte=reset_seq, payload__cause="reset").count()
    record = (CommandRecord.objects.filter(simulation_id=sim.id, name="reset", ok=True)
              .order_by("index")[nth - 1:nth].first())
    manifests = (record.args or {}).get("manifests") if record is not None else None
    if manifests is None:  # a demo's reset applies its manifest (`simulations.simulation_reset`)
        chosen = demos.get_demo(sim.demo) if sim.demo else None
        manifests = running_manifest.applied_texts(chosen.manifest) if chosen else {}
    return ({"t": snapshot.sim_time, "seq": reset_seq, "manifests": manifests, "state": snapshot.state},
            record.index if record is not None else -1)


def _commands(sim: Simulation, after_seq: int, after_index: int) -> list[dict]:
    """The accepted commands and clock changes after the start, in the order of their deltas."""
    deltas = list(TickRecord.objects.filter(simulation_id=sim.id, seq__gt=after_seq, seq__lte=sim.seq,
                                            payload__cause__in=["command", "clock"])
                  .order_by("seq").values_list("seq", "sim_time", "payload__cause", "payload__markers"))
    records = iter(CommandRecord.objects.filter(simulation_id=sim.id, index__gt=after_index, ok=True)
                   .exclude(name="reset").order_by("index"))
    entries = []
    for seq, t, cause, markers in deltas:
        if cause == "clock":
            clock = next(m for m in markers if m.get("label") == "clock")
            args, reason = clock_note(clock.get("detail", ""))
            entries.append({"t": t, "command": fmt.CLOCK, "args": args, **({"reason": reason} if reason else {})})
            continue
        record = next(records, None)
        if record is None:
            raise RuntimeError(f"simulation {sim.id}: the command delta at seq {seq} has no command record")
        entries.append(_command_entry(record))
    return entries


def _command_entry(record: CommandRecord) -> dict:
    """A recorded command as the scenario names it: by its API name and arguments where it has one."""
    label = {"label": record.label} if record.label else {}
    if record.name not in fmt.BY_METHOD:  # a Kubernetes API write
        return {"t": record.sim_time, "command": record.name, "args": record.args, **label}
    name = fmt.BY_METHOD[record.name]
    renames = fmt.NAMED[name][2]
    args = {renames[key]: value for key, value in record.args.items() if value is not None}
    return {"t": record.sim_time, "command": name, "args": args, **label}


# ---------------------------------------------------------------- import


def scenario_import(*, document, owner_session: str = "", owner_user_id: int | None = None) -> Simulation:
    """A new simulation replaying ``document`` (a decoded scenario file), paused at its position.

    Raises `ValidationError` (400) with field paths for a document that does not check, or whose
    replay is refused at some command or does not reach the recorded position; then nothing is kept.
    """
    plan = fmt.parse(document, pod_budget=live.pod_budget())
    start_cluster = _start_cluster(plan) if plan.start else None
    sim = Simulation.objects.create(
        name=plan.name or "imported scenario", seed=plan.seed, tick=plan.tick, demo=plan.demo,
        owner_session=owner_session, owner_user_id=owner_user_id,
        seq=plan.start["seq"] - 1 if plan.start else 0,  # the history begins with the start's reset
    )
    try:
        _replay(sim, plan, start_cluster)
    except BaseException as error:
        simulation_delete(simulation_id=sim.id)
        if plan.start is None or isinstance(error, (ValidationError, WorkerLost, DatabaseError)) \
                or not isinstance(error, Exception):
            raise
        # the engine state came from the file: a replay it breaks is a bad file, not a server fault
        raise ValidationError([FieldError("start.state", f"Invalid value: the replay from this engine snapshot "
                                                         f"failed: {type(error).__name__}: {error}")]) from None
    sim.refresh_from_db()
    return sim


def _start_cluster(plan: fmt.Plan) -> Cluster:
    state = copy.deepcopy(plan.start["state"])
    # The snapshot was taken after the reset named its batch start.seq; the replayed reset names it
    # again, so the restored cluster has handed over nothing past the batch before.
    if isinstance(state.get("resource_version"), int) and state["resource_version"] >= plan.start["seq"]:
        state["resource_version"] = plan.start["seq"] - 1
    try:
        cluster = Cluster.restore(state, pod_budget=live.pod_budget())
    except Exception as error:  # noqa: BLE001 - any shape of untrusted snapshot
        raise ValidationError([FieldError("start.state", f"Invalid value: the engine snapshot does not load: "
                                                         f"{type(error).__name__}: {error}")]) from None
    if cluster.now != plan.start["t"] or cluster.tick != plan.tick:
        raise ValidationError([FieldError("start.t", f"Invalid value: {plan.start['t']!r}: the snapshot is at "
                                                     f"{cluster.now:g} s with a tick of {cluster.tick:g} s")])
    return cluster


def _replay(sim: Simulation, plan: fmt.Plan, start_cluster: Cluster | None) -> None:
    if start_cluster is not None:
        live.reset(simulation_id=sim.id, cluster=start_cluster)
        for name, text in plan.start["manifests"].items():
            Deployment.objects.filter(simulation_id=sim.id, name=name).update(manifest=text)
        # the reset's record names the manifests its cluster came with: an export of this simulation
        # gives them again
        CommandRecord.objects.filter(simulation_id=sim.id, name="reset").update(
            args={"manifests": plan.start["manifests"]})
    now = plan.start_t
    for entry in plan.entries:
        now = _advance(sim, now, entry.t, plan.tick)
        _run(sim, entry)
    _advance(sim, now, plan.position_t, plan.tick)
    sim.refresh_from_db()
    if plan.position_seq is not None and sim.seq != plan.position_seq:
        raise ValidationError([FieldError("position.seq", f"Invalid value: {plan.position_seq}: the replay "
                                                          f"reaches seq {sim.seq} at t={sim.sim_time:g}")])
    if plan.manifests is not None:
        replayed = dict(Deployment.objects.filter(simulation_id=sim.id).values_list("name", "manifest"))
        for name in sorted(set(plan.manifests) | set(replayed)):
            if plan.manifests.get(name) != replayed.get(name):
                raise ValidationError([FieldError(f"manifests.{name}", "Invalid value: the replay ends with "
                                                                       "another running manifest")])
    Simulation.objects.filter(pk=sim.id).update(speed=plan.speed, running=False)


def _advance(sim: Simulation, now: float, until: float, tick: float) -> float:
    steps = round((until - now) / tick)
    if steps > 0:
        live.advance(simulation_id=sim.id, steps=steps)  # time slices in the simulation's worker
    return until


def _run(sim: Simulation, entry: fmt.Entry) -> None:
    """Replay one entry; a refusal becomes the entry's field error."""
    try:
        if entry.method == fmt.CLOCK:
            live.set_clock(simulation_id=sim.id, reason=clock_detail(entry.args, entry.reason),
                           words=spoken.clock_words(running=entry.args.get("running"), speed=entry.args.get("speed")))
            return
        args = entry.args
        if entry.deployment:
            args = {"name": commands.read(sim.id, commands.first_pod_of, entry.deployment)}
            if args["name"] is None:
                raise InvalidInput(f'no pods found for deployment "{entry.deployment}"')
        live.execute(simulation_id=sim.id, command=entry.method, args=args, label=entry.label)
    except ValidationError as error:
        raise ValidationError([FieldError(f"commands[{entry.index}]", f"refused when replayed at "
                                                                      f"t={entry.t:g}: {error}")]) from None
    except (LookupError, ValueError, InvalidInput) as error:
        message = error.args[0] if error.args else str(error)
        raise ValidationError([FieldError(f"commands[{entry.index}]", f"refused when replayed at "
                                                                      f"t={entry.t:g}: {message}")]) from None
