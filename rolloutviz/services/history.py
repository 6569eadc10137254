"""Reading what happened: a Deployment's rollout history, the recorded deltas and commands
between two sim times, and a simulation's whole recorded history as one streamed document."""
from __future__ import annotations

import json
import math
from typing import Callable, Iterable, Iterator

from django.db.models import Max, QuerySet, TextField
from django.db.models.functions import Cast, Length

from rolloutviz.models import CommandRecord, Simulation, Snapshot, TickRecord
from rolloutviz.protocol import VERSION
from rolloutviz.services import live
from rolloutviz.services.commands import read
from rolloutviz.services.errors import InvalidInput, NotFound
from rolloutviz.services.simulations import simulation_get
from simulator.kubectl.printers import rollout_history_text

MAX_TIMELINE_DELTAS = 5000  # one timeline answer; ask again from the last ``t`` for more
MAX_TIMELINE_BYTES = 8 * 1024 * 1024  # of stored deltas in one timeline answer
EXPORT_PAGE_BYTES = 2 * 1024 * 1024  # about this much of the record is read at a time
SIZE_LOOKAHEAD = 1000  # rows whose sizes are read at once to plan the pages


def deployment_exists(cluster, name: str) -> bool:
    try:
        cluster.get("deployment", name)
    except KeyError:
        return False
    return True


def require_deployment(cluster, name: str) -> None:
    """`NotFound` with the API server's wording unless the Deployment exists."""
    if not deployment_exists(cluster, name):
        raise NotFound(f'deployments.apps "{name}" not found')


def deployment_history(*, simulation_id: int, deployment: str,
                       revision: int | None = None) -> dict:
    """``{"history": [{"revision", "change_cause", "images"}], "text": <rollout history>}``."""
    if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)
                                 or revision < 0):
        raise InvalidInput("revision: must be a non-negative integer", field="revision")
    found, history, text = read(simulation_id, history_view, deployment, revision or None)
    if not found:
        raise NotFound(f'deployments.apps "{deployment}" not found')
    if revision and text.startswith("error:"):
        raise NotFound(text.strip())
    return {"history": history, "text": text}


def history_view(cluster, deployment: str, revision: int | None) -> tuple[bool, list[dict], str]:
    """(whether the Deployment exists, its revisions with their images, kubectl's rollout history text)."""
    if not deployment_exists(cluster, deployment):
        return False, [], ""
    return (True, live.deployment_info(cluster, deployment)["history"],
            rollout_history_text(cluster, deployment, revision))


def timeline_between(*, simulation_id: int, since: float | None = None,
                     until: float | None = None) -> dict:
    """The commands and published deltas with ``since <= t <= until`` (either end open).

    One answer holds at most `MAX_TIMELINE_DELTAS` deltas and `MAX_TIMELINE_BYTES` of them
    (one delta at least); ``truncated`` says more follow: ask again from the last ``t``."""
    for name, value in (("since", since), ("until", until)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value)):
            raise InvalidInput(f"{name}: must be a number of seconds", field=name)
    simulation_get(simulation_id=simulation_id)
    ticks = TickRecord.objects.filter(simulation_id=simulation_id)
    commands = CommandRecord.objects.filter(simulation_id=simulation_id)
    if since is not None:
        ticks, commands = ticks.filter(sim_time__gte=since), commands.filter(sim_time__gte=since)
    if until is not None:
        ticks, commands = ticks.filter(sim_time__lte=until), commands.filter(sim_time__lte=until)
    sizes = list(ticks.order_by("seq").annotate(size=_text_length("payload"))
                 .values_list("seq", "size")[:MAX_TIMELINE_DELTAS + 1])
    first = page_bounds(sizes[:MAX_TIMELINE_DELTAS], MAX_TIMELINE_BYTES)[:1]
    deltas = [payload for (low, high) in first for payload in ticks.filter(seq__gte=low, seq__lte=high)
              .order_by("seq").values_list("payload", flat=True)]
    return {
        "sim": simulation_id,
        "since": since,
        "until": until,
        "commands": [command_dict(c) for c in commands.order_by("index")],
        "deltas": deltas,
        "truncated": len(deltas) < len(sizes),
    }


def recorded_history(*, simulation_id: int) -> Iterator[str]:
    """Everything recorded for a simulation, enough to replay it, as pieces of one JSON
    document: settings, Deployments with their revisions, every command, every snapshot and
    every published delta (the record as it was when the download began).

    The simulation is looked up at once (`NotFound`); the rest is read as it is sent, a page
    of rows at a time, each page within `EXPORT_PAGE_BYTES` unless one row is larger (a
    5,000-pod simulation's record is hundreds of megabytes; a page or two of it is in memory),
    and stored JSON is passed through as text, never decoded.
    """
    sim = simulation_get(simulation_id=simulation_id)
    last_command = sim.commands.aggregate(last=Max("index"))["last"]
    return _history_pieces(sim, last_command if last_command is not None else -1)


def _history_pieces(sim: Simulation, last_command: int) -> Iterator[str]:
    settings = {"id": sim.id, "name": sim.name, "seed": sim.seed, "tick": sim.tick,
                "speed": sim.speed, "running": sim.running, "t": sim.sim_time, "seq": sim.seq,
                "demo": sim.demo}
    yield f'{{"v": {json.dumps(VERSION)}, "simulation": {json.dumps(settings)}, "deployments": '
    yield json.dumps(_export_deployments(sim))
    yield ', "commands": ['
    commands = sim.commands.filter(index__lte=last_command)
    yield from _joined(_pages(commands, "index", _text_length("args") + _text_length("outcome"),
                              lambda c: json.dumps(command_dict(c))))
    yield '], "snapshots": ['
    snapshots = (Snapshot.objects.filter(simulation=sim, seq__lte=sim.seq)
                 .annotate(text=Cast("state", TextField())).only("id", "seq", "sim_time"))
    yield from _joined(_pages(snapshots, "id", _text_length("state"), lambda s: (
        f'{{"seq": {s.seq}, "t": {json.dumps(s.sim_time)}, "state": {s.text}}}')))
    yield '], "deltas": ['
    deltas = (sim.ticks.filter(seq__lte=sim.seq)
              .annotate(text=Cast("payload", TextField())).only("id", "seq"))
    yield from _joined(_pages(deltas, "seq", _text_length("payload"), lambda d: d.text))
    yield "]}"


def _text_length(field: str) -> Length:
    """The stored JSON text's length, computed by the database."""
    return Length(Cast(field, TextField()))


def _export_deployments(sim: Simulation) -> list[dict]:
    """The Deployment rows with their revisions (a few per Deployment: small)."""
    return [
        {"namespace": dep.namespace, "name": dep.name, "manifest": dep.manifest,
         "generation": dep.generation, "paused": dep.paused,
         "revisions": [
             {"revision": r.revision, "replicaset": r.replicaset, "template_hash": r.template_hash,
              "images": r.images, "change_cause": r.change_cause,
              "created_sim_time": r.created_sim_time, "template": r.template}
             for r in dep.revisions.order_by("revision")
         ]}
        for dep in sim.deployments.order_by("namespace", "name").prefetch_related("revisions")
    ]


def _pages(rows: QuerySet, key: str, size, encode: Callable[[object], str]) -> Iterator[str]:
    """``rows`` in ``key`` order, encoded, fetched a page at a time: each page is as many
    rows as fit in `EXPORT_PAGE_BYTES` by their stored ``size`` (one row at least), found
    from a look-ahead of the next rows' keys and sizes. Keyset paging: no cursor or read
    transaction stays open between pages."""
    after = None
    while True:
        ahead = rows.filter(**{f"{key}__gt": after}) if after is not None else rows
        sizes = list(ahead.annotate(size=size).order_by(key).values_list(key, "size")[:SIZE_LOOKAHEAD])
        for first, last in page_bounds(sizes, EXPORT_PAGE_BYTES):
            yield from map(encode, rows.filter(**{f"{key}__gte": first, f"{key}__lte": last}).order_by(key))
        if len(sizes) < SIZE_LOOKAHEAD:
            return
        after = sizes[-1][0]


def page_bounds(sizes: list[tuple[int, int]], budget: int) -> list[tuple[int, int]]:
    """Split ``(key, size)`` pairs (in key order) into runs of at most ``budget`` in total
    (a larger row alone); the first and last key of each run."""
    bounds, first, total = [], None, 0
    for key, size in sizes:
        if first is not None and total + size > budget:
            bounds.append((first, previous))
            first = None
        if first is None:
            first, total = key, 0
        total += size
        previous = key
    if first is not None:
        bounds.append((first, previous))
    return bounds


def _joined(texts: Iterable[str]) -> Iterator[str]:
    """The items of a JSON array (comma-separated), one piece each."""
    first = True
    for text in texts:
        yield text if first else "," + text
        first = False


def command_dict(record: CommandRecord) -> dict:
    """One recorded command as the API shows it."""
    return {"index": record.index, "t": record.sim_time, "name": record.name, "label": record.label,
            "args": record.args, "outcome": record.outcome, "ok": record.ok}
