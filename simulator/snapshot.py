"""Snapshot and restore of a Store as plain JSON data: restoring and stepping on gives
exactly the future the original would have had.

Version 3 keeps every instant and duration as integer milliseconds, as the engine does,
the resourceVersions (the store's and each object's), the nodes' labels, annotations and
cordon, and the pods' generateName. Earlier versions (databases hold them) are converted
on load: version 2 lacked all but the first, version 1 also kept float seconds.
"""
from __future__ import annotations

from collections import deque

from simulator.api import render
from simulator.api.pod_budget import DEFAULT_POD_BUDGET
from simulator.event_correlator import EventCorrelator
from simulator.kubelet.backoff import ImagePullBackoff, RestartBackoff
from simulator.kubelet.images import ImageCatalogue
from simulator.objects import Deployment, Node, Pod, ReplicaSet, copy_data, default_node_labels
from simulator.store import Store
from simulator.timers import TimerQueue, ms

VERSION = 3
_COLLECTIONS = (("deployments", Deployment), ("replicasets", ReplicaSet), ("pods", Pod),
                ("nodes", Node))


def dump(store: Store) -> dict:
    """Every piece of state, including the RNG, timers, queued work and unreported changes."""
    version, internal, gauss = store.rng.getstate()
    state = {
        "version": VERSION, "seed": store.seed, "tick": store.tick, "steps": store.steps,
        "time": store.time, "pod_budget": store.pod_budget, "rng": [version, list(internal), gauss],
        "event_seq": store.event_seq,
        "resource_version": store.resource_version, "open_version": store.open_version,
        "correlators": [[component, host, c.to_state()]
                        for (component, host), c in store.correlators.items()],
        "events": [[name, api] for name, api in store.events.items()],
        "event_expiry": [[t, name] for t, name, _ in store.event_expiry],
        "timers": store.timers.to_state(),
        "queue": [list(k) for k in store.queue],
        "changes": [_change(store, c) for c in store.changes],
        "explanations": copy_data(store.explanations),
        "catalogue": store.catalogue.to_dict(),
        "restart_backoff": store.restart_backoff.to_dict(),
        "pull_backoff": store.pull_backoff.to_dict(),
    }
    for attr, _ in _COLLECTIONS:
        state[attr] = [obj.to_state() for obj in getattr(store, attr).values()]
    return state


def _change(store: Store, record) -> list:
    change, kind, obj = record
    if change == "DELETED" or isinstance(obj, dict):
        # the object is gone from the store (or is an event as written): keep what the
        # record will show
        return [change, kind, obj if isinstance(obj, dict) else render.render(store, kind, obj)]
    return [change, kind, obj.name]


def load(state: dict) -> Store:
    """Rebuild a Store from dump() output of this version or an earlier one."""
    if state.get("version") == 1:
        state = from_version_1(state)
    if state.get("version") == 2:
        state = from_version_2(state)
    if state.get("version") != VERSION:
        raise ValueError(f"unsupported snapshot version {state.get('version')!r}")
    store = Store(state["seed"], state["tick"], ImageCatalogue.from_dict(state["catalogue"]),
                  RestartBackoff.from_dict(state["restart_backoff"]),
                  ImagePullBackoff.from_dict(state["pull_backoff"]), state["pod_budget"])
    store.steps, store.time = state["steps"], state["time"]
    version, internal, gauss = state["rng"]
    store.rng.setstate((version, tuple(internal), gauss))
    for attr, cls in _COLLECTIONS:
        setattr(store, attr, {item["name"]: cls.from_state(item) for item in state[attr]})
    store.event_seq = state["event_seq"]
    store.resource_version, store.open_version = state["resource_version"], state["open_version"]
    store.correlators = {(component, host): EventCorrelator.from_state(c)
                         for component, host, c in state["correlators"]}
    store.events = dict(state["events"])
    # each event's last expiry entry is for the object it has now (later writes replace it)
    last = {name: i for i, (_, name) in enumerate(state["event_expiry"])}
    store.event_expiry = deque(
        (t, name, store.events.get(name) if last[name] == i else None)
        for i, (t, name) in enumerate(state["event_expiry"]))
    store.timers = TimerQueue.from_state(state["timers"])
    store.explanations = copy_data(state.get("explanations", {}))   # (absent before explanations)
    store.orphans = {name for name, pod in store.pods.items() if pod.rs_uid is None}
    store.queue = deque(tuple(k) for k in state["queue"])
    store.queued = set(store.queue)
    collections = {"Deployment": store.deployments, "ReplicaSet": store.replicasets,
                   "Pod": store.pods, "Node": store.nodes}
    for change, kind, ref in state["changes"]:
        if isinstance(ref, dict):
            # an event's record is its stored write (JSON loses that they are one object):
            # handing the record over stamps the stored event too
            stored = store.events.get(ref["metadata"]["name"]) if kind == "Event" else None
            store.changes.append((change, kind, stored if stored == ref else copy_data(ref)))
        else:
            store.changed(kind, collections[kind][ref], change)
    return store


# --- version 2: no resourceVersions ---------------------------------------------------------
def from_version_2(old: dict) -> dict:
    """A version-2 snapshot as version 3: every object (and every event) as last written in
    one batch, numbered by the completed steps (at least 1): the version a caller who
    numbers batches by step or by something counting at least as fast has passed already;
    nodes with the labels their kubelet registers and no cordon; pods named after the
    ReplicaSet that made them."""
    version = max(1, old["steps"])
    state = dict(old, version=VERSION, resource_version=version, open_version=None)
    for attr, _ in _COLLECTIONS:
        state[attr] = [dict(obj, resource_version=version) for obj in old[attr]]
    state["nodes"] = [dict(n, labels=default_node_labels(n["name"]), annotations={},
                           unschedulable_since=None) for n in state["nodes"]]
    state["pods"] = [dict(p, generate_name=p["rs"] + "-") for p in state["pods"]]
    state["events"] = [[name, _stamped(api, version)] for name, api in old["events"]]
    state["changes"] = [[change, kind, _stamped(ref, version) if kind == "Event" else ref]
                        for change, kind, ref in old["changes"]]
    return state


def _stamped(event: dict | None, version: int) -> dict | None:
    if event is None:
        return None
    return dict(event, metadata=dict(event["metadata"], resourceVersion=str(version)))


# --- version 1: float seconds -------------------------------------------------------------
def from_version_1(old: dict) -> dict:
    """A version-1 snapshot as version 2: every instant and duration from float seconds to
    integer milliseconds (rounded to the nearest: version 1 kept whole microseconds), the
    default pod budget, and the shapes earlier engines wrote brought up to date."""
    state = dict(old, version=2, tick=_ms(old["tick"]), time=_ms(old["time"]),
                 pod_budget=DEFAULT_POD_BUDGET)
    state["timers"] = _timers(old["timers"])
    state["event_expiry"] = [[_ms(t), name] for t, name in old["event_expiry"]]
    # snapshots from before the per-source correlators start with empty caches
    state["correlators"] = [[component, host, _correlator(c)]
                            for component, host, c in old.get("correlators", [])]
    state["events"] = [_event(item) for item in old["events"]]
    state["restart_backoff"] = _backoff(old["restart_backoff"])
    state["pull_backoff"] = _backoff(old["pull_backoff"])
    state["deployments"] = [_deployment(d) for d in old["deployments"]]
    state["replicasets"] = [_replicaset(rs) for rs in old["replicasets"]]
    state["pods"] = [_pod(p) for p in old["pods"]]
    state["nodes"] = [_times(n, "created", "ready_since") for n in old["nodes"]]
    return state


def _ms(t: float | None) -> int | None:
    return None if t is None else ms(t)


def _times(obj: dict, *keys: str) -> dict:
    return dict(obj, **{key: _ms(obj[key]) for key in keys})


def _timers(old: dict) -> dict:
    heap = [[_ms(due), seq, action, key] for due, seq, action, key in old["heap"]]
    # snapshots from before "once" was kept counted every timer for schedule_once()
    once = ([[_ms(due), action, key] for due, action, key in old["once"]] if "once" in old
            else [[due, action, key] for due, _, action, key in heap])
    return {"heap": heap, "seq": old["seq"], "once": once}


def _correlator(old: dict) -> dict:
    return {"aggregates": [[key, [messages, _ms(seen)]] for key, (messages, seen) in old["aggregates"]],
            "logged": old["logged"],
            "spam": [[uid, [tokens, _ms(at)]] for uid, (tokens, at) in old["spam"]]}


def _event(item) -> list:
    if not isinstance(item, dict):
        return item
    # written before events were kept as API objects: engine fields and their last write
    if item["written"] is None:
        return [item["name"], None]
    count, last, message = item["written"]
    involved = render.involved_object_of(item["kind"], item["obj_name"], item["obj_uid"],
                                         item["field_path"])
    first = render.event(item["seq"], item["name"], involved, item["type"], item["reason"],
                         item["message"], item["component"], item["host"], _ms(item["first"]))
    return [item["name"], render.event_update(first, count, _ms(last), message)]


def _backoff(old: dict) -> dict:
    return {"initial": _ms(old.get("initial", 10.0)), "maximum": _ms(old.get("maximum", 300.0)),
            "entries": {k: [_ms(d), _ms(t)] for k, (d, t) in old.get("entries", {}).items()}}


def _conditions(conditions: list[dict]) -> list[dict]:
    return [{k: (_ms(v) if k in ("last_update_time", "last_transition_time") else v)
             for k, v in c.items()} for c in conditions]


def _deployment(old: dict) -> dict:
    status = dict(old["status"], conditions=_conditions(old["status"].get("conditions", [])))
    return dict(_times(old, "created"), status=status)


def _replicaset(old: dict) -> dict:
    return dict(_times(old, "created"), conditions=_conditions(old["conditions"]))


def _pod(old: dict) -> dict:
    pod = _times(old, "created", "scheduled_at", "admitted_at", "initialized_at", "ready_since",
                 "deletion_time", "terminate_at", "wake")
    pod["containers"] = [_container(c) for c in old["containers"]]
    return pod


def _container(old: dict) -> dict:
    c = _times(old, "started_at", "finished_at", "due")
    if old["last_state"]:
        c["last_state"] = _times(old["last_state"], "started_at", "finished_at")
    c["probes"] = {ptype: _times(w, "admitted_at") for ptype, w in old["probes"].items()}
    return c
