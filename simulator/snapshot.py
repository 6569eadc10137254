"""Snapshot and restore of a Store as plain JSON data: restoring and stepping on gives
exactly the future the original would have had."""
from __future__ import annotations

from collections import deque

from simulator.api import render
from simulator.event_correlator import EventCorrelator
from simulator.kubelet.backoff import ImagePullBackoff, RestartBackoff
from simulator.kubelet.images import ImageCatalogue
from simulator.objects import Deployment, Node, Pod, ReplicaSet
from simulator.store import Store
from simulator.timers import TimerQueue

VERSION = 1
_COLLECTIONS = (("deployments", Deployment), ("replicasets", ReplicaSet), ("pods", Pod),
                ("nodes", Node))


def dump(store: Store) -> dict:
    """Every piece of state, including the RNG, timers, queued work and unreported changes."""
    version, internal, gauss = store.rng.getstate()
    state = {
        "version": VERSION, "seed": store.seed, "tick": store.tick, "steps": store.steps,
        "time": store.time, "rng": [version, list(internal), gauss],
        "event_seq": store.event_seq,
        "correlators": [[component, host, c.to_state()]
                        for (component, host), c in store.correlators.items()],
        "events": [[name, api] for name, api in store.events.items()],
        "event_expiry": [[t, name] for t, name, _ in store.event_expiry],
        "timers": store.timers.to_state(),
        "queue": [list(k) for k in store.queue],
        "changes": [_change(store, c) for c in store.changes],
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
    """Rebuild a Store from dump() output."""
    if state.get("version") != VERSION:
        raise ValueError(f"unsupported snapshot version {state.get('version')!r}")
    store = Store(state["seed"], state["tick"], ImageCatalogue.from_dict(state["catalogue"]),
                  RestartBackoff.from_dict(state["restart_backoff"]),
                  ImagePullBackoff.from_dict(state["pull_backoff"]))
    store.steps, store.time = state["steps"], state["time"]
    version, internal, gauss = state["rng"]
    store.rng.setstate((version, tuple(internal), gauss))
    for attr, cls in _COLLECTIONS:
        setattr(store, attr, {item["name"]: cls.from_state(item) for item in state[attr]})
    store.event_seq = state["event_seq"]
    # snapshots from before the per-source correlators start with empty caches
    store.correlators = {(component, host): EventCorrelator.from_state(c)
                         for component, host, c in state.get("correlators", [])}
    store.events = {}
    for item in state["events"]:
        if isinstance(item, dict):   # written before events were kept as API objects
            name, api = item["name"], _written_event(item)
        else:
            name, api = item
        store.events[name] = api
    # each event's last expiry entry is for the object it has now (later writes replace it)
    last = {name: i for i, (_, name) in enumerate(state["event_expiry"])}
    store.event_expiry = deque(
        (t, name, store.events.get(name) if last[name] == i else None)
        for i, (t, name) in enumerate(state["event_expiry"]))
    store.timers = TimerQueue.from_state(state["timers"])
    store.queue = deque(tuple(k) for k in state["queue"])
    store.queued = set(store.queue)
    collections = {"Deployment": store.deployments, "ReplicaSet": store.replicasets,
                   "Pod": store.pods, "Node": store.nodes}
    for change, kind, ref in state["changes"]:
        obj = ref if isinstance(ref, dict) else collections[kind][ref]
        if isinstance(ref, dict):
            store.changes.append((change, kind, ref))
        else:
            store.changed(kind, obj, change)
    return store


def _written_event(old: dict) -> dict | None:
    """An event object of an older snapshot (engine fields and its last write) as the API
    object it was written as; None if it never was."""
    if old["written"] is None:
        return None
    count, last, message = old["written"]
    involved = render.involved_object_of(old["kind"], old["obj_name"], old["obj_uid"],
                                         old["field_path"])
    first = render.event(old["seq"], old["name"], involved, old["type"], old["reason"],
                         old["message"], old["component"], old["host"], old["first"])
    return render.event_update(first, count, last, message)

