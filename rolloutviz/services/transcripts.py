"""What a terminal would have shown, from the recorded history: the event log (as `kubectl get
events` words each write) and `kubectl get pods -w` (a line per change of a pod).

Both read the stored deltas in order through the one reader of the history
(`kubernetes_watch.changes_since`), a page of deltas at a time, since the last reset (a reset
replaces the cluster: a watch ends there), as generators of text pieces to stream.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from django.db.models import Max

from rolloutviz.models import Simulation, Snapshot, TickRecord
from rolloutviz.services.errors import InvalidInput
from rolloutviz.services.kubernetes_watch import READ_ROWS, RESET, changes_since
from rolloutviz.services.simulations import simulation_get
from simulator import Cluster
from simulator.kubectl.printers import event_row, pod_row, tabwrite

EVENT_COLUMNS = ["t", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
POD_HEADER = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
TRANSCRIPT_RESOURCES = ("pods",)


def _start_seq(sim: Simulation) -> int:
    """The seq of the last reset at or before the simulation's position (0: none)."""
    last = (TickRecord.objects.filter(simulation_id=sim.id, seq__lte=sim.seq, payload__cause="reset")
            .aggregate(last=Max("seq"))["last"])
    return last or 0


def _changes(sim: Simulation, after: int) -> Iterator:
    """Every change after seq ``after`` up to the position, read a page of deltas at a time."""
    seq = after
    while seq < sim.seq:
        upto = min(sim.seq, seq + READ_ROWS)
        for change in changes_since(sim.id, seq, upto):
            if change.type != RESET:
                yield change
        seq = upto


def _events(sim: Simulation) -> Iterator[dict]:
    now = sim.sim_time
    for change in _changes(sim, _start_seq(sim)):
        if change.kind == "Event":
            last_seen, kind, reason, target, message = event_row(change.object, now)
            yield {"t": change.t, "seq": change.seq, "last_seen": last_seen, "type": kind, "reason": reason,
                   "object": target, "message": message, "count": change.object.get("count", 1)}


def events_json(*, simulation_id: int) -> Iterator[str]:
    """The event log as one JSON document, in pieces: every event write since the last reset, with
    the columns `kubectl get events` prints at the position (LAST SEEN counts back from it)."""
    sim = simulation_get(simulation_id=simulation_id)
    yield f'{{"sim": {sim.id}, "t": {json.dumps(sim.sim_time)}, "seq": {sim.seq}, "events": ['
    for n, event in enumerate(_events(sim)):
        yield ("," if n else "") + json.dumps(event)
    yield "]}"


def events_csv(*, simulation_id: int) -> Iterator[str]:
    """The event log as CSV (RFC 4180 quoting), a header row then a row per event write."""
    sim = simulation_get(simulation_id=simulation_id)
    yield _csv_row(EVENT_COLUMNS)
    for event in _events(sim):
        yield _csv_row([f"{event['t']:g}", event["last_seen"], event["type"], event["reason"], event["object"],
                        event["message"]])


def _csv_row(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def pods_watch(*, simulation_id: int, resource: str = "pods") -> Iterator[str]:
    """`kubectl get pods -w` run from the start of the history (the last reset) to the position:
    the pods there as one aligned block under the header, then each change of a pod as the line
    kubectl prints for its watch event (a block of its own: kubectl flushes after each event),
    AGE counted at the change's time. The header comes with the first line."""
    if resource not in TRANSCRIPT_RESOURCES:
        raise InvalidInput(f"resource: Unsupported value: {json.dumps(resource)}: supported values: "
                           + ", ".join(f'"{r}"' for r in TRANSCRIPT_RESOURCES), field="resource")
    sim = simulation_get(simulation_id=simulation_id)
    start = _start_seq(sim)
    header = [POD_HEADER]
    if start:
        snapshot = Snapshot.objects.filter(simulation_id=sim.id, seq=start).order_by("-id").first()
        cluster = Cluster.restore(snapshot.state)
        pods = sorted(cluster.list("pod"), key=lambda p: p["metadata"]["name"])
        if pods:
            yield _block(header + [pod_row(pod, cluster.now) for pod in pods])
            header = []
    for change in _changes(sim, start):
        if change.kind == "Pod":
            yield _block(header + [pod_row(change.object, change.t)])
            header = []


def _block(rows: list[list[str]]) -> str:
    """Rows as kubectl get's tab writer aligns one flushed block (minwidth 6, padding 3)."""
    return tabwrite("".join("\t".join(row) + "\n" for row in rows), 6, 3)
