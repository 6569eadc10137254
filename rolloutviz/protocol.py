"""The wire format of the live stream: versioned JSON messages and channel-layer messages.

Browser messages (docs/contracts.md §2) are plain dicts of JSON primitives with ``"v": 2``.
Objects and events travel in the compact form of `rolloutviz.compact` (only what changed, against
what the viewer holds) and the timeline in rows (`timeline_rows`, `timeline_patch`); `Viewer`
reads them back, as the page does. A delta is encoded to text exactly once, by whoever produced
it (`encode`), and that text is both what is stored (`TickRecord`) and what travels through the
channel layer inside a layer message, so each consumer forwards the prepared text instead of
serialising per viewer. Layer messages also hold only JSON primitives (str, int, float, bool,
None, list, dict), so they survive channels-redis' msgpack serialiser unchanged.
"""
from __future__ import annotations

import json
import math
from typing import Any

from rolloutviz import compact

VERSION = 2
# A pod's timeline states (`pod_timeline_state`) travel as their index here; any other as its text.
STATES = ("Pending", "ContainerCreating", "ErrImagePull", "ImagePullBackOff", "Running", "Ready", "Available",
          "Error", "Completed", "CrashLoopBackOff", "Terminating")
_STATE_CODES = {state: code for code, state in enumerate(STATES)}

# Channel-layer message types; each maps to a consumer handler ("." becomes "_").
LAYER_DELTA = "simulation.delta"  # one prepared delta text, with its seq
LAYER_RESYNC = "simulation.resync"  # the state was replaced: every viewer needs a fresh snapshot
LAYER_GONE = "simulation.gone"  # the simulation was deleted
LAYER_REVOKED = "simulation.revoked"  # a link was revoked: viewers who came through it lose access
LAYER_VIEW = "simulation.view"  # the presenter's view (time window, selected pod) for viewers who follow
LAYER_AUDIENCE = "simulation.audience"  # how many pages watch through one server process (its hub)
LAYER_STATUS = "simulation.status"  # the simulation stalled (with why) or is live again
LAYER_LESSON = "simulation.lesson"  # the tutorial step the presenter moved to

# States of {"type": "status"} messages.
STALLED = "stalled"
LIVE = "live"

# Error codes of {"type": "error"} messages.
NOT_FOUND = "NOT_FOUND"
BAD_REQUEST = "BAD_REQUEST"


def group_name(simulation_id: int) -> str:
    """The channel-layer group every viewer of one simulation joins."""
    return f"simulation.{int(simulation_id)}"


def encode(message: dict) -> str:
    """Serialise a wire message to compact JSON text (done once per message)."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def decode(text: str | bytes) -> Any:
    """Parse a wire message (the inverse of `encode`)."""
    return json.loads(text)


def clock_info(*, running: bool, speed: float, effective: float | None = None) -> dict:
    """The ``clock`` block of snapshots and deltas.

    ``effective`` (additive) is the fraction of ``speed`` the clock achieves, present only while
    a running clock cannot keep up (e.g. 0.4: "running at 0.4× of the chosen speed").
    """
    block = {"running": bool(running), "speed": float(speed)}
    if effective is not None:
        block["effective"] = round(float(effective), 2)
    return block


def marker(*, t: float, label: str, detail: str = "", kind: str = "command", words: str = "") -> dict:
    """A labelled moment on the timeline: a user command or a ScalingReplicaSet event.

    ``kind`` ("command", "event" or "explanation") is our additive key: it tells the timeline
    recorder, when it rebuilds from stored deltas, which markers it cannot derive from the
    deltas' events (users' commands, and the Deployment controller's explanations: ``label``
    the Deployment, ``detail`` the sentence). ``words`` (additive, only when they differ from
    ``label``) is how the timeline shows a command, as people say it (`rolloutviz.spoken`).
    """
    found = {"t": float(t), "label": str(label), "detail": str(detail), "kind": kind}
    if words and words != label:
        found["words"] = str(words)
    return found


def delta_message(
    *,
    sim: int,
    seq: int,
    t: float,
    cause: str,
    changes: dict,
    deployments: dict[str, dict],
    clock: dict,
    markers: list[dict],
    timeline: dict,
) -> dict:
    """One delta: what changed in one step or one command, numbered by ``seq``.

    ``changes`` is `compact.encode`'s answer (``objects``, ``events``, maybe ``expired``);
    ``timeline`` the recorder's patch, sent as `timeline_patch` rows.
    """
    return {
        "v": VERSION,
        "type": "delta",
        "sim": int(sim),
        "seq": int(seq),
        "t": float(t),
        "cause": cause,
        **changes,
        "deployments": deployments,
        "clock": clock,
        "markers": markers,
        "timeline": timeline_patch(timeline, changes.get("objects") or ()),
    }


def state_code(state: str):
    """A pod timeline state as sent: its index in `STATES`, or its text if it is not one of them."""
    return _STATE_CODES.get(state, state)


def state_name(code) -> str:
    """The state a `state_code` stands for."""
    return STATES[code] if type(code) is int else code


def timeline_patch(patch: dict, objects) -> dict:
    """A delta's timeline patch (the recorder's) as sent: each pod touched is a row
    ``[pod, states, facts?]`` — ``pod`` the index of its record in the delta's ``objects`` or its
    name, ``states`` its new state at the delta's time (a code, a list of codes, or null),
    ``facts`` only what changed of ``rs``, ``node``, ``deleted`` and its new ``marks``
    (``[kind, detail]``, at the delta's time). ReplicaSets and Deployments go as the recorder has them."""
    records = {entry[2]: index for index, entry in enumerate(objects) if entry[1] == "Pod"}
    rows = []
    for name, entry in (patch.get("pods") or {}).items():
        codes = [state_code(state) for _, state in entry.get("segments") or ()]
        row = [records.get(name, name), codes[0] if len(codes) == 1 else (codes or None)]
        facts = {key: entry[key] for key in ("rs", "node", "deleted") if key in entry}
        if entry.get("marks"):
            facts["marks"] = [mark[1:] for mark in entry["marks"]]
        if facts:
            row.append(facts)
        rows.append(row)
    sent = {"pods": rows, "replicasets": patch.get("replicasets") or {}, "deployments": patch.get("deployments") or {}}
    if patch.get("traffic"):  # only in steps that sent requests
        sent["traffic"] = patch["traffic"]
    return sent


def timeline_rows(timeline: dict) -> dict:
    """A snapshot's timeline (the recorder's `as_dict`) as sent: each pod a row
    ``[name, rs, node, deleted, [t, state, t, state, ...], [[t, kind, detail], ...]]``."""
    rows = [[name, lane["rs"], lane["node"], lane["deleted"],
             [item for t, state in lane["segments"] for item in (t, state_code(state))], lane["marks"]]
            for name, lane in (timeline.get("pods") or {}).items()]
    return {**timeline, "pods": rows}


def snapshot_message(state: dict) -> dict:
    """The full-state message sent on connect and on resync; ``state`` as `state_dict` builds it."""
    return {
        "v": VERSION,
        "type": "snapshot",
        "sim": state["sim"],
        "seq": state["seq"],
        "t": state["t"],
        "state": state,
    }


def snapshot_text(state: dict, state_text: str) -> str:
    """`encode(snapshot_message(state))`, around a ``state_text`` encoded already (a big state is encoded once)."""
    head = encode({key: value for key, value in snapshot_message(state).items() if key != "state"})
    return f'{head[:-1]},"state":{state_text}}}'


def error_message(*, code: str, message: str) -> dict:
    """An error the server reports over the socket (e.g. unknown simulation)."""
    return {"v": VERSION, "type": "error", "code": code, "message": message}


def status_message(*, sim: int, state: str, reason: str = "") -> dict:
    """The stream's health: ``stalled`` (``reason`` says why, e.g. "the database disk is full") or ``live``.

    A page shows "stalled: <reason>" instead of "live" until this says ``live`` or the next
    delta or snapshot arrives.
    """
    return {"v": VERSION, "type": "status", "sim": int(sim), "state": state, "reason": str(reason)}


# What a presenter's page may tell its viewers about its view, and the type of each value.
SEQ = "seq"  # a view field holding a recorded seq, or None
VIEW_FIELDS = {"start": float, "span": float, "follow": bool, "selected": (str, type(None)),
               "rewound": SEQ, "playing": bool, "playback_speed": float}
MAX_VIEW_TEXT = 253  # a selected pod's name is a Kubernetes name


def clean_view(view) -> dict | None:
    """A presenter's ``view`` with only known, well-typed, bounded fields; None when it is no such thing.

    ``start``/``span`` are the timeline's window in sim seconds, ``follow`` whether it keeps
    "now" in sight, ``selected`` the pod whose details are open (or None); ``rewound`` the past
    seq shown (None: live; while ``playing`` back at ``playback_speed``, the seq it started from).
    """
    if not isinstance(view, dict) or not set(view) <= set(VIEW_FIELDS):
        return None
    cleaned = {}
    for key, value in view.items():
        kind = VIEW_FIELDS[key]
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return None
            value = float(value)
        elif kind is SEQ:
            if value is not None and (type(value) is not int or not 0 <= value < 2**63):
                return None
        elif not isinstance(value, kind) or (isinstance(value, str) and len(value) > MAX_VIEW_TEXT):
            return None
        cleaned[key] = value
    if cleaned.get("span", 1.0) <= 0 or cleaned.get("playback_speed", 1.0) <= 0:
        return None
    return cleaned


def presenter_message(*, sim: int, view: dict) -> dict:
    """The presenter's view, for the pages that follow it (a `clean_view`)."""
    return {"v": VERSION, "type": "presenter", "sim": int(sim), "view": view}


def audience_message(*, sim: int, viewers: int) -> dict:
    """How many other pages watch the simulation (told to the presenter's pages)."""
    return {"v": VERSION, "type": "audience", "sim": int(sim), "viewers": int(viewers)}


def state_dict(
    *,
    sim: int,
    seq: int,
    t: float,
    clock: dict,
    objects: dict,
    deployments: dict[str, dict],
    timeline: dict,
) -> dict:
    """The snapshot ``state`` (also the body of GET /api/simulations/<id>/): ``objects`` is
    `compact.everything`'s answer, ``timeline`` the recorder's `as_dict` (sent as `timeline_rows`)."""
    return {
        "sim": int(sim),
        "seq": int(seq),
        "t": float(t),
        "clock": clock,
        "objects": objects.get("objects") or [],
        "events": objects.get("events") or [],
        "deployments": deployments,
        "timeline": timeline_rows(timeline),
    }


def payload_records(payload: dict, mirror: compact.Mirror) -> tuple[list[dict], list[dict]]:
    """(object change records, events) of a delta (as published or stored, v1 or v2) for a viewer
    holding ``mirror``, which is brought forward; a reset's delta starts from nothing."""
    if payload.get("cause") == "reset":
        mirror.clear()
    if payload.get("v", 1) < 2:  # a stored history from before the compact form: whole objects
        changes, events = payload.get("changes") or [], payload.get("events") or []
        for change in changes:
            if change["kind"] in mirror.objects:
                mirror.put(change["kind"], change["name"], None if change["type"] == "DELETED" else change["object"])
        for event in events:
            if (event.get("metadata") or {}).get("name") is not None:
                mirror.write_event(event)
        return changes, events
    records = compact.decode(mirror, payload)
    return ([r for r in records if r["type"] != "EVENT"], [r["object"] for r in records if r["type"] == "EVENT"])


def empty_timeline() -> dict:
    """A timeline holding nothing, in the recorder's `as_dict` shape."""
    return {"pods": {}, "replicasets": {}, "deployments": {}, "traffic": {}, "markers": []}


def pod_row_name(delta: dict, row: list) -> str:
    """The pod a delta's timeline row is about (a row names it, or its index in the delta's ``objects``)."""
    return delta["objects"][row[0]][2] if type(row[0]) is int else row[0]


def fold_timeline(timeline: dict, delta: dict) -> dict:
    """``timeline`` (the recorder's `as_dict` shape) extended by what a delta says it adds (its
    ``timeline`` rows and ``markers``), as a page extends it; a reset's delta starts afresh. Returns
    the timeline to use next. Reads nothing but the delta (pod rows name their objects by index)."""
    if delta.get("cause") == "reset":
        timeline = empty_timeline()
    for row in delta["timeline"]["pods"]:
        name = pod_row_name(delta, row)
        lane = timeline["pods"].setdefault(name, {"rs": None, "node": None, "segments": [], "marks": [],
                                                  "deleted": None})
        facts = row[2] if len(row) > 2 else {}
        lane.update({key: facts[key] for key in ("rs", "node", "deleted") if key in facts})
        codes = row[1] if type(row[1]) is list else [] if row[1] is None else [row[1]]
        lane["segments"] += [[delta["t"], state_name(code)] for code in codes]
        lane["marks"] += [[delta["t"], *mark] for mark in facts.get("marks", ())]
    for name, rs in delta["timeline"]["replicasets"].items():
        entry = timeline["replicasets"].setdefault(name, {"series": []})
        entry.update({key: value for key, value in rs.items() if key != "series"})
        entry["series"] += rs["series"]
    for name, dep in delta["timeline"]["deployments"].items():
        timeline["deployments"].setdefault(name, {"series": []})["series"] += dep["series"]
    for name, entry in (delta["timeline"].get("traffic") or {}).items():
        timeline["traffic"].setdefault(name, {"series": []})["series"] += entry["series"]
    timeline["markers"] += delta["markers"]
    return timeline


class Viewer:
    """What a page holds of one simulation, fed with the messages it gets: the reference reader of
    the wire (the page's `store.js` does the same), used by the tests and by anyone reading a
    stored history."""

    def __init__(self) -> None:
        self.mirror = compact.Mirror()
        self.seq: int | None = None
        self.t = 0.0
        self.deployments: dict[str, dict] = {}
        self.timeline: dict = empty_timeline()

    def load(self, state: dict) -> None:
        """Replace everything with a snapshot's ``state``."""
        self.__init__()
        self.seq, self.t = state["seq"], state["t"]
        compact.decode(self.mirror, state)
        self.deployments = {name: dict(facts) for name, facts in state["deployments"].items()}
        timeline = state["timeline"]
        self.timeline = {
            "pods": {row[0]: {"rs": row[1], "node": row[2], "segments": [[row[4][i], state_name(row[4][i + 1])]
                                                                          for i in range(0, len(row[4]), 2)],
                              "marks": [list(mark) for mark in row[5]], "deleted": row[3]}
                     for row in timeline["pods"]},
            "replicasets": {name: {**rs, "series": list(rs["series"])} for name, rs in timeline["replicasets"].items()},
            "deployments": {name: {"series": list(d["series"])} for name, d in timeline["deployments"].items()},
            "traffic": {name: {"series": list(d["series"])} for name, d in (timeline.get("traffic") or {}).items()},
            "markers": list(timeline["markers"]),
        }

    def apply(self, delta: dict) -> list[dict]:
        """Apply a delta that follows on (its seq is the next); returns its change records."""
        changes, events = payload_records(delta, self.mirror)
        self.seq, self.t = delta["seq"], delta["t"]
        for name, facts in delta["deployments"].items():
            self.deployments[name] = {**self.deployments.get(name, {}), **facts}
        self.timeline = fold_timeline(self.timeline, delta)
        return changes + [{"type": "EVENT", "kind": "Event", "name": e["metadata"]["name"], "namespace": "default",
                           "object": e} for e in events]

    def objects(self, kind: str) -> list[dict]:
        """The objects of ``kind`` held, by name (as `Cluster.list` orders them)."""
        return [self.mirror.objects[kind][name] for name in self.mirror.names(kind)]

    def events(self) -> dict[str, dict]:
        """The events held, by name."""
        return dict(self.mirror.events)


def layer_delta(*, simulation_id: int, seq: int, text: str) -> dict:
    """The channel-layer message carrying one prepared delta text to every viewer.

    Every layer message names its simulation (``sim``): a server process's hub receives the
    messages of all the simulations it has viewers for on one channel."""
    return {"type": LAYER_DELTA, "sim": int(simulation_id), "seq": int(seq), "text": text}


def layer_resync(*, simulation_id: int, seq: int) -> dict:
    """Tell every viewer of the simulation to get a fresh snapshot."""
    return {"type": LAYER_RESYNC, "sim": int(simulation_id), "seq": int(seq)}


def layer_gone(*, simulation_id: int) -> dict:
    """Tell every consumer of the group that the simulation no longer exists."""
    return {"type": LAYER_GONE, "sim": int(simulation_id)}


def layer_revoked(*, simulation_id: int) -> dict:
    """Tell every consumer of the group to check its viewer's role again (a link was revoked)."""
    return {"type": LAYER_REVOKED, "sim": int(simulation_id)}


def layer_view(*, simulation_id: int, view: dict, sender: str) -> dict:
    """The presenter's view for every page of the simulation (the sender's own page excepted)."""
    return {"type": LAYER_VIEW, "sim": int(simulation_id), "sender": sender,
            "text": encode(presenter_message(sim=simulation_id, view=view))}


def layer_audience(*, simulation_id: int, hub: str, viewers: int) -> dict:
    """How many pages (presenters' not counted) watch the simulation through the server process of ``hub``."""
    return {"type": LAYER_AUDIENCE, "sim": int(simulation_id), "hub": hub, "viewers": int(viewers)}


def lesson_message(*, sim: int, step: int, steps: int) -> dict:
    """The tutorial step every page of the simulation shows (0-based ``step`` of ``steps``)."""
    return {"v": VERSION, "type": "lesson", "sim": int(sim), "step": int(step), "steps": int(steps)}


def layer_lesson(*, simulation_id: int, step: int, steps: int) -> dict:
    """Tell every consumer of the group to pass the new tutorial step on to its client."""
    return {"type": LAYER_LESSON, "sim": int(simulation_id),
            "text": encode(lesson_message(sim=simulation_id, step=step, steps=steps))}


def layer_status(*, simulation_id: int, state: str, reason: str = "") -> dict:
    """Tell every consumer of the group to pass a status message on to its client."""
    return {"type": LAYER_STATUS, "sim": int(simulation_id),
            "text": encode(status_message(sim=simulation_id, state=state, reason=reason))}
