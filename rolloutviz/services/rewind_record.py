"""What a simulation's viewers held at every seq of one run (since a reset): its timeline, running
manifests and clock block, folded once per process from the stored deltas and read at any seq.

A rewind needs them at the moment sought, and they are made of every delta since the last reset.
Folding them anew for each seek made a seek cost the whole record; here one run is folded once
(`protocol.fold_timeline`, as a page extends it) and extended as later moments are asked for,
and each timeline entry notes, at each seq that touched it, how long its appended lists were and
what its other fields said. The timeline at a seq is then the full one cut back to those lengths:
its cost is that of the timeline it answers, not of the record. A process keeps `KEPT_RUNS` runs.
"""
from __future__ import annotations

import json
import threading
from bisect import bisect_right
from collections import OrderedDict

from django.db.models import TextField
from django.db.models.functions import Cast

from rolloutviz import compact, demos, protocol
from rolloutviz.models import Simulation, Snapshot, TickRecord
from rolloutviz.services import running_manifest

RESET = "reset"
KEPT_RUNS = 4  # runs folded and kept per process (each holds a timeline, as a live copy does)
APPENDED = frozenset({"segments", "marks", "series"})  # a timeline entry's lists that only grow
SECTIONS = ("pods", "replicasets", "deployments", "traffic")


def last_reset(simulation_id: int, upto: int) -> int:
    """The seq of the last reset at or before ``upto`` (0: none). A reset always writes a snapshot
    at its seq, so only the deltas that have one are looked into."""
    snapshots = Snapshot.objects.filter(simulation_id=simulation_id, seq__lte=upto).values("seq")
    found = (TickRecord.objects.filter(simulation_id=simulation_id, seq__in=snapshots, payload__cause=RESET)
             .order_by("-seq").values_list("seq", flat=True).first())
    return found or 0


def payloads(simulation_id: int, after: int, upto: int):
    """Stored deltas after ``after`` up to ``upto``, decoded, in seq order (read in chunks)."""
    rows = (TickRecord.objects.filter(simulation_id=simulation_id, seq__gt=after, seq__lte=upto).order_by("seq")
            .values_list(Cast("payload", TextField()), flat=True))
    for text in rows.iterator(chunk_size=200):
        yield json.loads(text)


class _Versions:
    """Values by the seq they were set at (in seq order): the value at a seq is the last set by then."""

    __slots__ = ("seqs", "values")

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.values: list = []

    def set(self, seq: int, value) -> None:
        if self.seqs and self.seqs[-1] == seq:
            self.values[-1] = value
        else:
            self.seqs.append(seq)
            self.values.append(value)

    def at(self, seq: int, default=None):
        found = bisect_right(self.seqs, seq)
        return self.values[found - 1] if found else default


class Run:
    """One run of a simulation (from the reset at ``start``, or from seq 0), folded up to ``seq``."""

    def __init__(self, sim: Simulation, start: int) -> None:
        self.start = start
        self.seq = max(0, start - 1)  # the reset's own delta is folded first (it starts afresh)
        self.created = sim.created
        chosen = demos.get_demo(sim.demo) if sim.demo else None
        self._reset_manifests = dict(running_manifest.applied_texts(chosen.manifest)) if chosen else {}
        self.timeline = protocol.empty_timeline()
        self.manifests: dict[str, str] = {}
        self._entries = {section: {} for section in SECTIONS}  # section -> name -> _Versions of its shape
        self._markers = _Versions()
        self._manifests = _Versions()
        self._clock = _Versions()
        self._markers.set(self.seq, 0)
        self._manifests.set(self.seq, {})
        self._clock.set(self.seq, protocol.clock_info(running=False, speed=1.0))

    def extend(self, deltas) -> None:
        """Fold the stored deltas that follow ``seq`` (in order) and note what each changed."""
        for delta in deltas:
            seq = delta["seq"]
            manifests_before = dict(self.manifests)
            if delta.get("cause") == RESET:
                self.manifests = dict(self._reset_manifests)
                self._entries = {section: {} for section in SECTIONS}
            self.timeline = protocol.fold_timeline(self.timeline, delta)
            touched = {"pods": {protocol.pod_row_name(delta, row) for row in delta["timeline"]["pods"]},
                       **{section: (delta["timeline"].get(section) or {}).keys() for section in SECTIONS[1:]}}
            for section, names in touched.items():
                entries, full = self._entries[section], self.timeline[section]
                for name in names:
                    entry = full[name]
                    shape = {key: len(value) if key in APPENDED else value for key, value in entry.items()}
                    entries.setdefault(name, _Versions()).set(seq, shape)
            self._markers.set(seq, len(self.timeline["markers"]))
            for entry in delta.get("objects") or ():  # a deleted Deployment's row goes, with its text
                if entry[0] == compact.DELETED and entry[1] == "Deployment":
                    self.manifests.pop(entry[2], None)
            for name, facts in (delta.get("deployments") or {}).items():
                if "manifest" in facts:
                    self.manifests[name] = facts["manifest"]
            if self.manifests != manifests_before or delta.get("cause") == RESET:
                self._manifests.set(seq, dict(self.manifests))
            clock = delta.get("clock")
            if clock and clock != self._clock.values[-1]:
                self._clock.set(seq, clock)
            self.seq = seq

    def at(self, seq: int) -> tuple[dict, dict[str, str], dict]:
        """(timeline, running manifests, clock block) as viewers held them at ``seq`` (folded by now,
        at or after the run's start): fresh dicts and lists, the entries' items shared."""
        timeline = {}
        for section in SECTIONS:
            entries, full, out = self._entries[section], self.timeline[section], {}
            for name, entry in full.items():  # in the order they first appeared, as a page holds them
                shape = entries[name].at(seq)
                if shape is not None:
                    out[name] = {key: entry[key][:value] if key in APPENDED else value for key, value in shape.items()}
            timeline[section] = out
        timeline["markers"] = self.timeline["markers"][:self._markers.at(seq)]
        return timeline, dict(self._manifests.at(seq)), dict(self._clock.at(seq))


_runs: OrderedDict[tuple[int, int], Run] = OrderedDict()
_guard = threading.Lock()


def viewer_at(sim: Simulation, seq: int) -> tuple[dict, dict[str, str], dict]:
    """(timeline, running manifests, clock block) of ``sim`` as its viewers held them at ``seq``
    (≤ ``sim.seq``): from the run this process keeps folded, extended with the deltas up to ``seq``
    if it has not reached it yet; the run is folded from its start the first time it is asked for."""
    start = last_reset(sim.id, seq)
    key = (sim.id, start)
    with _guard:
        run = _runs.pop(key, None)
    if run is None or run.created != sim.created:  # a reused id is another simulation
        run = Run(sim, start)
    try:
        if run.seq < seq:
            run.extend(payloads(sim.id, run.seq, seq))
        return run.at(seq)
    finally:
        with _guard:
            _runs[key] = run
            while len(_runs) > KEPT_RUNS:
                _runs.popitem(last=False)
