"""Rewind: a simulation exactly as it was at any recorded moment, read as the live one is read.

A moment is a ``seq`` (any recorded one, runs before a reset included) or a simulated time ``t``
(the last change at or before it since the last reset). The past is rebuilt, never the nearest
snapshot: the engine from the nearest stored snapshot with the steps after it redone
(`live.restore_at`, as a live copy is loaded), whose objects and events are what viewers held
(`compact.Mirror.of`, as when a live copy loads); the timeline, running manifests and clock block
as the stored deltas since the last reset made them (`rewind_record`: folded once per run and
worker, read at any seq). The state is then built by the live code (`live.state_from`), the kubectl
texts and the Why panel by the live views on a `Reader` of the past. The states answered lately are
kept (`TEXTS_BYTES`): a recorded moment never changes.

Seeks run in the worker pool under the simulation's side lane (`runner.side_lane`: its own routing key, which what-if checks share), apart
from its live copy: the clock and the commands never wait behind a seek, and a long one makes only
the lane heavy. A worker keeps the last moments it built (`KEPT`): a seek forward from one (a
playback) folds the new deltas and redoes the new steps only. At most `MAX_IN_FLIGHT` seeks of one
simulation and `MAX_IN_FLIGHT_ALL` of all run at once per server process; more are 429 (the page
asks again).
"""
from __future__ import annotations

import contextlib
import gc
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

from django.db.models import TextField
from django.db.models.functions import Cast, Length

from rolloutviz import compact, limits, protocol, runner
from rolloutviz.models import CommandRecord, Simulation, Snapshot, TickRecord
from rolloutviz.services import copies, live, rewind_record
from rolloutviz.services.errors import InvalidInput, NotFound
from rolloutviz.services.history import page_bounds
from rolloutviz.services.reader import Reader
from simulator import Cluster

KEPT = 2  # moments a worker keeps built, one per simulation (each holds a whole cluster)
MAX_IN_FLIGHT = 2  # seeks of one simulation computing at once, per server process
MAX_IN_FLIGHT_ALL = 4  # seeks of all simulations at once, per server process (each holds a thread)
RESET = rewind_record.RESET


# ---------------------------------------------------------------- which moment


def parse_moment(t=None, seq=None) -> tuple[float | None, int | None]:
    """``t`` (seconds) or ``seq`` as given in a query string or a JSON body, checked (`InvalidInput`
    naming the field): exactly one, ``t`` a finite number, ``seq`` a non-negative integer."""
    if t is not None and seq is not None:
        raise InvalidInput("t: Forbidden: give t or seq, not both", field="t")
    if t is None and seq is None:
        raise InvalidInput("t: Required value: the moment to rewind to (t in seconds, or seq)", field="t")
    if t is not None:
        try:
            value = float(t) if not isinstance(t, bool) and isinstance(t, (int, float, str)) else None
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            raise InvalidInput(f"t: Invalid value: {json.dumps(t, default=str)}: must be a number of seconds",
                               field="t")
        return value, None
    if isinstance(seq, str) and seq.isascii() and seq.isdigit() and len(seq) <= 18:
        return None, int(seq)
    if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2**63:
        return None, seq
    raise InvalidInput(f"seq: Invalid value: {json.dumps(seq, default=str)}: must be a recorded seq "
                       "(a non-negative integer)", field="seq")


def resolve(simulation_id: int, *, t: float | None = None, seq: int | None = None) -> int:
    """The seq of a moment (`parse_moment`'s answer): ``seq`` if it was recorded (`NotFound` if
    not yet), else the last change at simulated time ≤ ``t`` since the last reset (`InvalidInput`
    for a time outside that record)."""
    sim = Simulation.objects.filter(pk=simulation_id).values("seq", "sim_time").first()
    if sim is None:
        raise NotFound(f"simulation {simulation_id} not found")
    if seq is not None:
        if seq > sim["seq"]:
            raise NotFound(f"seq {seq} was never recorded: the record ends at seq {sim['seq']}")
        return seq
    start = rewind_record.last_reset(simulation_id, sim["seq"])
    start_t = 0.0 if start == 0 else TickRecord.objects.get(simulation_id=simulation_id, seq=start).sim_time
    if not start_t <= t <= sim["sim_time"]:
        since = " since the last reset" if start else ""
        raise InvalidInput(f"t: Invalid value: {t:g}: outside the record{since}, which runs from "
                           f"{start_t:g} to {sim['sim_time']:g} seconds", field="t")
    found = (TickRecord.objects.filter(simulation_id=simulation_id, seq__gte=start, sim_time__lte=t)
             .order_by("-seq").values_list("seq", flat=True).first())
    return start if found is None else found


# ---------------------------------------------------------------- the past, rebuilt


@dataclass
class _Past:
    """A simulation as it was at ``seq``: its engine, what its viewers held, its clock."""

    seq: int
    created: object  # the row's creation time: a reused id is another simulation
    cluster: Cluster
    mirror: compact.Mirror
    timeline: dict  # the recorder's `as_dict` shape
    manifests: dict[str, str]  # Deployment -> running manifest text
    clock: dict

    def reader(self) -> Reader:
        return Reader(self.cluster, self.mirror, self.seq)


_kept: OrderedDict[int, _Past] = OrderedDict()
_kept_guard = threading.Lock()


@contextlib.contextmanager
def _collector_paused():
    """The cyclic garbage collector off while a moment is rebuilt: the build makes millions of small
    objects beside a whole cluster, and each full collection would walk all of it again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(sim: Simulation, seq: int) -> _Past:
    """``sim`` at ``seq``, from a moment this worker keeps (moving forward) or from the stored record."""
    with _collector_paused():
        return _built(sim, seq)


def _built(sim: Simulation, seq: int) -> _Past:
    with _kept_guard:
        kept = _kept.pop(sim.id, None)
    if kept is not None and kept.created == sim.created and kept.seq == seq:
        past = kept
    else:
        past = _moved(sim, seq, kept if kept is not None and kept.created == sim.created else None)
    with _kept_guard:
        _kept[sim.id] = past
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return past


def _moved(sim: Simulation, seq: int, kept: _Past | None) -> _Past:
    """``sim`` at ``seq``: ``kept`` brought forward when it lies before, else rebuilt; what its
    viewers held from the run this process keeps folded (`rewind_record`)."""
    if kept is not None and kept.seq < seq:
        past = kept
        past.cluster = live.restore_at(sim, seq, held=(past.cluster, past.seq))
        for payload in rewind_record.payloads(sim.id, past.seq, seq):  # what viewers held, brought forward
            protocol.payload_records(payload, past.mirror)
        past.seq = seq
    else:
        # what viewers held is what the engine holds (as when a live copy loads)
        cluster = live.restore_at(sim, seq)
        past = _Past(seq=seq, created=sim.created, cluster=cluster, mirror=compact.Mirror.of(cluster),
                     timeline={}, manifests={}, clock={})
    past.timeline, past.manifests, past.clock = rewind_record.viewer_at(sim, seq)
    return past


def _simulation(simulation_id: int, seq: int) -> Simulation:
    sim = Simulation.objects.get(pk=simulation_id)
    if seq > sim.seq:
        raise NotFound(f"seq {seq} was never recorded: the record ends at seq {sim.seq}")
    return sim


def _at(simulation_id: int, seq: int) -> _Past:
    return _build(_simulation(simulation_id, seq), seq)


# A kept moment is brought forward in place: one seek at a time uses them (a worker runs one job at
# a time anyway; without a pool, requests' threads take turns here).
_using = threading.Lock()

# The states answered lately, by (simulation, its creation, seq): a recorded moment never changes,
# so dragging back and forth over one stretch builds each moment once.
TEXTS_BYTES = 96 * 1024 * 1024  # at most this much of them kept per worker (a 1,000-pod state: ~7 MB)
_texts: OrderedDict[tuple, str] = OrderedDict()


def _keep_text(key: tuple, text: str) -> None:
    _texts[key] = text
    total = sum(len(kept) for kept in _texts.values())
    while total > TEXTS_BYTES and len(_texts) > 1:
        total -= len(_texts.popitem(last=False)[1])


def _state_text_at(*, simulation_id: int, seq: int) -> str:
    with _using:
        sim = _simulation(simulation_id, seq)
        key = (sim.id, sim.created, seq)
        text = _texts.pop(key, None)
        if text is None:
            past = _build(sim, seq)
            with _collector_paused():
                text = protocol.encode(live.state_from(simulation_id, past.reader(), clock=past.clock,
                                                       manifests=past.manifests, timeline=past.timeline))
        _keep_text(key, text)
        return text


def _read_at(*, simulation_id: int, seq: int, view, args: tuple):
    with _using:
        return view(_at(simulation_id, seq).reader(), *args)


# ---------------------------------------------------------------- in the pool, bounded


_in_flight: dict[int, int] = {}
_in_flight_guard = threading.Lock()


def _seek(simulation_id: int, function, **kwargs):
    """``function`` in the simulation's rewind lane, at most `MAX_IN_FLIGHT` at once (else 429)."""
    with _in_flight_guard:
        if _in_flight.get(simulation_id, 0) >= MAX_IN_FLIGHT:
            raise limits.Limited(f"simulation {simulation_id} is rewinding already: try again in a moment", 1)
        if sum(_in_flight.values()) >= MAX_IN_FLIGHT_ALL:
            raise limits.Limited("the server is rewinding other simulations: try again in a moment", 1)
        _in_flight[simulation_id] = _in_flight.get(simulation_id, 0) + 1
    try:
        return runner.run(runner.side_lane(simulation_id), function, simulation_id=simulation_id, **kwargs)
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None
    finally:
        with _in_flight_guard:
            _in_flight[simulation_id] -= 1
            if not _in_flight[simulation_id]:
                del _in_flight[simulation_id]


def state_text_at(*, simulation_id: int, seq: int) -> str:
    """The state GET /api/simulations/<id>/ answered at ``seq`` (`resolve` it first), as JSON text."""
    return _seek(simulation_id, _state_text_at, seq=seq)


def read_at(simulation_id: int, seq: int, view, *args):
    """``view(reader, *args)`` on the simulation as it was at ``seq`` (a module-level view, as `live.read`)."""
    return _seek(simulation_id, _read_at, seq=seq, view=view, args=tuple(args))


# ---------------------------------------------------------------- playing back


MAX_DELTAS = 200  # stored deltas one playback read answers at most
MAX_DELTA_BYTES = 8 * 1024 * 1024  # ... and at most this much of them (one at least)


def deltas_text(simulation_id: int, *, after: int, upto: int) -> str:
    """``{"deltas": [...]}``: the stored deltas after seq ``after`` up to ``upto``, as published (a page
    playing back applies them to the state at ``after``, as it applies live ones), at most
    `MAX_DELTAS` and `MAX_DELTA_BYTES` of them (one at least): ask again from the last one's seq.
    Their stored text is passed through, never decoded. `NotFound` past the record."""
    last = Simulation.objects.filter(pk=simulation_id).values_list("seq", flat=True).first()
    if last is None:
        raise NotFound(f"simulation {simulation_id} not found")
    if upto > last:
        raise NotFound(f"seq {upto} was never recorded: the record ends at seq {last}")
    if upto <= after:
        raise InvalidInput(f"upto: Invalid value: {upto}: must be greater than after ({after})", field="upto")
    rows = TickRecord.objects.filter(simulation_id=simulation_id, seq__gt=after, seq__lte=upto)
    sizes = list(rows.order_by("seq").annotate(size=Length(Cast("payload", TextField())))
                 .values_list("seq", "size")[:MAX_DELTAS])
    first, final = page_bounds(sizes, MAX_DELTA_BYTES)[0]
    texts = rows.filter(seq__gte=first, seq__lte=final).order_by("seq").values_list(
        Cast("payload", TextField()), flat=True)
    return '{"deltas":[' + ",".join(texts) + "]}"


# ---------------------------------------------------------------- branching off


def _commands_upto(simulation_id: int, seq: int, t: float) -> int:
    """The index of the last CommandRecord made by ``seq`` (-1: none). Each accepted command and
    reset has a delta (with a snapshot at its seq), in order; a refused one has none, so those
    between the last accepted one and the next are counted up to the moment's simulated time."""
    made = TickRecord.objects.filter(
        simulation_id=simulation_id, seq__lte=seq, payload__cause__in=("command", RESET),
        seq__in=Snapshot.objects.filter(simulation_id=simulation_id, seq__lte=seq).values("seq")).count()
    records = CommandRecord.objects.filter(simulation_id=simulation_id).order_by("index")
    accepted = list(records.filter(ok=True).values_list("index", flat=True)[:made + 1])
    last = accepted[made - 1] if made else -1
    refused = records.filter(ok=False, index__gt=last, sim_time__lte=t)
    if len(accepted) > made:
        refused = refused.filter(index__lt=accepted[made])
    return max(refused.values_list("index", flat=True), default=last)


def _copy_at(*, simulation_id: int, seq: int, owner_session: str, owner_user_id: int | None) -> int:
    with _using:
        return _copy_of(_at(simulation_id, seq), simulation_id, seq, owner_session, owner_user_id)


def _copy_of(past: _Past, simulation_id: int, seq: int, owner_session: str, owner_user_id: int | None) -> int:
    moment = copies.Moment(seq=seq, t=past.cluster.now, speed=float(past.clock.get("speed", 1.0)),
                           command_index=_commands_upto(simulation_id, seq, past.cluster.now),
                           cluster=past.cluster, manifests=dict(past.manifests))
    return copies.simulation_copy(simulation_id=simulation_id, owner_session=owner_session,
                                  owner_user_id=owner_user_id, at=moment).id


def copy_at(*, simulation_id: int, seq: int, owner_session: str = "", owner_user_id: int | None = None) -> int:
    """A paused copy of the simulation as it was at ``seq``, owned as given: its history up to that
    moment and its engine exactly as it was then (it continues as the source did); its id."""
    return _seek(simulation_id, _copy_at, seq=seq, owner_session=owner_session, owner_user_id=owner_user_id)
