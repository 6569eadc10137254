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
* **One change = one mutation = one new seq, committed optimistically.** A step batch, a
  command, a clock change or a reset is computed on this process's copy *outside* any
  transaction (reads only: the row, then catching the copy up). Then one short transaction
  moves ``Simulation.seq`` with a compare-and-set (old seq, and for the clock its lease, in the
  WHERE clause) and writes the TickRecords (each delta exactly as published), the
  CommandRecords, the Snapshots (after every command, reset, and every `SNAPSHOT_EVERY`
  steps) and the mirrored rows. No database lock is held while a simulation computes.
* If the compare-and-set finds the row moved (another process committed first), the
  mutated copy is dropped, the copy is reloaded and the change is computed again from the
  new state; after `OPTIMISTIC_TRIES` such losses the change is computed under the row's
  write lock (``select_for_update``; SQLite's ``BEGIN IMMEDIATE``), so a command can never
  starve behind a fast clock. So a command reaching **any** process is applied exactly once,
  at the sim time of the state it was computed on, and the delta is published after the commit.
* **Steps from the clock carry the lease owner** and are skipped (``None``) unless the row
  still names that owner and is running: after a takeover the old holder adds nothing.
* Each process caches ``(seq, Cluster, TimelineRecorder)`` per simulation. A copy is taken out
  of the cache while a change computes on it and only stored again after its transaction
  committed; it is only used when its seq equals the row's, so a lost race, a rolled-back or
  failed change can never leak into later ones.
* **Where it runs:** each public function hands its work to `rolloutviz.runner`, which runs
  it in the worker process owning the simulation when this process has a pool, or right here
  (tests, management commands). The layer messages a change produces are published after its
  commit by whichever process asked for it.

Commands are the `Cluster` methods named in `COMMANDS`, called with ``args`` as keyword
arguments (the method's own parameter names, e.g. ``scale``: ``{"name", "replicas"}``).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import logging
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import JSONField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from rolloutviz import compact, protocol, publish_log, runner, spoken
from rolloutviz.clock.lease import ClockState, lease_seconds
from rolloutviz.models import CommandRecord, Deployment, Simulation, Snapshot, TickRecord
from rolloutviz.runner import faults, tail
from rolloutviz.services import running_manifest
from rolloutviz.services.mirror import sync_from_cluster
from rolloutviz.services.reader import Reader
from rolloutviz.timeline import REVISION_ANNOTATION, TimelineRecorder
from simulator import Cluster, ValidationError
from simulator.controllers.deployment.revisions import revision_number
from simulator.errors import FieldError, child_path
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
        "send_traffic",
    }
) | frozenset(
    {
        # the Kubernetes API's writes (rolloutviz.services.kubernetes): each answers
        # {"code", "body", "line", "warnings"} and is told its delta's seq as its resourceVersion
        "create",
        "replace",
        "patch",
        "delete",
        "replace_scale",
        "patch_scale",
        "evict",
    }
)
API_WRITES = frozenset({"create", "replace", "patch", "delete", "replace_scale", "patch_scale", "evict"})
# Deltas redone after a snapshot: steps, and clock changes (which leave the cluster as it is).
# Every other cause (command, reset) writes a snapshot in its own transaction.
REPLAYABLE = frozenset({"step", "clock"})
SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 50.0)
# Lost compare-and-sets before a change is computed under the row lock instead.
OPTIMISTIC_TRIES = 3
# Arguments too bulky for a timeline marker's detail.
BULKY_ARGS = frozenset({"yaml", "source", "yaml_text_or_dicts", "manifest", "manifests"})
# PostgreSQL's jsonb and text columns cannot hold U+0000 (SQLite's can): a command whose outcome
# holds one is refused on every database, so a simulation's record means the same on each.
NUL = "\x00"
ENCODED_NUL = "\\u0000"  # as JSON text writes it (an escaped backslash before "u0000" matches too)


def cache_size() -> int:
    """Simulations a process keeps in memory (setting ``LIVE_CACHE_SIZE``); the rest reload on use."""
    return int(getattr(settings, "LIVE_CACHE_SIZE", 32))


def time_slice() -> float:
    """Wall seconds of compute after which a step batch stops early (setting ``SIM_TIME_SLICE``)."""
    return float(getattr(settings, "SIM_TIME_SLICE", 0.05))


def snapshot_every() -> int:
    """Steps between periodic snapshots (setting ``SNAPSHOT_EVERY``; replay after a restart is at most this)."""
    return int(getattr(settings, "SNAPSHOT_EVERY", 50))


# A big simulation's periodic snapshot is spread over more steps: at most this many bytes of
# snapshot per step (a 5,000-pod snapshot is about 50 MB: one every ~250 steps, not every 50).
SNAPSHOT_BYTES_PER_STEP = 200_000


def snapshot_due(steps_since: int, last_snapshot_bytes: int) -> bool:
    """Whether a periodic snapshot is due ``steps_since`` steps after one of ``last_snapshot_bytes``."""
    return steps_since >= max(snapshot_every(), last_snapshot_bytes // SNAPSHOT_BYTES_PER_STEP)


def _stored(text: str) -> Cast:
    """A JSON column's value from text encoded beforehand: no encoding while the write lock is held."""
    return Cast(Value(text), output_field=JSONField())


class StateMoved(RuntimeError):
    """The Simulation row's seq changed under a mutation that held its lock (should not happen)."""


class _Conflict(Exception):
    """Another process committed a change first: this one is computed again on the new state."""


class _Unstorable(Exception):
    """A command's outcome holds a NUL character: it is dropped and recorded as refused with ``error``."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Live:
    """One process's copy of a simulation at ``seq``."""

    seq: int
    cluster: Cluster
    timeline: TimelineRecorder
    mirror: compact.Mirror  # what every viewer holds at ``seq``: deltas are encoded against it
    snapshot_seq: int  # seq of the snapshot the cluster was last saved in
    created: object  # the row's creation time: a reused id (a flushed database) is another simulation
    effective: float | None = None  # the clock's achieved fraction of its speed, when it fell behind
    snapshot_bytes: int = 0  # size of the last snapshot this copy wrote
    snapshot: tuple[int, str, str] | None = field(default=None, repr=False)  # (seq, state text, snapshot text)


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


def pod_budget() -> int:
    """Pods one simulation may ask for (setting ``SIMULATION_POD_BUDGET``; the Cluster enforces it)."""
    return int(getattr(settings, "SIMULATION_POD_BUDGET", 5000))


def new_cluster(sim: Simulation) -> Cluster:
    """An empty cluster for ``sim``: its seed, tick and this server's pod budget."""
    return Cluster(seed=sim.seed, tick=sim.tick, pod_budget=pod_budget())


def _payloads(sim_id: int, after: int, upto: int) -> list[dict]:
    return list(_stream_payloads(sim_id, after, upto))


def _stream_payloads(sim_id: int, after: int, upto: int):
    """Stored deltas in seq order, fetched in chunks (a long simulation has many)."""
    rows = TickRecord.objects.filter(simulation_id=sim_id, seq__gt=after, seq__lte=upto).order_by("seq")
    return rows.values_list("payload", flat=True).iterator(chunk_size=500)


def _restore(sim: Simulation, upto: int | None = None) -> tuple[Cluster, int]:
    """The cluster at ``upto`` (default ``sim.seq``) from the DB: the latest snapshot at or before
    it, then its steps replayed; and the snapshot's seq."""
    upto = sim.seq if upto is None else upto
    snapshot = (
        Snapshot.objects.filter(simulation_id=sim.id, seq__lte=upto).order_by("-seq", "-id").first()
    )
    if snapshot is None:
        cluster, base = new_cluster(sim), 0
    else:
        try:
            cluster, base = Cluster.restore(snapshot.state, pod_budget=pod_budget()), snapshot.seq
        except (ValueError, KeyError, TypeError) as error:  # e.g. written by an older simulator
            logger.warning("simulation %s: snapshot at seq %s does not load (%r); replaying its history",
                           sim.id, snapshot.seq, error)
            return _replay_history(sim, upto), 0
    for payload in _stream_payloads(sim.id, base, upto):
        _replay(cluster, payload)
    return cluster, base


def restore_at(sim: Simulation, seq: int, held: tuple[Cluster, int] | None = None) -> Cluster:
    """A private copy of the cluster exactly as it was at ``seq`` (≤ ``sim.seq``; a rewind): the
    nearest stored snapshot at or before it, then the steps after it redone. ``held``, a private
    copy and its earlier seq, is brought forward instead when only steps and clock changes lie between."""
    if held is not None and held[1] <= seq <= held[1] + snapshot_every():
        payloads = _payloads(sim.id, held[1], seq)
        if all(p.get("cause") in REPLAYABLE for p in payloads):
            for payload in payloads:
                _replay(held[0], payload)
            return held[0]
    return _restore(sim, seq)[0]


def _replay_history(sim: Simulation, upto: int | None = None) -> Cluster:
    """The cluster rebuilt from the seed, every step and every accepted command, in seq order.

    Accepted commands and command deltas correspond one to one, in order (a refused command
    has no delta). A reset's cluster came from its caller, so history before it cannot be redone.
    """
    cluster = new_cluster(sim)
    commands = iter(CommandRecord.objects.filter(simulation_id=sim.id, ok=True).order_by("index"))
    for payload in _stream_payloads(sim.id, 0, sim.seq if upto is None else upto):
        cause = payload.get("cause")
        if cause == "command":
            command = next(commands)
            getattr(cluster, command.name)(**command.args)
            cluster.take_changes(resource_version=payload["seq"])
        elif cause == "reset":
            raise StateMoved(f"simulation {sim.id}: no loadable snapshot after its reset at seq {payload['seq']}")
        else:
            _replay(cluster, payload)
    return cluster


def _replay(cluster: Cluster, payload: dict) -> None:
    """Redo one recorded delta that came after the last snapshot (only steps change the cluster)."""
    cause = payload.get("cause")
    if cause == "step":
        cluster.step(resource_version=payload["seq"])  # the objects' versions are the deltas' seqs
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
    live = _Live(seq=sim.seq, cluster=cluster, timeline=timeline, mirror=compact.Mirror.of(cluster),
                 snapshot_seq=snapshot_seq, created=sim.created)
    _keep(sim.id, live)
    return live


def _catch_up(sim: Simulation, live: _Live) -> None:
    """Bring a cached copy forward over deltas another process committed."""
    payloads = _payloads(sim.id, live.seq, sim.seq)
    replayed = all(p.get("cause") in REPLAYABLE for p in payloads) and len(payloads) <= snapshot_every()
    if replayed:
        for payload in payloads:  # replaying steps is cheaper than a restore
            _replay(live.cluster, payload)
    else:
        live.cluster, live.snapshot_seq = _restore(sim)
    for payload in payloads:  # read as every viewer reads them: the mirror follows
        live.timeline = live.timeline.fold(payload, live.mirror)
    if not replayed:
        live.mirror = compact.Mirror.of(live.cluster)
    live.seq = sim.seq


# ---------------------------------------------------------------- views of a cluster


def _revision_images(cluster: Cluster, deployment: str) -> dict[int, list[str]]:
    images: dict[int, list[str]] = {}
    for rs in cluster.list("replicaset"):
        owners = rs.get("metadata", {}).get("ownerReferences") or []
        if not any(o.get("kind") == "Deployment" and o.get("name") == deployment for o in owners):
            continue
        revision = revision_number((rs["metadata"].get("annotations") or {}).get(REVISION_ANNOTATION))
        if revision:
            containers = rs.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or []
            images[revision] = [c.get("image", "") for c in containers]
    return images


def deployment_info(cluster: Cluster | Reader, name: str) -> dict:
    """A Deployment's ``rollout_status`` and ``history`` (each revision with its images)."""
    message, done = cluster.rollout_status(name)
    images = _revision_images(cluster, name)
    history = [
        {**entry, "images": entry.get("images") or images.get(int(entry["revision"]), [])}
        for entry in cluster.rollout_history(name)
    ]
    return {"rollout_status": {"message": message, "done": bool(done)}, "history": history}


def _touched_deployments(cluster: Reader, changes: list[dict]) -> list[str]:
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


def _event_exists(cluster: Cluster, name: str) -> bool:
    try:
        cluster.get("event", name)
    except KeyError:
        return False
    return True


def _split(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """Step records → (object changes, event objects)."""
    changes = [r for r in records if r.get("type") != "EVENT"]
    events = [r["object"] for r in records if r.get("type") == "EVENT"]
    return changes, events


def reader(live: _Live) -> Reader:
    """A `Reader` of a live copy (its objects as the viewers hold them, without copies)."""
    return Reader(live.cluster, live.mirror, live.seq)


def state_of(sim: Simulation, live: _Live) -> dict:
    """The snapshot ``state`` (contracts.md §2) of a simulation whose copy is ``live``."""
    manifests = dict(
        Deployment.objects.filter(simulation_id=sim.id).values_list("name", "manifest")
    )
    clock = protocol.clock_info(running=sim.running, speed=sim.speed,
                                effective=live.effective if sim.running else None)
    return state_from(sim.id, reader(live), clock=clock, manifests=manifests, timeline=live.timeline.as_dict())


def state_from(simulation_id: int, view: Reader, *, clock: dict, manifests: dict[str, str],
               timeline: dict) -> dict:
    """The snapshot ``state`` of a simulation read through ``view`` (now, or at a past seq: a rewind),
    with its clock block, its Deployments' running manifest texts and its timeline (the recorder's
    `as_dict` shape)."""
    deployments = {}
    for name in view.mirror.names("Deployment"):
        deployments[name] = {
            "manifest": manifests.get(name, ""),
            **deployment_info(view, name),
            "describe": describe_deployment(view, name),
        }
    return protocol.state_dict(
        sim=simulation_id,
        seq=view.seq,
        t=view.now,
        clock=clock,
        objects=compact.everything(view.mirror),
        deployments=deployments,
        timeline=timeline,
    )


# ---------------------------------------------------------------- reading


def state(*, simulation_id: int) -> dict:
    """The current snapshot ``state`` of a simulation (raises Simulation.DoesNotExist): `state_text`, read."""
    return protocol.decode(state_text(simulation_id=simulation_id))


def _texts(simulation_id: int) -> tuple[int, str, str]:
    """(seq, the encoded state, the encoded snapshot message), built once per seq for every viewer and reader."""
    with _lock(simulation_id):
        sim = Simulation.objects.get(pk=simulation_id)
        live = _load(sim)
        if live.snapshot is None or live.snapshot[0] != live.seq:
            current = state_of(sim, live)
            state_text = protocol.encode(current)
            live.snapshot = (live.seq, state_text, protocol.snapshot_text(current, state_text))
        return live.snapshot


def _state_text(*, simulation_id: int) -> str:
    return _texts(simulation_id)[1]


def state_text(*, simulation_id: int) -> str:
    """`state`, encoded (JSON text) where the simulation lives: for an API answer without encoding here."""
    return runner.run(simulation_id, _state_text, simulation_id=simulation_id)


def _snapshot_text(*, simulation_id: int) -> tuple[int, str]:
    seq, _, text = _texts(simulation_id)
    return seq, text


def snapshot_text(*, simulation_id: int) -> tuple[int, str]:
    """(seq, the encoded snapshot message) — what a viewer gets on connect and on resync."""
    return runner.run(simulation_id, _snapshot_text, simulation_id=simulation_id)


async def snapshot_text_async(*, simulation_id: int) -> tuple[int, str]:
    """`snapshot_text` from the event loop (it never blocks the loop)."""
    return await runner.run_async(simulation_id, _snapshot_text, simulation_id=simulation_id)


def _read(*, simulation_id: int, view, args: tuple):
    with _lock(simulation_id):
        sim = Simulation.objects.get(pk=simulation_id)
        return view(reader(_load(sim)), *args)


def read(*, simulation_id: int, view, args: tuple = ()):
    """``view(reader, *args)`` on the simulation's live copy, where that copy lives; its (picklable) answer.

    ``reader`` is a `Reader`: the objects as the viewers hold them, handed out without copies
    (read-only), so a read costs what it returns. ``view`` must be a module-level function (it
    travels to the worker by name), e.g. a kubectl text view.
    """
    return runner.run(simulation_id, _read, simulation_id=simulation_id, view=view, args=tuple(args))


async def read_async(*, simulation_id: int, view, args: tuple = ()):
    """`read` awaited on the event loop (no thread waits for the worker)."""
    return await runner.run_async(simulation_id, _read, simulation_id=simulation_id, view=view, args=tuple(args))


def _copy(view: Reader) -> Cluster:
    return Cluster.restore(view.cluster.snapshot())


def cluster_for_read(*, simulation_id: int) -> Cluster:
    """A private copy of the simulation's current cluster, to change or keep (it costs a snapshot and a
    restore of the whole cluster: to look at the state, use `read`)."""
    return read(simulation_id=simulation_id, view=_copy)


# ---------------------------------------------------------------- changing


class _Mutation:
    """One change computed on a copy: collects the rows to write and the messages to publish."""

    def __init__(self, sim: Simulation, live: _Live, guard: dict) -> None:
        self.sim, self.live, self.guard = sim, live, guard
        self.start_seq = sim.seq
        self.messages: list[dict] = []
        self.ticks: list[TickRecord] = []
        self.snapshots: list[Snapshot] = []
        self.commands: list[dict] = []  # CommandRecord fields but the index, numbered at commit
        self.row_fields: dict = {}
        self.manifests: dict[str, str] = {}  # Deployment name -> its new running manifest text
        self.sync_rows = False  # the Deployment and Revision rows follow the cluster
        self.error: Exception | None = None  # a refusal, raised after its record is committed

    def clock(self) -> dict:
        running = self.row_fields.get("running", self.sim.running)
        return protocol.clock_info(running=running, speed=self.row_fields.get("speed", self.sim.speed),
                                   effective=self.live.effective if running else None)

    def delta(self, *, cause: str, records: list[dict], command_markers: list[dict] = (), all_deployments=False,
              manifests: dict[str, dict] | None = None) -> str:
        """Queue one delta and return its text; ``manifests`` (name -> manifest facts) only when a command changed them."""
        cluster, live = self.live.cluster, self.live
        traffic = {r["name"]: r["object"] for r in records if r["type"] == "TRAFFIC"}
        # why the Deployment controller acted: markers the Why panel lists (not drawn as lines)
        explained = [protocol.marker(t=cluster.now, label=r["name"], detail=r["object"]["message"], kind="explanation")
                     for r in records if r["type"] == "EXPLAINED"]
        records = compact.streamed(records)
        changes, events = _split(records)
        expired = live.mirror.expired(lambda name: _event_exists(cluster, name))
        part = compact.encode(live.mirror, records, expired)
        markers, patch = live.timeline.record(
            t=cluster.now, changes=changes, events=events, command_markers=[*command_markers, *explained],
            traffic=traffic,
        )
        view = reader(live)
        names = live.mirror.names("Deployment") if all_deployments else _touched_deployments(view, changes)
        live.seq += 1
        message = protocol.delta_message(
            sim=self.sim.id,
            seq=live.seq,
            t=cluster.now,
            cause=cause,
            changes=part,
            deployments={name: {**deployment_info(view, name), **(manifests or {}).get(name, {})} for name in names},
            clock=self.clock(),
            markers=markers,
            timeline=patch,
        )
        text = protocol.encode(message)
        self.ticks.append(TickRecord(simulation_id=self.sim.id, seq=live.seq, sim_time=cluster.now,
                                     payload=_stored(text)))
        self.messages.append(protocol.layer_delta(simulation_id=self.sim.id, seq=live.seq, text=text))
        self.sync_rows = self.sync_rows or any(c["kind"] in ("Deployment", "ReplicaSet") for c in changes)
        return text

    def snapshot(self) -> None:
        text = protocol.encode(self.live.cluster.snapshot())
        self.snapshots.append(Snapshot(
            simulation_id=self.sim.id, seq=self.live.seq, sim_time=self.live.cluster.now, state=_stored(text),
        ))
        self.live.snapshot_seq, self.live.snapshot_bytes = self.live.seq, len(text)

    def clock_state(self, done: int = 0) -> ClockState:
        """The clock's view of the state this mutation leads to."""
        return ClockState(seq=self.live.seq, t=self.live.cluster.now,
                          running=self.row_fields.get("running", self.sim.running),
                          speed=self.row_fields.get("speed", self.sim.speed), tick=self.sim.tick, done=done)

    def command(self, **fields) -> None:
        self.commands.append({"simulation_id": self.sim.id, "sim_time": self.live.cluster.now, **fields})

    def commit(self, *, locked: bool) -> None:
        """Move the row's seq (compare-and-set), write everything, publish after the commit."""
        with transaction.atomic():
            moved = Simulation.objects.filter(pk=self.sim.id, seq=self.start_seq, **self.guard).update(
                seq=self.live.seq, sim_time=self.live.cluster.now, updated=timezone.now(), **self.row_fields
            )
            if moved != 1:
                if locked:
                    raise StateMoved(f"simulation {self.sim.id} moved past seq {self.start_seq} under its lock")
                raise _Conflict()
            if self.commands:
                index = CommandRecord.objects.filter(simulation_id=self.sim.id).count()
                CommandRecord.objects.bulk_create(
                    CommandRecord(index=index + n, **fields) for n, fields in enumerate(self.commands)
                )
            TickRecord.objects.bulk_create(self.ticks)
            Snapshot.objects.bulk_create(self.snapshots)
            for name, value in self.row_fields.items():
                setattr(self.sim, name, value)
            self.sim.seq, self.sim.sim_time = self.live.seq, self.live.cluster.now
            if self.sync_rows:
                sync_from_cluster(simulation=self.sim, cluster=self.live.cluster)
            for name, text in self.manifests.items():  # the rows exist now: the mirror made new Deployments
                Deployment.objects.filter(simulation_id=self.sim.id, name=name).update(manifest=text)
            live, sim_id, messages = self.live, self.sim.id, self.messages
            transaction.on_commit(lambda: _committed(sim_id, live, messages))


def _committed(simulation_id: int, live: _Live, messages: list[dict]) -> None:
    with _lock(simulation_id):
        current = _cache.get(simulation_id)
        if current is None or current.created != live.created or current.seq < live.seq:
            _keep(simulation_id, live)
    publish(simulation_id, messages)


def publish(simulation_id: int, messages: list[dict]) -> None:
    """Send layer messages to the simulation's group (inside a worker: hand them to the server process).

    A failure is logged, once per episode (viewers re-sync by seq).
    """
    if not messages:
        return
    box = runner.outbox()
    if box is not None:
        box.append((simulation_id, messages))
        return
    async_to_sync(publish_async)(simulation_id, messages)


async def publish_async(simulation_id: int, messages: list[dict]) -> None:
    """`publish` from the event loop."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    group = protocol.group_name(simulation_id)
    publish_log.note(simulation_id, messages)
    try:
        for message in messages:
            await layer.group_send(group, message)
    except Exception as error:  # the state is committed; a viewer that misses a delta sees the seq gap
        faults.report("channel layer", error, logger)
    else:
        faults.clear("channel layer", logger)
        tail.note_published(simulation_id, messages)


def _attempt(simulation_id: int, change, guard: dict, *, locked: bool):
    """Load (or, ``locked``, lock) the row, compute ``change`` on this process's copy, commit it."""
    with _lock(simulation_id):
        with transaction.atomic() if locked else nullcontext():
            rows = Simulation.objects.select_for_update() if locked else Simulation.objects
            sim = rows.get(pk=simulation_id)
            if any(getattr(sim, name) != value for name, value in guard.items()):
                return None
            live = _load(sim)
            # Out of the cache until its commit: a lost race or a failure must not leave it half-changed.
            _cache.pop(simulation_id, None)
            mutation = _Mutation(sim, live, guard)
            result = change(mutation)
            mutation.commit(locked=locked)
    if mutation.error is not None:
        raise mutation.error
    return result


def _mutate(simulation_id: int, change, guard: dict | None = None):
    """Run ``change(mutation)`` on the latest state and commit it, optimistically (see the module docstring).

    Returns None without changing anything when the row's fields do not match ``guard``.
    """
    for attempt in range(OPTIMISTIC_TRIES + 1):
        try:
            return _attempt(simulation_id, change, guard or {}, locked=attempt == OPTIMISTIC_TRIES)
        except _Conflict:
            logger.debug("simulation %s: lost a commit race (try %s); computing again", simulation_id, attempt + 1)
    raise AssertionError("unreachable: the last try holds the row lock")


def _jsonable(value):
    """``value`` as JSON data for a CommandRecord; a NUL character becomes U+FFFD.

    Only a refused command's record can hold a NUL (an accepted one holding it is refused, see
    `nul_refusal`), and refused commands are never replayed, so the replacement changes no state.
    """
    if isinstance(value, str):
        return value.replace(NUL, "\ufffd")
    if value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {_jsonable(str(k)): _jsonable(v) for k, v in value.items()}
    return str(value)


def nul_field(value, path: str = "") -> tuple[str, str] | None:
    """(field path, string) of the first string or map key in ``value`` that holds a NUL character."""
    if isinstance(value, str):
        return (path, value) if NUL in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, child in items:
        if isinstance(key, str) and NUL in key:
            return child_path(path, key), key
        found = nul_field(child, child_path(path, key))
        if found:
            return found
    return None


def nul_refusal(records: list[dict], args: dict) -> ValidationError | None:
    """The refusal of a command whose change ``records`` or ``args`` hold a NUL character, if they do.

    Kubernetes stores such strings; PostgreSQL cannot, so the field is named in Kubernetes' words.
    """
    detail = "must not contain the NUL character (U+0000): the simulation's database cannot store it"
    for record in sorted(records, key=lambda r: r.get("type") == "EVENT"):  # the objects before their events
        found = nul_field(record.get("object"))
        if found:
            return ValidationError([FieldError(found[0], f"Invalid value: {json.dumps(found[1])}: {detail}")],
                                   kind=record.get("kind", ""), name=record.get("name", ""))
    found = nul_field(args)
    if found:
        return ValidationError([FieldError(found[0], f"Invalid value: {json.dumps(found[1])}: {detail}")])
    return None


def _command_detail(args: dict, result) -> str:
    if isinstance(result, dict) and isinstance(result.get("line"), str):  # an API write's answer
        return result["line"]
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


def _outcome(result) -> dict:
    """A command's recorded outcome: an API write's answer without its object (the delta has it)."""
    if isinstance(result, dict) and "body" in result and "line" in result:
        result = {key: value for key, value in result.items() if key != "body"}
    return {"result": _jsonable(result)}


def _manifest_facts(cluster: Cluster, name: str, text: str, command: str) -> dict:
    """The delta's additive keys for a changed manifest: the text and what changed it."""
    annotations = cluster.get("deployment", name).get("metadata", {}).get("annotations") or {}
    return {
        "manifest": text,
        "manifest_change": {
            "command": command if command.startswith("kubectl") else running_manifest.KUBECTL_COMMANDS.get(command, command),
            "revision": revision_number(annotations.get(REVISION_ANNOTATION)) or None,
        },
    }


def _refuse(m: _Mutation, command: str, args: dict, error: Exception, label: str = "") -> None:
    """Record a refused command; its error is raised unchanged after the commit."""
    m.command(name=command, args=_jsonable(args), outcome=_jsonable(_refusal(error)), ok=False, label=label)
    m.error = error


def _execute(*, simulation_id: int, command: str, args: dict, label: str = ""):
    def change(m: _Mutation):
        cluster = m.live.cluster
        before = {d["metadata"]["name"]: d for d in cluster.list("deployment")}
        # an API write's answer shows the object at the version its delta is published under
        version = {"resource_version": m.live.seq + 1} if command in API_WRITES else {}
        try:
            result = getattr(cluster, command)(**args, **version)
        except Exception as error:  # recorded, then re-raised unchanged after the commit
            _refuse(m, command, args, error, label)
            return None
        records = cluster.take_changes(resource_version=m.live.seq + 1)  # the seq of this command's delta
        m.command(name=command, args=_jsonable(args), outcome=_outcome(result), ok=True, label=label)
        marker = protocol.marker(t=cluster.now, label=label or command, detail=_command_detail(args, result),
                                 words=spoken.command_words(command, args, label))
        m.manifests = _manifest_changes(m.sim.id, cluster, command, args, before)
        delta_text = m.delta(cause="command", records=records, command_markers=[marker], all_deployments=True,
                             manifests={name: _manifest_facts(cluster, name, text, label or command)
                                        for name, text in m.manifests.items()})
        refusal = nul_refusal(records, args) if ENCODED_NUL in delta_text or nul_field(args) else None
        if refusal is not None:
            raise _Unstorable(refusal)
        m.snapshot()
        m.sync_rows = True
        return result

    try:
        return _mutate(simulation_id, change)
    except _Unstorable as unstorable:  # the changed copy was dropped: the refusal is recorded on the stored state
        error = unstorable.error
    return _mutate(simulation_id, lambda m: _refuse(m, command, args, error, label))


def execute(*, simulation_id: int, command: str, args: dict, label: str = ""):
    """Run a `Cluster` command on the authoritative state, exactly once, and return its result.

    The command is recorded (CommandRecord at the current sim time, a delta, a snapshot),
    published, and mirrored into Deployment/Revision rows. Each Deployment whose running
    manifest text it changed (`running_manifest`) gets the new text in its row and in the delta. A refusal (`ValidationError` or the
    Cluster's own error) is recorded with ``ok=False`` and re-raised unchanged; it changes nothing.
    So is a command whose outcome would hold a NUL character (`nul_refusal`): PostgreSQL cannot store it.
    ``label`` names the command on the timeline and in its record instead of ``command`` (a
    Kubernetes API write: the ``Kubectl-Command`` header, e.g. "kubectl rollout undo").
    """
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}; one of {', '.join(sorted(COMMANDS))}")
    return runner.run(simulation_id, _execute, simulation_id=simulation_id, command=command, args=args,
                      label=label)


def _advance(*, simulation_id: int, steps: int, lease_owner: str | None, slice_seconds: float,
             effective: float | None) -> ClockState | None:
    guard = {"lease_owner": lease_owner, "running": True} if lease_owner is not None else {}

    def change(m: _Mutation):
        started = time.monotonic()
        if lease_owner is not None:
            m.live.effective = effective
            m.row_fields["lease_expires"] = timezone.now() + timedelta(seconds=lease_seconds())
        done = 0
        while done < steps:
            m.delta(cause="step", records=m.live.cluster.step(resource_version=m.live.seq + 1))
            done += 1
            if snapshot_due(m.live.seq - m.live.snapshot_seq, m.live.snapshot_bytes):
                m.snapshot()
            if time.monotonic() - started >= slice_seconds:  # a heavy simulation falls behind alone
                break
        return m.clock_state(done)

    return _mutate(simulation_id, change, guard)


def advance(*, simulation_id: int, steps: int = 1, lease_owner: str | None = None,
            effective: float | None = None) -> ClockState | None:
    """Advance the simulation ``steps`` ticks, one delta each; returns the clock's view after it.

    With ``lease_owner`` (the clock) it is one time slice (`time_slice`): it may stop after
    fewer steps (``done`` says how many), and nothing happens (None) unless the row is running
    and names that owner; the lease is renewed in the same write, and ``effective`` (the
    achieved fraction of the speed, None when on pace) goes into each delta's clock block.
    Without it, every step is taken, in time slices that let other simulations run between.
    """
    if steps < 1:
        raise ValueError("steps must be at least 1")
    if lease_owner is not None:
        return runner.run(simulation_id, _advance, simulation_id=simulation_id, steps=steps,
                          lease_owner=lease_owner, slice_seconds=time_slice(), effective=effective)
    done, state = 0, None
    while done < steps:
        state = runner.run(simulation_id, _advance, simulation_id=simulation_id, steps=steps - done,
                           lease_owner=None, slice_seconds=time_slice(), effective=None)
        done += state.done
    return dataclasses.replace(state, done=done)


async def advance_async(*, simulation_id: int, steps: int, lease_owner: str | None,
                        effective: float | None = None) -> ClockState | None:
    """The clock's `advance` (one time slice), from the event loop; ``lease_owner`` None for a
    comparison's clock, which holds its comparison's lease instead of the member's."""
    if steps < 1:
        raise ValueError("steps must be at least 1")
    return await runner.run_async(simulation_id, _advance, simulation_id=simulation_id, steps=steps,
                                  lease_owner=lease_owner, slice_seconds=time_slice(), effective=effective)


def _set_clock(*, simulation_id: int, running: bool | None, speed: float | None, reason: str,
               words: str | None) -> ClockState:
    def change(m: _Mutation):
        if running is not None:
            m.row_fields["running"] = bool(running)
        if speed is not None:
            m.row_fields["speed"] = float(speed)
        if not m.row_fields.get("running", m.sim.running):
            m.live.effective = None
        detail = ", ".join([f"{k}={v}" for k, v in m.row_fields.items()] + ([reason] if reason else []))
        m.delta(cause="clock", records=[], command_markers=[protocol.marker(
            t=m.live.cluster.now, label="clock", detail=detail, words=words or spoken.clock_words(running=running, speed=speed))])
        return m.clock_state()

    return _mutate(simulation_id, change)


def set_clock(*, simulation_id: int, running: bool | None = None, speed: float | None = None,
              reason: str = "", words: str | None = None) -> ClockState:
    """Start/stop the clock or change its speed (sim-seconds per wall-second); viewers get a delta.

    ``reason`` (e.g. why the clock stopped by itself) is added to the delta's marker; ``words``
    replace the marker's spoken words (an import replaying a clock change it does not make).
    """
    if speed is not None and float(speed) not in SPEEDS:
        supported = ", ".join(f'"{s:g}"' for s in SPEEDS)
        raise ValidationError([FieldError("speed", f"Unsupported value: {speed!r}: supported values: {supported}")])
    return runner.run(simulation_id, _set_clock, simulation_id=simulation_id, running=running, speed=speed,
                      reason=reason, words=words)


def _reset(*, simulation_id: int, cluster: Cluster | None) -> int:
    def change(m: _Mutation):
        # a copy per try: a lost race must not have taken the given cluster's pending changes
        m.live.cluster = copy.deepcopy(cluster) if cluster is not None else new_cluster(m.sim)
        # stamped with this delta's seq (as any change); the delta carries the whole new state instead
        m.live.cluster.take_changes(resource_version=m.live.seq + 1)
        m.live.timeline, m.live.mirror = TimelineRecorder(), compact.Mirror()
        m.command(name="reset", args={}, outcome={"result": None}, ok=True)
        marker = protocol.marker(t=m.live.cluster.now, label="reset")
        m.delta(cause="reset", records=compact.records(compact.Mirror.of(m.live.cluster)), command_markers=[marker],
                all_deployments=True)
        m.snapshot()
        m.sync_rows = True
        m.messages.append(protocol.layer_resync(simulation_id=m.sim.id, seq=m.live.seq))
        return m.live.seq

    return _mutate(simulation_id, change)


def reset(*, simulation_id: int, cluster: Cluster | None = None) -> int:
    """Replace the simulation's cluster (a fresh one from its seed by default); returns the new seq.

    The delta (cause "reset") carries the new cluster's pending changes (its objects being
    added); viewers are also told to re-sync, and the timeline starts afresh.
    """
    return runner.run(simulation_id, _reset, simulation_id=simulation_id, cluster=cluster)
