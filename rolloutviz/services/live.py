"""Custody of each simulation's authoritative `Cluster`: every change to it goes through here.

How the state is kept, correct with any number of processes:

* **The database is the truth.** The state of a simulation at ``seq`` S is
  ``Cluster.restore(latest Snapshot with seq <= S)`` followed by one ``step()`` for each
  step TickRecord after that snapshot (commands and resets always write a snapshot; clock
  changes leave the cluster as it is). Without a snapshot the start is
  ``Cluster(seed=sim.seed, tick=sim.tick)``. The simulator is deterministic, so this is
  exactly the state that produced those deltas. A snapshot that no longer loads (another
  simulator version) is replaced by replaying the whole history: seed, steps and the
  accepted CommandRecords in order.
* **One change = one mutation = one new seq.** A step, a command, a clock change or a reset
  runs inside one transaction that holds the Simulation row's write lock
  (``select_for_update`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``, set in settings). In
  it the process brings its copy up to the row's seq, applies the change, writes the
  TickRecord (the delta exactly as published), the CommandRecord, a Snapshot (after every
  command, reset, and every `SNAPSHOT_EVERY` steps) and moves ``Simulation.seq`` with a
  compare-and-set on the old seq. The delta is published after the commit.
* So a command reaching **any** process is applied exactly once, at the sim time the row
  shows when that process gets the lock; the clock's process notices that seq moved and
  catches up (steps replayed, or a reload from the new snapshot) before its next step.
* **Steps from the clock carry the lease owner** and are skipped (``None``) unless the row
  still names that owner and is running: after a takeover the old holder adds nothing.
* Each process caches ``(seq, Cluster, TimelineRecorder)`` per simulation. A cache entry is
  only stored after its transaction committed and is only used when its seq equals the row's,
  so a rolled-back or failed change can never leak into later ones.

Commands are the `Cluster` methods named in `COMMANDS`, called with ``args`` as keyword
arguments (the method's own parameter names, e.g. ``scale``: ``{"name", "replicas"}``).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rolloutviz import protocol
from rolloutviz.clock.lease import ClockState, lease_seconds
from rolloutviz.models import CommandRecord, Deployment, Simulation, Snapshot, TickRecord
from rolloutviz.services import running_manifest
from rolloutviz.services.mirror import sync_from_cluster
from rolloutviz.timeline import REVISION_ANNOTATION, TimelineRecorder
from simulator import Cluster, ValidationError
from simulator.errors import FieldError
from simulator.kubectl.printers import describe_deployment

logger = logging.getLogger(__name__)

COMMANDS = frozenset(
    {
        "apply",
        "scale",
        "set_image",
        "rollout_undo",
        "rollout_pause",
        "rollout_resume",
        "rollout_restart",
        "delete_pod",
        "set_node_ready",
    }
)
# Deltas redone after a snapshot: steps, and clock changes (which leave the cluster as it is).
# Every other cause (command, reset) writes a snapshot in its own transaction.
REPLAYABLE = frozenset({"step", "clock"})
SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 50.0)
# Arguments too bulky for a timeline marker's detail.
BULKY_ARGS = frozenset({"yaml", "source", "yaml_text_or_dicts", "manifest", "manifests"})


def cache_size() -> int:
    """Simulations a process keeps in memory (setting ``LIVE_CACHE_SIZE``); the rest reload on use."""
    return int(getattr(settings, "LIVE_CACHE_SIZE", 32))


def snapshot_every() -> int:
    """Steps between periodic snapshots (setting ``SNAPSHOT_EVERY``; replay after a restart is at most this)."""
    return int(getattr(settings, "SNAPSHOT_EVERY", 50))


class StateMoved(RuntimeError):
    """The Simulation row's seq changed under a mutation that held its lock (should not happen)."""


@dataclass
class _Live:
    """One process's copy of a simulation at ``seq``."""

    seq: int
    cluster: Cluster
    timeline: TimelineRecorder
    snapshot_seq: int  # seq of the snapshot the cluster was last saved in
    created: object  # the row's creation time: a reused id (a flushed database) is another simulation


_cache: dict[int, _Live] = {}
_locks: dict[int, threading.RLock] = {}
_locks_guard = threading.Lock()


def _lock(simulation_id: int) -> threading.RLock:
    with _locks_guard:
        return _locks.setdefault(simulation_id, threading.RLock())


def forget(simulation_id: int | None = None) -> None:
    """Drop this process's cached copies (all, or one simulation's); the next use reloads from the DB."""
    with _locks_guard:
        if simulation_id is None:
            _cache.clear()
        else:
            _cache.pop(simulation_id, None)


def _keep(simulation_id: int, live: _Live) -> None:
    """Cache ``live`` as the most recently used copy, dropping the least recently used ones."""
    with _locks_guard:  # the cache is shared by the threads of every simulation
        _cache.pop(simulation_id, None)
        _cache[simulation_id] = live
        while len(_cache) > cache_size():
            _cache.pop(next(iter(_cache)))


# ---------------------------------------------------------------- loading


def _fresh_cluster(sim: Simulation) -> Cluster:
    return Cluster(seed=sim.seed, tick=sim.tick)


def _payloads(sim_id: int, after: int, upto: int) -> list[dict]:
    return list(_stream_payloads(sim_id, after, upto))


def _stream_payloads(sim_id: int, after: int, upto: int):
    """Stored deltas in seq order, fetched in chunks (a long simulation has many)."""
    rows = TickRecord.objects.filter(simulation_id=sim_id, seq__gt=after, seq__lte=upto).order_by("seq")
    return rows.values_list("payload", flat=True).iterator(chunk_size=500)


def _restore(sim: Simulation) -> tuple[Cluster, int]:
    """The cluster at ``sim.seq`` from the DB: latest snapshot, then its steps replayed."""
    snapshot = (
        Snapshot.objects.filter(simulation_id=sim.id, seq__lte=sim.seq).order_by("-seq", "-id").first()
    )
    if snapshot is None:
        cluster, base = _fresh_cluster(sim), 0
    else:
        try:
            cluster, base = Cluster.restore(snapshot.state), snapshot.seq
        except (ValueError, KeyError, TypeError) as error:  # e.g. written by an older simulator
            logger.warning("simulation %s: snapshot at seq %s does not load (%r); replaying its history",
                           sim.id, snapshot.seq, error)
            return _replay_history(sim), 0
    for payload in _stream_payloads(sim.id, base, sim.seq):
        _replay(cluster, payload)
    return cluster, base


def _replay_history(sim: Simulation) -> Cluster:
    """The cluster rebuilt from the seed, every step and every accepted command, in seq order.

    Accepted commands and command deltas correspond one to one, in order (a refused command
    has no delta). A reset's cluster came from its caller, so history before it cannot be redone.
    """
    cluster = _fresh_cluster(sim)
    commands = iter(CommandRecord.objects.filter(simulation_id=sim.id, ok=True).order_by("index"))
    for payload in _stream_payloads(sim.id, 0, sim.seq):
        cause = payload.get("cause")
        if cause == "command":
            command = next(commands)
            getattr(cluster, command.name)(**command.args)
            cluster.take_changes()
        elif cause == "reset":
            raise StateMoved(f"simulation {sim.id}: no loadable snapshot after its reset at seq {payload['seq']}")
        else:
            _replay(cluster, payload)
    return cluster


def _replay(cluster: Cluster, payload: dict) -> None:
    """Redo one recorded delta that came after the last snapshot (only steps change the cluster)."""
    cause = payload.get("cause")
    if cause == "step":
        cluster.step()
    elif cause not in REPLAYABLE:
        raise StateMoved(f"seq {payload['seq']} ({cause}) should have been followed by a snapshot")


def _load(sim: Simulation) -> _Live:
    """This process's copy of ``sim`` brought to ``sim.seq`` (caller holds the process lock)."""
    live = _cache.get(sim.id)
    if live is not None and live.created != sim.created:
        live = None
    if live is not None and live.seq == sim.seq:
        _keep(sim.id, live)
        return live
    try:
        if live is not None and live.seq < sim.seq:
            _catch_up(sim, live)
            return live
        cluster, snapshot_seq = _restore(sim)
        timeline = TimelineRecorder.rebuild(_stream_payloads(sim.id, 0, sim.seq))
    except BaseException:
        _cache.pop(sim.id, None)
        raise
    live = _Live(seq=sim.seq, cluster=cluster, timeline=timeline, snapshot_seq=snapshot_seq, created=sim.created)
    _keep(sim.id, live)
    return live


def _catch_up(sim: Simulation, live: _Live) -> None:
    """Bring a cached copy forward over deltas another process committed."""
    payloads = _payloads(sim.id, live.seq, sim.seq)
    if all(p.get("cause") in REPLAYABLE for p in payloads) and len(payloads) <= snapshot_every():
        for payload in payloads:  # replaying steps is cheaper than a restore
            _replay(live.cluster, payload)
    else:
        live.cluster, live.snapshot_seq = _restore(sim)
    for payload in payloads:
        live.timeline = live.timeline.fold(payload)
    live.seq = sim.seq


# ---------------------------------------------------------------- views of a cluster


def _revision_images(cluster: Cluster, deployment: str) -> dict[int, list[str]]:
    images: dict[int, list[str]] = {}
    for rs in cluster.list("replicaset"):
        owners = rs.get("metadata", {}).get("ownerReferences") or []
        if not any(o.get("kind") == "Deployment" and o.get("name") == deployment for o in owners):
            continue
        revision = (rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION)
        if revision is not None:
            containers = rs.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
            images[int(revision)] = [c.get("image", "") for c in containers]
    return images


def deployment_info(cluster: Cluster, name: str) -> dict:
    """A Deployment's ``rollout_status`` and ``history`` (each revision with its images)."""
    message, done = cluster.rollout_status(name)
    images = _revision_images(cluster, name)
    history = [
        {**entry, "images": entry.get("images") or images.get(int(entry["revision"]), [])}
        for entry in cluster.rollout_history(name)
    ]
    return {"rollout_status": {"message": message, "done": bool(done)}, "history": history}


def _touched_deployments(cluster: Cluster, changes: list[dict]) -> list[str]:
    names = set()
    for change in changes:
        if change["kind"] == "Deployment" and change["type"] != "DELETED":
            names.add(change["name"])
        elif change["kind"] == "ReplicaSet":
            for owner in change["object"].get("metadata", {}).get("ownerReferences") or []:
                if owner.get("kind") == "Deployment":
                    names.add(owner.get("name"))
    existing = {d["metadata"]["name"] for d in cluster.list("deployment")}
    return sorted(names & existing)


def _split(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """Step records → (object changes, event objects)."""
    changes = [r for r in records if r.get("type") != "EVENT"]
    events = [r["object"] for r in records if r.get("type") == "EVENT"]
    return changes, events


def state_of(sim: Simulation, live: _Live) -> dict:
    """The snapshot ``state`` (contracts.md §2) of a simulation whose copy is ``live``."""
    cluster = live.cluster
    manifests = dict(
        Deployment.objects.filter(simulation_id=sim.id).values_list("name", "manifest")
    )
    deployments = {}
    for obj in cluster.list("deployment"):
        name = obj["metadata"]["name"]
        deployments[name] = {
            "manifest": manifests.get(name, ""),
            **deployment_info(cluster, name),
            "describe": describe_deployment(cluster, name),
        }
    return protocol.state_dict(
        sim=sim.id,
        seq=live.seq,
        t=cluster.now,
        clock=protocol.clock_info(running=sim.running, speed=sim.speed),
        objects={
            "deployments": cluster.list("deployment"),
            "replicasets": cluster.list("replicaset"),
            "pods": cluster.list("pod"),
            "nodes": cluster.list("node"),
        },
        events=cluster.list("event"),
        deployments=deployments,
        timeline=live.timeline.as_dict(),
    )


# ---------------------------------------------------------------- reading


def state(*, simulation_id: int) -> dict:
    """The current snapshot ``state`` of a simulation (raises Simulation.DoesNotExist)."""
    with _lock(simulation_id):
        sim = Simulation.objects.get(pk=simulation_id)
        return state_of(sim, _load(sim))


def snapshot_text(*, simulation_id: int) -> tuple[int, str]:
    """(seq, the encoded snapshot message) — what a viewer gets on connect and on resync."""
    current = state(simulation_id=simulation_id)
    return current["seq"], protocol.encode(protocol.snapshot_message(current))


def cluster_for_read(*, simulation_id: int) -> Cluster:
    """A private copy of the simulation's current cluster, for text views and queries."""
    with _lock(simulation_id):
        sim = Simulation.objects.get(pk=simulation_id)
        return Cluster.restore(_load(sim).cluster.snapshot())


# ---------------------------------------------------------------- changing


class _Mutation:
    """One change inside the row lock: writes the records, queues the publication."""

    def __init__(self, sim: Simulation, live: _Live) -> None:
        self.sim, self.live = sim, live
        self.start_seq = sim.seq
        self.messages: list[dict] = []
        self.ticks: list[TickRecord] = []
        self.mirror = False

    def delta(self, *, cause: str, records: list[dict], command_markers: list[dict] = (), all_deployments=False,
              manifests: dict[str, dict] | None = None) -> None:
        """Record and queue one delta; ``manifests`` (name -> manifest facts) only when a command changed them."""
        cluster, live = self.live.cluster, self.live
        changes, events = _split(records)
        markers, patch = live.timeline.record(
            t=cluster.now, changes=changes, events=events, command_markers=command_markers
        )
        names = (
            sorted(d["metadata"]["name"] for d in cluster.list("deployment"))
            if all_deployments
            else _touched_deployments(cluster, changes)
        )
        live.seq += 1
        message = protocol.delta_message(
            sim=self.sim.id,
            seq=live.seq,
            t=cluster.now,
            cause=cause,
            changes=changes,
            events=events,
            deployments={name: {**deployment_info(cluster, name), **(manifests or {}).get(name, {})} for name in names},
            clock=protocol.clock_info(running=self.sim.running, speed=self.sim.speed),
            markers=markers,
            timeline=patch,
        )
        text = protocol.encode(message)
        self.ticks.append(TickRecord(simulation_id=self.sim.id, seq=live.seq, sim_time=cluster.now, payload=message))
        self.messages.append(protocol.layer_delta(seq=live.seq, text=text))
        self.mirror = self.mirror or any(c["kind"] in ("Deployment", "ReplicaSet") for c in changes)

    def snapshot(self) -> None:
        Snapshot.objects.create(
            simulation_id=self.sim.id, seq=self.live.seq, sim_time=self.live.cluster.now,
            state=self.live.cluster.snapshot(),
        )
        self.live.snapshot_seq = self.live.seq

    def commit(self, **row_fields) -> None:
        """Write the deltas, move the row's seq (compare-and-set), publish after commit."""
        TickRecord.objects.bulk_create(self.ticks)
        moved = Simulation.objects.filter(pk=self.sim.id, seq=self.start_seq).update(
            seq=self.live.seq, sim_time=self.live.cluster.now, updated=timezone.now(), **row_fields
        )
        if moved != 1:
            raise StateMoved(f"simulation {self.sim.id} moved past seq {self.start_seq} under its lock")
        for field, value in row_fields.items():
            setattr(self.sim, field, value)
        self.sim.seq, self.sim.sim_time = self.live.seq, self.live.cluster.now
        if self.mirror:
            sync_from_cluster(simulation=self.sim, cluster=self.live.cluster)
        live, sim_id, messages = self.live, self.sim.id, self.messages
        transaction.on_commit(lambda: _committed(sim_id, live, messages))


def _committed(simulation_id: int, live: _Live, messages: list[dict]) -> None:
    with _lock(simulation_id):
        current = _cache.get(simulation_id)
        if current is None or current.created != live.created or current.seq < live.seq:
            _keep(simulation_id, live)
        publish(simulation_id, messages)


def publish(simulation_id: int, messages: list[dict]) -> None:
    """Send layer messages to the simulation's group; a failure is logged (viewers re-sync by seq)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    group = protocol.group_name(simulation_id)
    try:
        for message in messages:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # the state is committed; a viewer that misses a delta sees the seq gap
        logger.exception("publishing to %s failed", group)


def _mutate(simulation_id: int, change, allowed=lambda sim: True):
    """Run ``change(mutation)`` on the locked row and this process's copy, in one transaction.

    Returns None without changing anything when ``allowed(row)`` is false.
    """
    with _lock(simulation_id):
        with transaction.atomic():
            sim = Simulation.objects.select_for_update().get(pk=simulation_id)
            if not allowed(sim):
                return None
            live = _load(sim)
            # Not cached again until the commit: a failure or rollback must not leave it half-changed.
            _cache.pop(simulation_id, None)
            return change(_Mutation(sim, live))


def _jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _command_detail(args: dict, result) -> str:
    if isinstance(result, (list, tuple)) and all(isinstance(r, str) for r in result) and result:
        return "; ".join(result)
    if isinstance(result, str) and result:
        return result.strip()
    return ", ".join(f"{k}={v}" for k, v in args.items() if k not in BULKY_ARGS)


def _refusal(error: Exception) -> dict:
    if isinstance(error, ValidationError):
        return {"message": str(error), "errors": [e.as_dict() for e in error.errors]}
    return {"message": str(error)}


def _manifest_changes(simulation_id: int, cluster: Cluster, command: str, args: dict,
                      before: dict[str, dict]) -> dict[str, str]:
    """Deployment name -> its new manifest text, for each Deployment whose text ``command`` changed."""
    stored = dict(Deployment.objects.filter(simulation_id=simulation_id).values_list("name", "manifest"))
    after = {d["metadata"]["name"]: d for d in cluster.list("deployment")}
    if command == "apply":
        new = {name: text for name, text in running_manifest.applied_texts(args["source"]).items() if name in after}
    else:
        new = {
            name: running_manifest.follow_command(stored.get(name, ""), before[name], obj)
            for name, obj in after.items() if name in before
        }
    return {name: text for name, text in new.items() if text != stored.get(name, "")}


def _manifest_facts(cluster: Cluster, name: str, text: str, command: str) -> dict:
    """The delta's additive keys for a changed manifest: the text and what changed it."""
    annotations = cluster.get("deployment", name).get("metadata", {}).get("annotations") or {}
    revision = annotations.get(REVISION_ANNOTATION)
    return {
        "manifest": text,
        "manifest_change": {
            "command": running_manifest.KUBECTL_COMMANDS.get(command, command),
            "revision": int(revision) if revision else None,
        },
    }


def execute(*, simulation_id: int, command: str, args: dict):
    """Run a `Cluster` command on the authoritative state, exactly once, and return its result.

    The command is recorded (CommandRecord at the current sim time, a delta, a snapshot),
    published, and mirrored into Deployment/Revision rows. Each Deployment whose running
    manifest text it changed (`running_manifest`) gets the new text in its row and in the delta. A refusal (`ValidationError` or the
    Cluster's own error) is recorded with ``ok=False`` and re-raised unchanged; it changes nothing.
    """
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}; one of {', '.join(sorted(COMMANDS))}")
    refused: list[Exception] = []

    def change(m: _Mutation):
        cluster = m.live.cluster
        index = CommandRecord.objects.filter(simulation_id=m.sim.id).count()
        before = {d["metadata"]["name"]: d for d in cluster.list("deployment")}
        try:
            result = getattr(cluster, command)(**args)
        except Exception as error:  # recorded, then re-raised unchanged after the commit
            CommandRecord.objects.create(
                simulation_id=m.sim.id, index=index, sim_time=cluster.now, name=command,
                args=_jsonable(args), outcome=_refusal(error), ok=False,
            )
            refused.append(error)
            return None
        CommandRecord.objects.create(
            simulation_id=m.sim.id, index=index, sim_time=cluster.now, name=command,
            args=_jsonable(args), outcome={"result": _jsonable(result)}, ok=True,
        )
        marker = protocol.marker(t=cluster.now, label=command, detail=_command_detail(args, result))
        texts = _manifest_changes(m.sim.id, cluster, command, args, before)
        m.delta(cause="command", records=cluster.take_changes(), command_markers=[marker], all_deployments=True,
                manifests={name: _manifest_facts(cluster, name, text, command) for name, text in texts.items()})
        m.snapshot()
        m.mirror = True
        m.commit()
        for name, text in texts.items():  # the rows exist now: commit() mirrored new Deployments
            Deployment.objects.filter(simulation_id=m.sim.id, name=name).update(manifest=text)
        return result

    result = _mutate(simulation_id, change)
    if refused:
        raise refused[0]
    return result


def advance(*, simulation_id: int, steps: int = 1, lease_owner: str | None = None) -> ClockState | None:
    """Advance the simulation ``steps`` ticks, one delta each; returns the clock's view after it.

    With ``lease_owner`` (the clock) nothing happens and None is returned unless the row is
    running and names that owner; the lease is renewed in the same write.
    """
    if steps < 1:
        raise ValueError("steps must be at least 1")

    def holds_lease(sim: Simulation) -> bool:
        return lease_owner is None or (sim.running and sim.lease_owner == lease_owner)

    def change(m: _Mutation):
        for _ in range(steps):
            m.delta(cause="step", records=m.live.cluster.step())
            if m.live.seq - m.live.snapshot_seq >= snapshot_every():
                m.snapshot()
        renewal = {}
        if lease_owner is not None:
            renewal["lease_expires"] = timezone.now() + timedelta(seconds=lease_seconds())
        m.commit(**renewal)
        return _clock_state(m.sim)

    return _mutate(simulation_id, change, holds_lease)


def set_clock(*, simulation_id: int, running: bool | None = None, speed: float | None = None) -> ClockState:
    """Start/stop the clock or change its speed (sim-seconds per wall-second); viewers get a delta."""
    if speed is not None and float(speed) not in SPEEDS:
        supported = ", ".join(f'"{s:g}"' for s in SPEEDS)
        raise ValidationError([FieldError("speed", f"Unsupported value: {speed!r}: supported values: {supported}")])

    def change(m: _Mutation):
        fields = {}
        if running is not None:
            fields["running"] = m.sim.running = bool(running)
        if speed is not None:
            fields["speed"] = m.sim.speed = float(speed)
        detail = ", ".join(f"{k}={v}" for k, v in fields.items())
        m.delta(cause="clock", records=[], command_markers=[protocol.marker(t=m.live.cluster.now, label="clock", detail=detail)])
        m.commit(**fields)
        return _clock_state(m.sim)

    return _mutate(simulation_id, change)


def reset(*, simulation_id: int, cluster: Cluster | None = None) -> int:
    """Replace the simulation's cluster (a fresh one from its seed by default); returns the new seq.

    The delta (cause "reset") carries the new cluster's pending changes (its objects being
    added); viewers are also told to re-sync, and the timeline starts afresh.
    """

    def change(m: _Mutation):
        m.live.cluster = cluster if cluster is not None else _fresh_cluster(m.sim)
        m.live.timeline = TimelineRecorder()
        index = CommandRecord.objects.filter(simulation_id=m.sim.id).count()
        CommandRecord.objects.create(
            simulation_id=m.sim.id, index=index, sim_time=m.live.cluster.now, name="reset",
            args={}, outcome={"result": None}, ok=True,
        )
        marker = protocol.marker(t=m.live.cluster.now, label="reset")
        m.delta(cause="reset", records=m.live.cluster.take_changes(), command_markers=[marker], all_deployments=True)
        m.snapshot()
        m.mirror = True
        m.messages.append(protocol.layer_resync(seq=m.live.seq))
        m.commit()
        return m.live.seq

    return _mutate(simulation_id, change)


def _clock_state(sim: Simulation) -> ClockState:
    return ClockState(seq=sim.seq, t=sim.sim_time, running=sim.running, speed=sim.speed, tick=sim.tick)
