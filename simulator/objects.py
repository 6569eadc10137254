"""The engine's internal objects: cheap slot classes, rendered to dicts only when asked.

Every field holds plain JSON-like data (dict, list, str, number, bool, None) so a
snapshot is a field-by-field copy.
"""
from __future__ import annotations

import copy

from simulator.kubelet.probes import ProbeWorker

NAMESPACE = "default"   # the one namespace of the simulated cluster
_SCALARS = (str, int, float, bool, type(None))


def copy_data(value):
    """A deep copy of JSON-like data (dicts, lists, scalars).

    Several times faster than copy.deepcopy, which also keeps track of shared sub-objects;
    plain data has none worth keeping (a JSON round trip drops them too). Anything else
    still goes through copy.deepcopy."""
    kind = type(value)
    if kind is dict:
        return {key: copy_data(item) for key, item in value.items()}
    if kind is list:
        return [copy_data(item) for item in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


class _Slotted:
    __slots__ = ()
    _nested: dict = {}
    _transient: tuple = ()   # memos that are not state: left out of snapshots, reset to None

    def to_state(self) -> dict:
        out = {}
        for slot in self.__slots__:
            if slot in self._transient:
                continue
            value = getattr(self, slot)
            if slot in self._nested:
                value = [item.to_state() for item in value]
            else:
                value = copy_data(value)
            out[slot] = value
        return out

    @classmethod
    def from_state(cls, state: dict):
        obj = cls.__new__(cls)
        for slot in cls.__slots__:
            if slot in cls._transient:
                setattr(obj, slot, None)
                continue
            value = copy_data(state[slot])
            if slot in cls._nested:
                value = [cls._nested[slot].from_state(item) for item in value]
            setattr(obj, slot, value)
        return obj


class Deployment(_Slotted):
    """apps/v1 Deployment; `spec` is the defaulted spec dict, status keys are snake_case."""

    __slots__ = ("name", "uid", "created", "generation", "labels", "annotations", "spec",
                 "status", "resource_version", "recorded_in")
    _transient = ("recorded_in",)

    def __init__(self, name, uid, created, labels, annotations, spec):
        self.name = name
        self.uid = uid
        self.created = created
        self.generation = 1
        self.labels = labels
        self.annotations = annotations
        self.spec = spec
        self.status = {"observed_generation": 0, "replicas": 0, "updated_replicas": 0,
                       "ready_replicas": 0, "available_replicas": 0,
                       "unavailable_replicas": 0, "conditions": []}
        self.resource_version = 0   # the batch of its last change record (Store.take_changes)
        self.recorded_in = None   # the store's change batch that already has its record


class ReplicaSet(_Slotted):
    """apps/v1 ReplicaSet with live pod counters kept up to date by the store.

    `status` is what the ReplicaSet controller last wrote (what others read); the
    `live_*` counters are the truth the controller writes it from.
    """

    __slots__ = ("name", "uid", "created", "generation", "labels", "annotations", "owner",
                 "owner_uid", "replicas", "min_ready_seconds", "selector", "template",
                 "status", "conditions", "pods", "live_active", "live_ready",
                 "live_available", "deleting", "resource_version", "recorded_in")
    _transient = ("recorded_in",)

    def __init__(self, name, uid, created, labels, annotations, owner, owner_uid, replicas,
                 min_ready_seconds, selector, template):
        self.name = name
        self.uid = uid
        self.created = created
        self.generation = 1
        self.labels = labels
        self.annotations = annotations
        self.owner = owner
        self.owner_uid = owner_uid
        self.replicas = replicas
        self.min_ready_seconds = min_ready_seconds
        self.selector = selector
        self.template = template
        self.status = {"replicas": 0, "fully_labeled_replicas": 0, "ready_replicas": 0,
                       "available_replicas": 0, "observed_generation": 0}
        self.conditions: list[dict] = []
        self.pods: dict[str, None] = {}   # every pod object it owns, terminating ones too
        self.live_active = 0
        self.live_ready = 0
        self.live_available = 0
        self.deleting = False
        self.resource_version = 0
        self.recorded_in = None

    def to_state(self) -> dict:
        state = super().to_state()
        # `pods` is an ordered set; JSON objects are not ordered (PostgreSQL's jsonb sorts
        # their keys), so it is stored as a list to keep its order through a database.
        state["pods"] = list(self.pods)
        return state

    @classmethod
    def from_state(cls, state: dict):
        rs = super().from_state(state)
        rs.pods = dict.fromkeys(state["pods"])
        return rs


class Container(_Slotted):
    """One container's status plus the kubelet's bookkeeping for it."""

    __slots__ = ("name", "image", "state", "reason", "message", "started_at", "finished_at",
                 "exit_code", "ready", "started", "restart_count", "last_state",
                 "container_id", "due", "due_action", "probes")

    def __init__(self, name: str, image: str):
        self.name = name
        self.image = image
        self.state = "waiting"          # waiting | running | terminated
        self.reason = "ContainerCreating"
        self.message = None
        self.started_at = None
        self.finished_at = None
        self.exit_code = None
        self.ready = False
        self.started = False
        self.restart_count = 0
        self.last_state = None          # {"exit_code", "reason", "started_at", "finished_at", "container_id"}
        self.container_id = None
        self.due = None                 # next kubelet action for this container
        self.due_action = None
        self.probes = {}                # probe type -> probes.ProbeWorker

    def to_state(self) -> dict:
        state = {slot: copy_data(getattr(self, slot)) for slot in self.__slots__ if slot != "probes"}
        state["probes"] = {ptype: w.to_dict() for ptype, w in self.probes.items()}
        return state

    @classmethod
    def from_state(cls, state: dict) -> "Container":
        obj = cls.__new__(cls)
        for slot in cls.__slots__:
            if slot != "probes":
                setattr(obj, slot, copy_data(state[slot]))
        obj.probes = {ptype: ProbeWorker.from_dict(w) for ptype, w in state["probes"].items()}
        return obj


class Pod(_Slotted):
    """core/v1 Pod owned by a ReplicaSet (`rs`, `rs_uid`; both None once orphaned); the spec
    dict is the template's spec of the ReplicaSet that made it."""

    __slots__ = ("name", "uid", "created", "generate_name", "rs", "rs_uid", "labels",
                 "annotations", "spec",
                 "node", "ip", "phase", "scheduled_at", "admitted_at", "initialized_at",
                 "ready", "ready_since", "available", "deletion_time", "grace",
                 "terminate_at", "containers", "counted", "wake", "reason", "message",
                 "not_ready_by_node", "resource_version", "rendered_meta", "rendered_involved",
                 "recorded_in")
    _nested = {"containers": Container}
    _transient = ("rendered_meta", "rendered_involved", "recorded_in")

    def __init__(self, name, uid, created, rs, rs_uid, labels, annotations, spec):
        self.name = name
        self.uid = uid
        self.created = created
        self.generate_name = rs + "-"
        self.rs = rs
        self.rs_uid = rs_uid
        self.labels = labels
        self.annotations = annotations
        self.spec = spec
        self.node = None
        self.ip = None
        self.phase = "Pending"
        self.scheduled_at = None
        self.admitted_at = None
        self.initialized_at = None
        self.ready = False
        self.ready_since = created       # lastTransitionTime of the Ready condition
        self.available = False
        self.deletion_time = None
        self.grace = None
        self.terminate_at = None
        self.containers = [Container(c["name"], c["image"]) for c in spec["containers"]]
        self.counted = [False, False, False]   # active, ready, available as the RS counts them
        self.wake = None
        self.reason = None
        self.message = None
        self.not_ready_by_node = False
        self.rendered_meta = None   # render.py's (deletion_time, metadata) memo
        self.rendered_involved = None   # render.py's (field path, involvedObject) memo
        self.resource_version = 0
        self.recorded_in = None


def default_node_labels(name: str) -> dict[str, str]:
    """The labels a kubelet registers its node with."""
    return {"kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux"}


class Node(_Slotted):
    """core/v1 Node: Ready, or not (its kubelet stopped posting status); schedulable or
    cordoned."""

    __slots__ = ("name", "uid", "created", "ready", "ready_since", "pods", "images",
                 "next_ip", "index", "labels", "annotations", "unschedulable_since",
                 "resource_version", "recorded_in")
    _transient = ("recorded_in",)

    def __init__(self, name, uid, created, index):
        self.name = name
        self.uid = uid
        self.created = created
        self.ready = True
        self.ready_since = created
        self.pods: dict[str, None] = {}
        self.images: dict[str, None] = {}
        self.next_ip = 2
        self.index = index
        self.labels = default_node_labels(name)
        self.annotations: dict[str, str] = {}
        # spec.unschedulable (cordoned): since when (the taint's timeAdded), None if not
        self.unschedulable_since: int | None = None
        self.resource_version = 0
        self.recorded_in = None
