"""Watches of a simulation's Kubernetes API: every change after a resourceVersion, as one
JSON watch event per line.

The simulation's resourceVersion is its delta ``seq``, so a watch is served from the stored
history. `changes_since` is the one function that reads it: each stored delta
(`TickRecord.payload`, the v2 wire's compact form) says what changed against what a viewer
holds, so deltas are read in order from the nearest snapshot (`_Decoder`), and a reset's
delta (``cause: "reset"``) ends every watch across it with 410.

A watch (`open_watch`, then `events`):

* starts from the current state (resourceVersion unset or "0": synthetic ADDED events, read
  from the live copy), or from a resourceVersion whose changes the history still holds
  (`HISTORY` deltas; older is 410 Expired, also when a reset lies between), so it resumes in
  any process, after a restart too;
* then waits on the simulation's channel-layer group, which every process publishing a delta
  reaches (on the in-memory layer with the tail's help), and reads what is new from the
  history: a notification is a wake-up, never the data. It holds no thread and no database
  transaction while it waits, and looks at the database itself every `POLL_SECONDS` in case a
  notification was lost;
* sends only what matches its kind, namespace, name and selectors (filtered before anything is
  serialised: a watch costs what it sends); an object that stops matching is DELETED for it,
  one that starts matching ADDED, as the watch cache does; with ``Accept: …as=Table`` each
  event is a one-row Table (column definitions in the first only);
* sends BOOKMARKs every `bookmark_seconds` when asked (``allowWatchBookmarks``), ends at
  ``timeoutSeconds``, when the simulation is deleted, or when its token is revoked.

Decoded deltas are shared by the watches of one process (`_recent`), within a byte budget.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import AsyncIterator, NamedTuple

from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import TextField
from django.db.models.functions import Cast

from rolloutviz import compact, protocol, runner
from rolloutviz.models import Simulation, Snapshot, TickRecord
from rolloutviz.runner import tail
from rolloutviz.services import kubernetes, live, watching
from rolloutviz.services.kubernetes import Caller, RequestInfo, StatusError
from simulator import Cluster
from simulator.api import resource_versions
from simulator.api.selectors import SelectorError, parse_field_selector, parse_label_selector, selectable_fields
from simulator.api.status import bad_request, expired, invalid
from simulator.api.tables import table

logger = logging.getLogger(__name__)

POLL_SECONDS = 5.0  # the longest a watch waits before looking at the database itself
DEFAULT_TIMEOUT_SECONDS = 1800  # the API server's minimum request timeout, when the client names none
MAX_TIMEOUT_SECONDS = 3600
WATCH_MARK_SECONDS = 60.0  # an open watch keeps its simulation's clock from stopping for lack of viewers
READ_ROWS = 200  # stored deltas read at a time
RECENT_BYTES = 64 * 1024 * 1024  # decoded deltas kept for this process's watches (by stored size)
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
TOO_LARGE_POLL_SECONDS = 0.1  # how often a watch from a version not reached yet looks again


def history() -> int:
    """Deltas a watch may resume across (setting ``KUBERNETES_WATCH_HISTORY``); older is 410."""
    return int(getattr(settings, "KUBERNETES_WATCH_HISTORY", 10_000))


def bookmark_seconds() -> float:
    """Seconds between BOOKMARKs of a watch that asked for them (``KUBERNETES_WATCH_BOOKMARK_SECONDS``)."""
    return float(getattr(settings, "KUBERNETES_WATCH_BOOKMARK_SECONDS", 60.0))


# ---------------------------------------------------------------- the stored history


class Change(NamedTuple):
    """One change in the history: an object ADDED, MODIFIED or DELETED at ``seq`` (simulated
    time ``t``), or ``RESET``: the simulation was replaced there (kind and object empty)."""

    seq: int
    t: float
    type: str
    kind: str
    object: dict | None


RESET = "RESET"


def _decode(payload: dict, mirror: compact.Mirror) -> list[Change]:
    """One stored delta's changes, for a reader holding ``mirror`` (brought forward): a v2 delta
    says what changed against what a viewer holds (`protocol.payload_records`)."""
    seq, t = payload["seq"], payload.get("t", 0.0)
    reset = payload.get("cause") == "reset"
    changes, events = protocol.payload_records(payload, mirror)
    if reset:
        return [Change(seq, t, RESET, "", None)]
    out = [Change(seq, t, record["type"], record["kind"], record["object"]) for record in changes]
    for event in events:  # an event's first write is ADDED, its repeats MODIFIED
        out.append(Change(seq, t, "ADDED" if event.get("count", 1) == 1 else "MODIFIED", "Event", event))
    return out


class _Decoder:
    """One simulation's stored deltas read in seq order: what a viewer holds after ``seq``.

    A delta can only be read against the state before it, so a reader starts from the nearest
    snapshot at or before the first delta it needs and reads forward from there."""

    def __init__(self, simulation_id: int) -> None:
        self.simulation_id = simulation_id
        self.mirror = compact.Mirror()
        self.seq = -1  # nothing read yet
        self.guard = threading.Lock()

    def start_at(self, seq: int) -> None:
        """Hold the state after ``seq`` or the nearest snapshot before it (nothing at all: 0)."""
        snapshot = (Snapshot.objects.filter(simulation_id=self.simulation_id, seq__lte=seq)
                    .order_by("-seq").values_list("seq", "state").first())
        if snapshot is None:
            self.mirror, self.seq = compact.Mirror(), 0
        else:
            self.seq, state = snapshot
            self.mirror = compact.Mirror.of(Cluster.restore(state))

    def read(self, first: int, last: int) -> dict[int, tuple[int, list[Change]]]:
        """Deltas ``first``..``last`` as {seq: (stored size, changes)}."""
        with self.guard:
            if not 0 <= self.seq < first:
                self.start_at(first - 1)
            rows = (TickRecord.objects.filter(simulation_id=self.simulation_id, seq__gt=self.seq, seq__lte=last)
                    .order_by("seq").values_list("seq", Cast("payload", TextField())))
            out = {}
            for seq, text in rows:
                changes = _decode(json.loads(text), self.mirror)
                self.seq = seq
                if seq >= first:
                    out[seq] = (len(text), changes)
            return out


_decoders: OrderedDict[int, _Decoder] = OrderedDict()
_decoders_guard = threading.Lock()
MAX_DECODERS = 16  # simulations whose history this process reads at once (each holds a Mirror)


def _decoder(simulation_id: int) -> _Decoder:
    with _decoders_guard:
        decoder = _decoders.pop(simulation_id, None) or _Decoder(simulation_id)
        _decoders[simulation_id] = decoder
        while len(_decoders) > MAX_DECODERS:
            _decoders.popitem(last=False)
        return decoder


class _Recent:
    """Decoded deltas by (simulation, seq), most recently used last, within `RECENT_BYTES`."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[int, int], tuple[int, list[Change]]] = OrderedDict()
        self.size = 0
        self.guard = threading.Lock()

    def get(self, key: tuple[int, int]) -> list[Change] | None:
        with self.guard:
            entry = self.entries.get(key)
            if entry is None:
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple[int, int], size: int, changes: list[Change]) -> None:
        with self.guard:
            if key in self.entries:
                return
            self.entries[key] = (size, changes)
            self.size += size
            while self.size > RECENT_BYTES and len(self.entries) > 1:
                self.size -= self.entries.popitem(last=False)[1][0]


_recent = _Recent()


def changes_since(simulation_id: int, after_seq: int, upto_seq: int) -> list[Change]:
    """Every change stored after ``after_seq`` up to ``upto_seq``, in order (at most
    `READ_ROWS` deltas: call again from the last one's seq for more; a `RESET` change ends what
    a watch can be told)."""
    seqs = range(after_seq + 1, min(upto_seq, after_seq + READ_ROWS) + 1)
    known = {seq: _recent.get((simulation_id, seq)) for seq in seqs}
    missing = [seq for seq, changes in known.items() if changes is None]
    if missing:
        for seq, (size, changes) in _decoder(simulation_id).read(missing[0], missing[-1]).items():
            if known.get(seq) is None:
                known[seq] = changes
                _recent.put((simulation_id, seq), size, changes)
    return [change for seq in seqs for change in known.get(seq) or ()]


def latest_seq(simulation_id: int) -> int | None:
    """The simulation's last delta, or None once it is deleted."""
    return Simulation.objects.filter(pk=simulation_id).values_list("seq", flat=True).first()


def oldest_version(newest: int) -> int:
    """The oldest resourceVersion whose changes a watch may still be told (`history`)."""
    return max(1, newest - history() + 1)


# ---------------------------------------------------------------- a watch


@dataclass
class Watch:
    """One open watch: what it filters on, where it is in the history, how it answers."""

    caller: Caller
    authorization: str
    kind: str
    api_version: str
    namespace: str
    name: str
    labels: object
    fields: object
    since: int | None  # None: start from the current state
    timeout: float
    bookmarks: bool
    initial_events: bool
    table: str | None
    include_object: str
    offset: int
    matched: set[str] = field(default_factory=set)  # names this watcher holds as present
    headers_sent: bool = False


def _int(text: str, name: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise StatusError(bad_request(f'invalid value "{text}" for {name}'))
    return int(text)


def open_watch(*, caller: Caller, authorization: str, info: RequestInfo, query, table_version: str | None,
               offset: int) -> Watch:
    """A watch of ``info``'s resource from ``query``'s resourceVersion; its selectors and
    version are checked before anything is sent (400 / 422), a version the history no longer
    holds is 410 (raised as StatusError: the stream answers it as an ERROR event)."""
    r = info.resource
    try:
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""), info.kind)
    except SelectorError as error:
        raise StatusError(bad_request(str(error))) from None
    if info.subresource:
        raise kubernetes.not_found_path()
    timeout = min(_int(query.get("timeoutSeconds") or str(DEFAULT_TIMEOUT_SECONDS), "timeoutSeconds"),
                  MAX_TIMEOUT_SECONDS)
    include_object = query.get("includeObject", "") or "Metadata"
    if table_version:
        table(info.kind, [], 0, include_object=include_object)  # an unknown includeObject is a 400
    try:
        requested = resource_versions.parse(query.get("resourceVersion", ""))
    except resource_versions.InvalidResourceVersion as error:
        raise StatusError(invalid(r.name, "", [error.error], r.group)) from None
    initial = query.get("sendInitialEvents", "").lower() == "true"
    if requested:
        _wait_for_version(caller.simulation_id, requested)
    return Watch(caller=caller, authorization=authorization, kind=info.kind, api_version=r.group_version,
                 namespace=info.namespace, name=info.name, labels=labels, fields=fields,
                 since=None if initial or requested == 0 else requested, timeout=float(timeout),
                 bookmarks=query.get("allowWatchBookmarks", "").lower() in ("true", "1"), initial_events=initial,
                 table=table_version, include_object=include_object, offset=offset)


def _wait_for_version(simulation_id: int, requested: int) -> None:
    """Wait until the simulation reaches ``requested`` (a client that read from another server
    may be ahead of this one's view), at most `resource_versions.TOO_LARGE_WAIT_SECONDS`; then
    504 Too large resource version, as the watch cache answers."""
    deadline = time.monotonic() + resource_versions.TOO_LARGE_WAIT_SECONDS
    while True:
        current = latest_seq(simulation_id) or 0
        if current >= requested:
            return
        if time.monotonic() >= deadline:
            raise StatusError(resource_versions.too_large(requested, current))
        time.sleep(TOO_LARGE_POLL_SECONDS)


def _line(event: dict) -> bytes:
    return (json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def _relevant(watch: Watch, change: Change) -> bool:
    """Whether the change is about this watch's kind, namespace and name (before any selector)."""
    if change.kind != watch.kind:
        return False
    meta = change.object.get("metadata") or {}
    if watch.namespace and meta.get("namespace", kubernetes.NAMESPACE) != watch.namespace:
        return False
    return not watch.name or meta.get("name") == watch.name


def _matches(watch: Watch, obj: dict) -> bool:
    return watch.labels.matches((obj.get("metadata") or {}).get("labels")) and watch.fields.matches(
        selectable_fields(obj))


def _event(watch: Watch, kind: str, obj: dict, now: float) -> bytes:
    """One watch event, as the watcher asked for it (the object served, or a one-row Table)."""
    if watch.table:
        body = table(watch.kind, [obj], now, include_object=watch.include_object, headers=not watch.headers_sent)
        body["apiVersion"] = f"meta.k8s.io/{watch.table}"
        body["metadata"] = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")}
        watch.headers_sent = True
        obj = body
    return _line({"type": kind, "object": kubernetes.served(obj, watch.offset)})


def _told(watch: Watch, change: Change) -> bytes | None:
    """What the watcher is told of a change: as it happened, or DELETED / ADDED when the object
    left or entered its selectors, or nothing."""
    if not _relevant(watch, change):
        return None
    name = change.object["metadata"].get("name", "")
    held, matches = name in watch.matched, _matches(watch, change.object)
    if change.type == "DELETED" or (held and not matches):
        if not held and not (watch.since is not None and matches):
            return None
        watch.matched.discard(name)
        return _event(watch, "DELETED", change.object, change.t)
    if not matches:
        return None
    watch.matched.add(name)
    # a resumed watch does not know what its watcher held before: an update stays an update
    kind = "ADDED" if change.type == "ADDED" or (not held and watch.since is None) else change.type
    return _event(watch, kind, change.object, change.t)


def _bookmark(watch: Watch, version: int, annotations: dict | None = None) -> bytes:
    event = resource_versions.bookmark(watch.kind, watch.api_version, version)
    if annotations:
        event["object"]["metadata"]["annotations"] = annotations
    return _line(event)


def _error(status: dict) -> bytes:
    return _line({"type": "ERROR", "object": status})


def current_state(reader, kind: str, namespace: str) -> tuple[int, float, list[dict]]:
    """(resourceVersion, simulated now, every object of ``kind`` in ``namespace``) of the live
    copy (a `live.read` view), for a watch that starts from the current state."""
    cluster = reader.cluster
    listed = kubernetes.answer_read(cluster, kubernetes.ReadRequest(kind=kind, namespace=namespace))
    return int(listed["metadata"]["resourceVersion"]), cluster.now, listed["items"]


def _still_allowed(watch: Watch) -> bool:
    try:
        kubernetes.authenticate(simulation_id=watch.caller.simulation_id, authorization=watch.authorization)
    except StatusError:
        return False
    return True


def _reset_status(seq: int) -> dict:
    return expired(f"the simulation was reset at resourceVersion {seq}: list again")


async def _receive(layer, channel: str, timeout: float) -> list[dict]:
    """The group messages that arrive within ``timeout`` seconds (after the first, whatever else
    is already queued): a burst of deltas is read from the history once."""
    messages = []
    try:
        messages.append(await asyncio.wait_for(layer.receive(channel), timeout))
        while True:
            messages.append(await asyncio.wait_for(layer.receive(channel), 0.001))
    except asyncio.TimeoutError:
        pass
    return messages


async def events(watch: Watch) -> AsyncIterator[bytes]:
    """The watch's lines until it ends (see the module docstring)."""
    simulation_id = watch.caller.simulation_id
    deadline = asyncio.get_running_loop().time() + watch.timeout
    layer = get_channel_layer()
    channel = await layer.new_channel()
    group = protocol.group_name(simulation_id)
    await layer.group_add(group, channel)  # before reading the state: no change can slip between
    tailing = False
    try:
        newest = await runner.in_thread(latest_seq)(simulation_id)
        if newest is None:
            return
        if watch.since is None:
            position, now, objects = await runner.in_thread(live.read)(
                simulation_id=simulation_id, view=current_state, args=(watch.kind, watch.namespace))
            for obj in objects:
                line = _told(watch, Change(position, now, "ADDED", watch.kind, obj))
                if line is not None:
                    yield line
            if watch.initial_events:
                yield _bookmark(watch, position, {INITIAL_EVENTS_END: "true"})
        else:
            try:
                resource_versions.watch_start(str(watch.since), oldest_version(newest))
            except StatusError as too_old:
                yield _error(too_old.status)
                return
            position = watch.since
        tail.current().watch(simulation_id, position)  # other processes' deltas reach this one's layer
        tailing = True
        async for line in _follow(watch, layer, channel, position, deadline):
            yield line
    finally:
        if tailing:
            tail.current().unwatch(simulation_id)
        try:
            await layer.group_discard(group, channel)
        except Exception:  # noqa: BLE001 - the layer is away; it forgets the channel by itself
            pass


async def _follow(watch: Watch, layer, channel: str, position: int, deadline: float) -> AsyncIterator[bytes]:
    """The changes after ``position`` as they come, until the deadline or the end."""
    simulation_id = watch.caller.simulation_id
    loop = asyncio.get_running_loop()
    next_bookmark = loop.time() + bookmark_seconds()
    next_mark = loop.time()
    while loop.time() < deadline:
        now = loop.time()
        if now >= next_mark:
            await runner.in_thread(watching.mark_watched)(simulation_id)
            next_mark = now + WATCH_MARK_SECONDS
        wait = min(deadline - now, POLL_SECONDS)
        if watch.bookmarks:
            wait = min(wait, max(0.0, next_bookmark - now))
        messages = await _receive(layer, channel, wait)
        types = {m.get("type") for m in messages}
        if protocol.LAYER_GONE in types:
            return
        if protocol.LAYER_REVOKED in types and not await runner.in_thread(_still_allowed)(watch):
            return
        upto = max((m["seq"] for m in messages if m.get("type") == protocol.LAYER_DELTA), default=0)
        if not messages or protocol.LAYER_RESYNC in types:  # nothing heard (one lost?), or a reset: look
            upto = await runner.in_thread(latest_seq)(simulation_id)
            if upto is None:
                return
        while upto > position:
            changes = await runner.in_thread(changes_since)(simulation_id, position, upto)
            for change in changes:
                if change.type == RESET:
                    yield _error(_reset_status(change.seq))
                    return
                line = _told(watch, change)
                if line is not None:
                    yield line
            position = min(upto, position + READ_ROWS)
        if watch.bookmarks and loop.time() >= next_bookmark:
            yield _bookmark(watch, position)
            next_bookmark = loop.time() + bookmark_seconds()
