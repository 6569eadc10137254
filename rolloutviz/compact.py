"""The v2 wire's compact form of objects and events: what changed, against what the viewer holds.

A viewer holds every object it was sent (a `Mirror`: objects by kind and name, events by name).
A delta carries, for each change record `Cluster.step()` returned, only the fields that moved:

* ``objects``: one record per object change, in the order they happened:
  ``[op, kind, name, ops]`` or ``[op, kind, name, ops, base]`` with ``op`` ``"A"`` (added),
  ``"M"`` (modified) or ``"D"`` (deleted). A modified or deleted object is the viewer's object
  with ``ops`` applied (a deleted one is then dropped: the ops give its last state); an added one
  is the object of record ``base`` of the same list (a sibling added just before, say) or an
  empty one, with ``ops`` applied and ``metadata.name`` set to ``name``.
* ``events``: ``[ops]`` or ``[ops, base]``, each event a write of a core/v1 Event (new, or a
  known one counted up): the event at index ``base`` of the same list, or an empty one, with
  ``ops`` applied to its *normal form* (below).
* ``expired``: names of events the API server deleted (an hour after their last write).

``ops`` lists the moved fields: ``[path, value]`` sets a value (creating the maps on the way),
``[path]`` removes a key; ``path`` is a list of map keys and list indices. A new map is spelled
out leaf by leaf, so that a sibling's change has the same paths. ``ops`` may instead be
``[k, i, v, j, w, ...]`` (an integer first): the ops of entry ``k`` of the same list with the
value of op ``i`` replaced by ``v``, of op ``j`` by ``w``, ... — hundreds of pods that change
the same way in one tick cost a few bytes each.

An event's normal form names its object by reference when the viewer can rebuild it:
``involvedObject`` becomes ``{"ref": R, "fieldPath"?}``, where ``R`` is the index of this
delta's record of that object or ``[kind, name]`` of an object the viewer holds (as it stands
after this delta's records), ``metadata.name`` becomes ``metadata.nameSuffix`` when it is
the object's name, a dot and the suffix (the event recorder's naming), and ``metadata.uid``
becomes ``metadata.uid64`` when it is a canonical lowercase UUID: its 16 bytes in URL-safe
base64 without padding (22 characters for 36: the events' UIDs were a quarter of a 1,000-pod
rollout's bytes). An event with either key already is sent as it is.

Every form is exact: decoding gives back the very records, objects and events the simulator
reported (`tests/rolloutviz/test_compact.py` checks it over the seed and soak scenarios).
"""
from __future__ import annotations

import base64
import re

# An event's metadata keys in normal form: an event that has one of them already is sent as it is.
_STANDS_FOR = {"nameSuffix": "name", "uid64": "uid"}
NORMAL_META = frozenset(_STANDS_FOR)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
KINDS = ("Deployment", "ReplicaSet", "Pod", "Node", "Service", "EndpointSlice", "Endpoints")
ADDED, MODIFIED, DELETED = "A", "M", "D"
_OPS = {"ADDED": ADDED, "MODIFIED": MODIFIED, "DELETED": DELETED}
_TYPES = {ADDED: "ADDED", MODIFIED: "MODIFIED", DELETED: "DELETED"}
NAMESPACE = "default"


# ---------------------------------------------------------------- ops


def _leaves(path: tuple, value, out: list) -> None:
    """Set ops spelling ``value`` out at ``path``: a non-empty map leaf by leaf, anything else whole.

    Map keys go in sorted order, here and in `_diff`: the ops do not depend on the order a map's
    keys happen to be in (a simulation restored from PostgreSQL's jsonb renders them in another)."""
    if type(value) is dict and value:
        for key in sorted(value):
            _leaves(path + (key,), value[key], out)
    else:
        out.append((path, value))


def _diff(path: tuple, old, new, out: list) -> None:
    if old is new:  # the engine shares unchanged parts between renders: nothing to look at
        return
    if type(old) is dict and type(new) is dict:
        for key in sorted(new):
            if key in old:
                _diff(path + (key,), old[key], new[key], out)
            else:
                _leaves(path + (key,), new[key], out)
        for key in sorted(key for key in old if key not in new):
            out.append((path + (key,),))
        return
    if type(old) is list and type(new) is list and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new)):
            _diff(path + (index,), before, after, out)
        return
    if type(old) is type(new) and old == new:  # (True == 1, but a bool stays a bool)
        return
    if type(new) is dict and new:
        out.append((path, {}))  # a map replacing something else: start empty, then its leaves
        _leaves(path, new, out)
    else:
        out.append((path, new))


def diff(old, new) -> list[tuple]:
    """The ops that turn ``old`` into ``new`` (``old`` None: ``new`` spelled out from an empty map)."""
    out: list[tuple] = []
    if old is None:
        _leaves((), new, out)
    else:
        _diff((), old, new, out)
    return out


def apply(obj, ops) -> dict:
    """``obj`` with ``ops`` applied, as a new value: ``obj`` and whatever it shares are left as they were."""
    root = {"": obj if obj is not None else {}}
    owned: set[int] = set()  # containers copied by this call (changed in place from then on)

    def writable(parent, key):
        child = parent[key]
        if id(child) not in owned:
            child = parent[key] = child.copy()
            owned.add(id(child))
        return child

    owned.add(id(root))
    for op in ops:
        path = ("",) + tuple(op[0])
        node = root
        for key in path[:-1]:
            if type(node) is dict and key not in node:
                node[key] = {}
                owned.add(id(node[key]))
            node = writable(node, key)
        if len(op) == 2:
            node[path[-1]] = op[1]
        else:
            del node[path[-1]]
    return root[""]


def _same(a, b) -> bool:
    return a is b or (type(a) is type(b) and a == b)


def _shape(ops: list) -> tuple:
    return tuple((op[0], len(op)) for op in ops)


class _Lists:
    """One list of a delta being built (objects or events): its entries' ops, for `like` forms."""

    def __init__(self) -> None:
        self.shapes: dict[tuple, tuple[int, list]] = {}  # (group, shape) -> (index, ops)
        self.count = 0

    def packed(self, group, ops: list):
        """``ops`` as sent: the `like` form of the last entry of ``group`` with the same paths when shorter."""
        index = self.count
        self.count += 1
        if not ops:
            return []
        key = (group, _shape(ops))
        previous = self.shapes.get(key)
        self.shapes[key] = (index, ops)
        if previous is None:
            return [[list(op[0]), *op[1:]] for op in ops]  # (JSON data only: lists, not tuples)
        like = [index - previous[0]]
        for position, (op, before) in enumerate(zip(ops, previous[1])):
            if len(op) == 2 and not _same(op[1], before[1]):
                like += (position, op[1])
        return like


def unpacked(ops: list, resolved: list[list]) -> list:
    """The ops of the next entry from the ops sent (a `like` form resolved against ``resolved``,
    the ops of the entries before it)."""
    if not ops or type(ops[0]) is not int:
        return ops
    copied = list(resolved[len(resolved) - ops[0]])
    for position in range(1, len(ops), 2):
        index = ops[position]
        copied[index] = [copied[index][0], ops[position + 1]]
    return copied


# ---------------------------------------------------------------- what a viewer holds


class Mirror:
    """The objects and events a viewer holds, as the simulator rendered them (shared, read-only).

    Events are kept in the order they were made (as the API server lists them); the order of
    their last writes, which is the order it expires them in, is kept beside.
    """

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
        self.events: dict[str, dict] = {}
        self._writes: dict[str, None] = {}  # event names, least recently written first
        self._sorted: dict[str, list[str] | None] = dict.fromkeys(KINDS)

    @classmethod
    def of(cls, cluster) -> "Mirror":
        """What a viewer would hold of ``cluster`` now."""
        mirror = cls()
        for kind in KINDS:
            mirror.objects[kind] = {o["metadata"]["name"]: o for o in cluster.list(kind)}
        mirror.events = {e["metadata"]["name"]: e for e in cluster.list("event")}
        written = sorted(mirror.events.values(), key=lambda e: e.get("lastTimestamp") or "")
        mirror._writes = {e["metadata"]["name"]: None for e in written}
        return mirror

    def names(self, kind: str) -> list[str]:
        """Names of the objects of ``kind``, sorted (as `Cluster.list` orders them)."""
        names = self._sorted[kind]
        if names is None:
            names = self._sorted[kind] = sorted(self.objects[kind])
        return names

    def put(self, kind: str, name: str, obj: dict | None) -> None:
        """Hold ``obj`` as the object ``name`` of ``kind`` (None: it is gone)."""
        bucket = self.objects[kind]
        if obj is None:
            bucket.pop(name, None)
            self._sorted[kind] = None
        else:
            if name not in bucket:
                self._sorted[kind] = None
            bucket[name] = obj

    def write_event(self, event: dict) -> None:
        """Hold a write of an event: a new one, or a known one (it keeps its place in the list)."""
        name = event["metadata"]["name"]
        self.events[name] = event
        self._writes.pop(name, None)
        self._writes[name] = None

    def forget_event(self, name: str) -> None:
        self.events.pop(name, None)
        self._writes.pop(name, None)

    def expired(self, exists) -> list[str]:
        """Names of held events the API server deleted, as ``exists(name)`` tells, oldest first;
        they are forgotten.

        Events expire in the order of their last write; writes known only from a listing are
        ordered to the second, so every event of the first second still present is looked at.
        """
        gone, present_at = [], None
        for name in self._writes:
            stamp = self.events[name].get("lastTimestamp") or ""
            if present_at is not None and stamp != present_at:
                break
            if exists(name):
                present_at = stamp
            else:
                gone.append(name)
        for name in gone:
            self.forget_event(name)
        return gone

    def clear(self) -> None:
        """Hold nothing (a reset)."""
        self.__init__()


def reference(obj: dict) -> dict:
    """The involvedObject naming ``obj`` (as an event recorder writes it, without a fieldPath)."""
    meta = obj["metadata"]
    ref = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "name": meta.get("name"),
           "uid": meta.get("uid")}
    if "namespace" in meta:
        ref["namespace"] = meta["namespace"]
    return ref


def _normal_event(event: dict, target) -> dict:
    """``event`` in normal form; ``target(kind, name)`` gives (reference value, object) or None."""
    involved = event.get("involvedObject")
    if type(involved) is not dict or "kind" not in involved:
        return event
    normal = dict(event)
    name = involved.get("name")
    meta = event.get("metadata")
    if type(meta) is dict and NORMAL_META.isdisjoint(meta):
        short = {}  # key -> (its key in normal form, its value there)
        if type(name) is str and type(meta.get("name")) is str and meta["name"].startswith(name + "."):
            short["name"] = ("nameSuffix", meta["name"][len(name) + 1:])
        if type(meta.get("uid")) is str and _UUID.match(meta["uid"]):
            short["uid"] = ("uid64", _short_uid(meta["uid"]))
        if short:
            normal["metadata"] = dict(short.get(k, (k, v)) for k, v in meta.items())
    found = target(involved.get("kind"), name)
    if found is not None:
        ref, obj = found
        expected = reference(obj)
        if "fieldPath" in involved:
            expected["fieldPath"] = involved["fieldPath"]
        if expected == involved:
            normal["involvedObject"] = {"ref": ref, **({"fieldPath": involved["fieldPath"]}
                                                       if "fieldPath" in involved else {})}
    return normal


def _full_event(normal: dict, resolve) -> dict:
    """The event of a normal form; ``resolve(ref)`` gives the referenced object."""
    involved = normal.get("involvedObject")
    if type(involved) is not dict:
        return normal
    event = dict(normal)
    if "ref" in involved and "kind" not in involved:
        involved = reference(resolve(involved["ref"])) | (
            {"fieldPath": involved["fieldPath"]} if "fieldPath" in involved else {})
        event["involvedObject"] = involved
    meta = normal.get("metadata")
    if type(meta) is dict and not NORMAL_META.isdisjoint(meta):
        # (a key of the normal form beside the key it stands for was sent as it is: ObjectMeta has
        # neither, so only a metadata with both, never made by the simulator, comes whole)
        full = {"nameSuffix": lambda v: f"{involved['name']}.{v}", "uid64": _long_uid}
        event["metadata"] = dict((_STANDS_FOR[k], full[k](v)) if k in full and _STANDS_FOR[k] not in meta else (k, v)
                                 for k, v in meta.items())
    return event


def _short_uid(uid: str) -> str:
    """A canonical UUID's 16 bytes in URL-safe base64, unpadded: 22 characters for 36."""
    return base64.urlsafe_b64encode(bytes.fromhex(uid.replace("-", ""))).decode()[:22]


def _long_uid(short: str) -> str:
    digits = base64.urlsafe_b64decode(short + "==").hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _family(kind: str, obj: dict) -> tuple:
    """Objects likely to differ in few fields: a new one is sent against the last of its family."""
    meta = obj.get("metadata") or {}
    owners = meta.get("ownerReferences") or ({},)
    return kind, owners[0].get("name"), (obj.get("spec") or {}).get("nodeName")


def _event_family(normal: dict) -> tuple:
    source = normal.get("source") or {}
    return normal.get("reason"), source.get("component"), source.get("host"), normal.get("type")


# ---------------------------------------------------------------- encoding and decoding


def _entry(head: list, ops, back: int | None) -> list:
    """A list entry: ``head`` (the record's op, kind and name, or nothing for an event), its ops
    and its base (``back`` entries before it), left out when the ops are a `like` form of that very entry."""
    if back is None or (ops and type(ops[0]) is int and ops[0] == back):
        return head + [ops]
    return head + [ops, back]


def _named(ops: list, name: str) -> list:
    """``ops`` without setting ``metadata.name`` to the record's name (the record says it)."""
    return [op for op in ops if op != (("metadata", "name"), name)]


def streamed(records: list[dict]) -> list[dict]:
    """The change records the stream carries: objects of `KINDS` and events (an Explanation
    record is no API object: the page asks GET …/explanations for those)."""
    return [r for r in records if r["type"] == "EVENT" or r["kind"] in KINDS]


def encode(mirror: Mirror, records: list[dict], expired: list[str] = ()) -> dict:
    """The compact form of ``records`` (one tick's or command's, in order) for a viewer holding
    ``mirror``, which is brought forward to hold them: ``{"objects", "events"}`` (+ ``"expired"``)."""
    objects, events = [], []
    lists, event_lists = _Lists(), _Lists()
    family_last: dict[tuple, tuple[int, dict]] = {}
    record_of: dict[tuple, int] = {}  # (kind, name) -> index of its last record here
    last_state: dict[tuple, dict] = {}  # (kind, name) -> its object after its last record here
    event_records = []
    for record in records:
        kind = record["kind"]
        if record["type"] == "EVENT":
            event_records.append(record["object"])
            continue
        name, obj, op = record["name"], record["object"], _OPS[record["type"]]
        index = len(objects)
        if op == ADDED:
            family = _family(kind, obj)
            found = family_last.get(family)
            family_last[family] = (index, obj)
            ops = _named(diff(found[1] if found else None, obj), name)
            objects.append(_entry([op, kind, name], lists.packed(family, ops), index - found[0] if found else None))
        else:
            ops = _named(diff(mirror.objects[kind].get(name), obj), name)
            objects.append(_entry([op, kind, name], lists.packed((op, kind), ops), None))
        record_of[(kind, name)] = index
        last_state[(kind, name)] = obj
        mirror.put(kind, name, None if op == DELETED else obj)

    def target(kind, name):
        key = (kind, name)
        if key in record_of:
            return record_of[key], last_state[key]
        obj = mirror.objects.get(kind, {}).get(name)
        return ([kind, name], obj) if obj is not None else None

    family_last = {}
    for event in event_records:
        normal = _normal_event(event, target)
        family = _event_family(normal)
        found = family_last.get(family)
        family_last[family] = (len(events), normal)
        ops = diff(found[1] if found else None, normal)
        events.append(_entry([], event_lists.packed(family, ops), len(events) - found[0] if found else None))
        mirror.write_event(event)
    part = {"objects": objects, "events": events}
    if expired:
        part["expired"] = list(expired)
    return part


def _base(entry: list, at: int, index: int) -> int | None:
    """The index of the base of the added object's or event's ``entry`` at ``index``, whose ops are
    at ``at`` (see `_entry`)."""
    if len(entry) > at + 1:
        return index - entry[at + 1]
    ops = entry[at]
    return index - ops[0] if ops and type(ops[0]) is int else None


def decode(mirror: Mirror, part: dict) -> list[dict]:
    """The change records of a compact ``part`` (`encode`'s answer) for a viewer holding ``mirror``,
    which is brought forward to hold them. Records come objects first, then events."""
    out: list[dict] = []
    resolved: list[list] = []
    results: list[dict] = []
    for entry in part.get("objects") or ():
        op, kind, name, sent = entry[0], entry[1], entry[2], entry[3]
        ops = unpacked(sent, resolved)
        resolved.append(ops)
        if op == ADDED:
            base = _base(entry, 3, len(results))
            obj = apply(results[base] if base is not None else None, ops)
        else:
            obj = apply(mirror.objects[kind].get(name), ops)
        meta = obj.get("metadata")
        if type(meta) is not dict or meta.get("name") != name:  # (a copy: ``obj`` may be the base itself)
            obj = {**obj, "metadata": {**(meta if type(meta) is dict else {}), "name": name}}
        results.append(obj)
        mirror.put(kind, name, None if op == DELETED else obj)
        out.append({"type": _TYPES[op], "kind": kind, "name": name, "namespace": NAMESPACE, "object": obj})

    def resolve(ref):
        if type(ref) is int:
            return results[ref]
        return mirror.objects[ref[0]][ref[1]]

    resolved, normals = [], []
    for entry in part.get("events") or ():
        ops = unpacked(entry[0], resolved)
        resolved.append(ops)
        base = _base(entry, 0, len(normals))
        normal = apply(normals[base] if base is not None else None, ops)
        normals.append(normal)
        event = _full_event(normal, resolve)
        mirror.write_event(event)
        out.append({"type": "EVENT", "kind": "Event", "name": event["metadata"]["name"], "namespace": NAMESPACE,
                    "object": event})
    for name in part.get("expired") or ():
        mirror.forget_event(name)
    return out


def _likeness(obj: dict) -> tuple:
    """Sorting objects by this puts alike ones (same owner and node, started together) side by side."""
    meta, status = obj.get("metadata") or {}, obj.get("status") or {}
    owners = meta.get("ownerReferences") or ({},)
    return (str(owners[0].get("name")), str((obj.get("spec") or {}).get("nodeName")),
            str(meta.get("creationTimestamp")), str(status.get("startTime")), meta.get("name", ""))


def everything(mirror: Mirror) -> dict:
    """Every object and event of ``mirror`` in compact form, for a viewer holding nothing (a snapshot).

    Objects that events name but that no longer exist come first, as deleted records holding
    just what the events' references need, so each event names its object by index.
    """
    held = {(kind, name) for kind in KINDS for name in mirror.objects[kind]}
    gone: dict[tuple, dict] = {}
    for event in mirror.events.values():
        involved = event.get("involvedObject")
        if type(involved) is dict and involved.get("kind") in mirror.objects:
            key = (involved["kind"], involved.get("name"))
            if key not in held and key not in gone and type(key[1]) is str:
                meta = {"name": key[1], "uid": involved.get("uid")}
                if "namespace" in involved:
                    meta["namespace"] = involved["namespace"]
                gone[key] = {"apiVersion": involved.get("apiVersion"), "kind": key[0], "metadata": meta}
    ghosts = [{"type": "DELETED", "kind": kind, "name": name, "namespace": NAMESPACE, "object": obj}
              for (kind, name), obj in gone.items()]
    return encode(Mirror(), ghosts + records(mirror))


def records(mirror: Mirror) -> list[dict]:
    """Change records adding everything ``mirror`` holds (alike objects side by side), then its events."""
    added = [{"type": "ADDED", "kind": kind, "name": o["metadata"]["name"], "namespace": NAMESPACE, "object": o}
             for kind in KINDS for o in sorted(mirror.objects[kind].values(), key=_likeness)]
    return added + [{"type": "EVENT", "kind": "Event", "name": e["metadata"]["name"], "namespace": NAMESPACE,
                     "object": e} for e in mirror.events.values()]
