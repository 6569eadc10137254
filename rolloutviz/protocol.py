"""The wire format of the live stream: versioned JSON messages and channel-layer messages.

Browser messages (docs/contracts.md §2) are plain dicts of JSON primitives with ``"v": 1``.
A delta is encoded to text exactly once, by whoever produced it (`encode`), and that text
travels through the channel layer inside a layer message, so each consumer forwards the
prepared text instead of serialising per viewer. Layer messages also hold only JSON
primitives (str, int, float, bool, None, list, dict), so they survive channels-redis'
msgpack serialiser unchanged.
"""
from __future__ import annotations

import json
import math
from typing import Any

VERSION = 1

# Channel-layer message types; each maps to a consumer handler ("." becomes "_").
LAYER_DELTA = "simulation.delta"  # one prepared delta text, with its seq
LAYER_RESYNC = "simulation.resync"  # the state was replaced: every viewer needs a fresh snapshot
LAYER_GONE = "simulation.gone"  # the simulation was deleted
LAYER_REVOKED = "simulation.revoked"  # a link was revoked: viewers who came through it lose access
LAYER_VIEW = "simulation.view"  # the presenter's view (time window, selected pod) for viewers who follow
LAYER_PRESENCE = "simulation.presence"  # a viewer is here / gone (sent to the presenters' group only)
LAYER_STATUS = "simulation.status"  # the simulation stalled (with why) or is live again

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


def marker(*, t: float, label: str, detail: str = "", kind: str = "command") -> dict:
    """A labelled moment on the timeline: a user command or a ScalingReplicaSet event.

    ``kind`` ("command" or "event") is our additive key: it tells the timeline recorder,
    when it rebuilds from stored deltas, which markers came from users.
    """
    return {"t": float(t), "label": str(label), "detail": str(detail), "kind": kind}


def delta_message(
    *,
    sim: int,
    seq: int,
    t: float,
    cause: str,
    changes: list[dict],
    events: list[dict],
    deployments: dict[str, dict],
    clock: dict,
    markers: list[dict],
    timeline: dict,
) -> dict:
    """One delta: what changed in one step or one command, numbered by ``seq``.

    ``cause`` ("step", "command", "clock" or "reset") and ``timeline`` (the new timeline
    entries, same shape as the snapshot's ``timeline`` without ``markers``) are additive keys.
    """
    return {
        "v": VERSION,
        "type": "delta",
        "sim": int(sim),
        "seq": int(seq),
        "t": float(t),
        "cause": cause,
        "changes": changes,
        "events": events,
        "deployments": deployments,
        "clock": clock,
        "markers": markers,
        "timeline": timeline,
    }


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
VIEW_FIELDS = {"start": float, "span": float, "follow": bool, "selected": (str, type(None))}
MAX_VIEW_TEXT = 253  # a selected pod's name is a Kubernetes name


def clean_view(view) -> dict | None:
    """A presenter's ``view`` with only known, well-typed, bounded fields; None when it is no such thing.

    ``start``/``span`` are the timeline's window in sim seconds, ``follow`` whether it keeps
    "now" in sight, ``selected`` the pod whose details are open (or None).
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
        elif not isinstance(value, kind) or (isinstance(value, str) and len(value) > MAX_VIEW_TEXT):
            return None
        cleaned[key] = value
    if cleaned.get("span", 1.0) <= 0:
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
    objects: dict[str, list[dict]],
    events: list[dict],
    deployments: dict[str, dict],
    timeline: dict,
) -> dict:
    """The snapshot ``state`` (also the body of GET /api/simulations/<id>/)."""
    return {
        "sim": int(sim),
        "seq": int(seq),
        "t": float(t),
        "clock": clock,
        "objects": {
            "deployments": objects.get("deployments", []),
            "replicasets": objects.get("replicasets", []),
            "pods": objects.get("pods", []),
            "nodes": objects.get("nodes", []),
        },
        "events": events,
        "deployments": deployments,
        "timeline": timeline,
    }


def layer_delta(*, seq: int, text: str) -> dict:
    """The channel-layer message carrying one prepared delta text to every consumer."""
    return {"type": LAYER_DELTA, "seq": int(seq), "text": text}


def layer_resync(*, seq: int) -> dict:
    """Tell every consumer of the group to send its client a fresh snapshot."""
    return {"type": LAYER_RESYNC, "seq": int(seq)}


def layer_gone(*, simulation_id: int) -> dict:
    """Tell every consumer of the group that the simulation no longer exists."""
    return {"type": LAYER_GONE, "sim": int(simulation_id)}


def layer_revoked(*, simulation_id: int) -> dict:
    """Tell every consumer of the group to check its viewer's role again (a link was revoked)."""
    return {"type": LAYER_REVOKED, "sim": int(simulation_id)}


def presenters_group(simulation_id: int) -> str:
    """The channel-layer group of one simulation's presenter pages (owners): they hear who is watching."""
    return f"simulation.{int(simulation_id)}.presenters"


def layer_view(*, simulation_id: int, view: dict, sender: str) -> dict:
    """The presenter's view for every consumer of the group (the sender's own page excepted)."""
    return {"type": LAYER_VIEW, "sender": sender,
            "text": encode(presenter_message(sim=simulation_id, view=view))}


def layer_presence(*, channel: str, here: bool) -> dict:
    """A viewer's page is here (sent again now and then) or gone, for the presenters' group."""
    return {"type": LAYER_PRESENCE, "channel": channel, "here": bool(here)}


def layer_status(*, simulation_id: int, state: str, reason: str = "") -> dict:
    """Tell every consumer of the group to pass a status message on to its client."""
    return {"type": LAYER_STATUS, "text": encode(status_message(sim=simulation_id, state=state, reason=reason))}
