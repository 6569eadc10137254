"""The API server's write path for the simulated objects: turning a request body into the
object to store, as the generic registry and each kind's strategy do.

A write is planned first and committed after: ``plan_create`` / ``plan_update`` check the
body (type, namespace and name; decoding; a uid or resourceVersion it carries is a
precondition), let the strategy decide what may change (status is ignored, generation is
the server's), default and validate it, and say whether anything changes; ``admit_budget``
then checks the pod budget over all planned writes, like a quota; ``commit`` writes a plan
into the engine's objects, and ``preview`` renders what a commit would store without
changing anything (dry runs). Every refusal is a ``StatusError`` carrying the Status the
API server answers, or a ``ValidationError`` (with lines) that ``as_status`` turns into
one; nothing changes before the last check passed.

Deployments and ReplicaSets store their spec, labels, annotations and (ReplicaSets) their
controller ownerReference; Nodes their labels, annotations and ``spec.unschedulable``.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

from simulator.api import discovery, pod_budget, render, validation
from simulator.api.patch import json_kind
from simulator.api.status import (
    StatusError,
    already_exists,
    bad_request,
    conflict,
    invalid,
    not_found,
    unknown_error,
)
from simulator.api.yaml_source import line_for
from simulator.errors import FieldError, ValidationError
from simulator.names import generated_name, new_uid
from simulator.objects import Deployment, Node, ReplicaSet, copy_data
from simulator.store import NAMESPACE, Store
from simulator.timers import rfc3339

RESOURCES = {r.kind: r for r in discovery.RESOURCES}
NAMESPACE_MISMATCH = ("the namespace of the provided object does not match the namespace sent "
                      "on the request")
RESOURCE_VERSION_ON_CREATE = "resourceVersion should not be set on objects to be created"
NOT_MODELLED = "the simulation does not model"


@dataclass
class Write:
    """One planned write. `stored` is the object to store (metadata, defaulted spec; for a
    Node its labels, annotations and spec); `verb` "created", "configured" or "unchanged"."""

    kind: str
    name: str
    stored: dict
    verb: str
    lines: dict = field(default_factory=dict)
    generate: str = ""      # a create with generateName: the name is drawn at commit
    warnings: list = field(default_factory=list)


def resource(kind: str) -> discovery.Resource:
    """The served resource of a kind ("Deployment" -> deployments.apps)."""
    return RESOURCES[kind]


def objects(store: Store, kind: str) -> dict:
    """The store's objects of a kind, by name."""
    return {"Deployment": store.deployments, "ReplicaSet": store.replicasets, "Pod": store.pods,
            "Node": store.nodes, "Event": store.events}[kind]


def existing(store: Store, kind: str, name: str):
    """The object, or StatusError NotFound (``deployments.apps "web" not found``)."""
    obj = objects(store, kind).get(name) if isinstance(name, str) else None
    if obj is None:
        r = resource(kind)
        raise StatusError(not_found(r.name, name, r.group))
    return obj


def as_status(error: ValidationError) -> StatusError:
    """The Status the API server answers a refusal with: 400 for a body that does not
    decode, else 422 Invalid with one cause per field error."""
    if isinstance(error, validation.DecodeError):
        return StatusError(bad_request(f'{error.kind} in version "v1" cannot be handled as a '
                                       f"{error.kind}: {error.detail}"))
    r = resource(error.kind) if error.kind in RESOURCES else None
    group = r.group if r else ("autoscaling" if error.kind == "Scale" else "")
    return StatusError(invalid(error.kind, error.name, error.errors, group))


# --- reading the body ------------------------------------------------------------------------
def _body(kind: str, body) -> dict:
    """The body as an object of `kind`: apiVersion and kind default to the endpoint's; others
    are refused as the decoder refuses them."""
    r = resource(kind)
    if not isinstance(body, dict):
        raise StatusError(bad_request(f'{kind} in version "{r.version}" cannot be handled as a '
                                      f"{kind}: json: cannot unmarshal {json_kind(body)} into Go "
                                      f"value of type struct"))
    api_version = body.get("apiVersion") or r.group_version
    if api_version != r.group_version:
        raise StatusError(bad_request(f"the API version in the data ({api_version}) does not "
                                      f"match the expected API version ({r.group_version})"))
    other = body.get("kind")
    if other not in (None, "", kind):   # decoded as that kind, it does not convert to this one
        internal = r.group or "core"
        raise StatusError(bad_request(f'{other} in version "{r.version}" cannot be handled as a '
                                      f"{kind}: converting ({r.version}.{other}) to "
                                      f"({internal}.{kind}): unknown conversion"))
    out = dict(body, apiVersion=api_version, kind=kind)
    meta = out.get("metadata")
    if meta is None:
        meta = out["metadata"] = {}
    if not isinstance(meta, dict):
        return out   # decoding reports it
    namespace = meta.get("namespace")
    if r.namespaced:
        if namespace not in (None, "", NAMESPACE):
            raise StatusError(bad_request(NAMESPACE_MISMATCH))
    elif namespace is not None:   # cluster-scoped: the server clears it
        out["metadata"] = {k: v for k, v in meta.items() if k != "namespace"}
    return out


def check_name(kind: str, body: dict, name: str) -> None:
    """checkName: an update's object must carry the name in the URL."""
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    if meta.get("name") != name:
        raise StatusError(bad_request(f"the name of the object ({meta.get('name') or ''}) does "
                                      f"not match the name on the URL ({name})"))


def _storage_key(kind: str, name: str) -> str:
    r = resource(kind)
    return f"/registry/{r.name}/{NAMESPACE}/{name}" if r.namespaced else f"/registry/{r.name}/{name}"


def check_uid(store: Store, kind: str, name: str, uid) -> None:
    """An update body's uid is a precondition of the storage write."""
    obj = objects(store, kind)[name]
    if uid and uid != obj.uid:
        r = resource(kind)
        raise StatusError(conflict(
            r.name, name, "StorageError: invalid object, Code: 4, Key: "
            f"{_storage_key(kind, name)}, ResourceVersion: 0, AdditionalErrorMsg: Precondition "
            f"failed: UID in precondition: {uid}, UID in object meta: {obj.uid}", r.group))


def check_resource_version(store: Store, kind: str, name: str, version) -> None:
    """An update body's resourceVersion must be the stored one (optimistic concurrency);
    unset means "whatever is there" (every kind here allows unconditional updates)."""
    if version in (None, ""):
        return
    text = str(version)
    if not text.isascii() or not text.isdigit() or int(text) >= 2**64:
        reason = "value out of range" if text.isdigit() else "invalid syntax"
        raise StatusError(unknown_error(f'strconv.ParseUint: parsing "{text}": {reason}'))
    if int(text) != store.version_of(objects(store, kind)[name]):
        r = resource(kind)
        raise StatusError(conflict(r.name, name, group=r.group))


def _forbidden(path: str, what: str) -> FieldError:
    return validation.forbidden(path, f"{NOT_MODELLED} {what}")


# --- Deployments and ReplicaSets ---------------------------------------------------------------
def plan_create(store: Store, kind: str, body, *, lines: dict | None = None,
                strict: bool = True) -> Write:
    """A create (POST, an apply of an absent object, a server-side apply creating one)."""
    obj = _body(kind, body)
    if kind == "Node":
        raise StatusError(invalid(kind, _meta(obj).get("name") or "",
                                  [_forbidden("metadata.name", "creating nodes")]))
    obj, warnings = validation.decode(obj, lines, strict)
    meta = obj.setdefault("metadata", {})
    prefix = meta.get("generateName") if not meta.get("name") else ""
    if prefix:   # validated under a stand-in name; the real one is drawn at commit
        meta["name"] = generated_name(prefix, _stand_in(prefix, store.time))
    stored = validation.default_and_validate(obj, None, lines)
    _check_unmodelled(store, kind, stored, None, lines)
    # what the storage refuses, after validation
    version = str(meta.get("resourceVersion") or "")
    if version.isascii() and version.isdigit() and int(version) != 0:
        raise StatusError(unknown_error(RESOURCE_VERSION_ON_CREATE))
    if not prefix and meta["name"] in objects(store, kind):
        r = resource(kind)
        raise StatusError(already_exists(r.name, meta["name"], r.group))
    return Write(kind, meta["name"], _kept(kind, stored), "created", lines or {},
                 prefix or "", warnings)


def plan_update(store: Store, kind: str, name: str, body, *, lines: dict | None = None,
                strict: bool = True, uid_precondition: bool = True) -> Write:
    """An update (PUT, a patch's result, or an apply merged into the live object) of an
    existing object. `uid_precondition`: a uid in the body is a storage precondition (PUT);
    a patch that changes the uid is refused by validation instead (immutable field)."""
    current = existing(store, kind, name)
    obj = _body(kind, body)
    check_name(kind, obj, name)
    if kind == "Node":
        return _plan_node(store, current, obj, uid_precondition)
    obj, warnings = validation.decode(obj, lines, strict)
    meta = obj["metadata"]
    if uid_precondition:
        check_uid(store, kind, name, meta.get("uid"))
    check_resource_version(store, kind, name, meta.get("resourceVersion"))
    old = stored_object(store, kind, current)
    uid_errors = _immutable_uid(meta.get("uid"), current.uid)
    try:
        stored = validation.default_and_validate(obj, old, lines)
    except ValidationError as error:
        error.errors = uid_errors + error.errors
        raise
    if uid_errors:
        raise ValidationError(uid_errors, kind, name)
    _check_unmodelled(store, kind, stored, current, lines)
    stored = _kept(kind, stored)
    verb = "unchanged" if stored == _kept(kind, old) else "configured"
    return Write(kind, name, stored, verb, lines or {}, warnings=warnings)


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _immutable_uid(uid, current: str) -> list[FieldError]:
    if uid and uid != current:
        return [validation.invalid("metadata.uid", validation.go_value(uid),
                                   validation.FIELD_IMMUTABLE)]
    return []


def _stand_in(what: str, time: int) -> random.Random:
    """A generator of its own for names and UIDs a dry run shows (and a generateName is
    validated with): nothing is drawn from the simulation's."""
    return random.Random(f"dry-run/{what}/{time}")


def _kept(kind: str, obj: dict) -> dict:
    """What the store keeps of a Deployment/ReplicaSet write."""
    meta = obj.get("metadata") or {}
    kept = {"metadata": {"name": meta.get("name"), "labels": dict(meta.get("labels") or {}),
                         "annotations": dict(meta.get("annotations") or {})},
            "spec": obj["spec"]}
    if kind == "ReplicaSet" and meta.get("ownerReferences"):
        kept["metadata"]["ownerReferences"] = meta["ownerReferences"]
    return kept


def stored_object(store: Store, kind: str, obj) -> dict:
    """A Deployment/ReplicaSet as stored (no status), the shape updates are checked against."""
    meta = {"name": obj.name, "namespace": NAMESPACE, "labels": copy.deepcopy(obj.labels),
            "annotations": copy.deepcopy(obj.annotations)}
    if kind == "Deployment":
        spec = copy.deepcopy(obj.spec)
    else:
        spec = {"replicas": obj.replicas, "selector": copy.deepcopy(obj.selector),
                "template": copy.deepcopy(obj.template)}
        if obj.min_ready_seconds:
            spec["minReadySeconds"] = obj.min_ready_seconds
        if obj.owner:
            meta["ownerReferences"] = render.controller_reference("Deployment", obj.owner,
                                                                  obj.owner_uid)
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}


def _check_unmodelled(store: Store, kind: str, stored: dict, current, lines) -> None:
    """What the simulation does not model is refused, not silently dropped: finalizers,
    and ownerReferences other than a ReplicaSet's controller reference to an existing
    Deployment (or the ones it has)."""
    meta = stored.get("metadata") or {}
    errors = []
    if meta.get("finalizers"):
        errors.append(_forbidden("metadata.finalizers", "finalizers"))
    references = meta.get("ownerReferences")
    if references and _owner_from(store, kind, references, current) is None:
        errors.append(_forbidden("metadata.ownerReferences",
                                 "owner references other than a ReplicaSet's controller "
                                 "reference to a Deployment that exists"))
    if errors:
        raise ValidationError(validation.attach_lines(errors, lines or {}), kind,
                              meta.get("name") or "")


def _owner_from(store: Store, kind: str, references, current) -> tuple[str, str] | None:
    """The (name, uid) of the Deployment a ReplicaSet's ownerReferences name as its
    controller, if the simulation can keep them; None if not."""
    if kind != "ReplicaSet" or not isinstance(references, list) or len(references) != 1:
        return None
    ref = references[0] if isinstance(references[0], dict) else {}
    name, uid = ref.get("name"), ref.get("uid")
    if (ref.get("apiVersion"), ref.get("kind"), ref.get("controller")) != ("apps/v1", "Deployment", True):
        return None
    if current is not None and (current.owner, current.owner_uid) == (name, uid):
        return name, uid
    d = store.deployments.get(name) if isinstance(name, str) else None
    return (name, uid) if d is not None and d.uid == uid else None


# --- Nodes -----------------------------------------------------------------------------------
def _plan_node(store: Store, node: Node, obj: dict, uid_precondition: bool) -> Write:
    """A Node update: labels, annotations and spec.unschedulable may change; status is
    ignored; the rest of the spec (taints included: the node lifecycle controller's) must
    stay as it is."""
    name = node.name
    for key, go_type in (("metadata", "ObjectMeta"), ("spec", "NodeSpec")):
        value = obj.get(key)
        if value is not None and not isinstance(value, dict):
            raise StatusError(bad_request(
                f'Node in version "v1" cannot be handled as a Node: json: cannot unmarshal '
                f"{json_kind(value)} into Go struct field Node.{key} of type v1.{go_type}"))
    meta, spec = obj["metadata"], dict(obj.get("spec") or {})
    if uid_precondition:
        check_uid(store, "Node", name, meta.get("uid"))
    check_resource_version(store, "Node", name, meta.get("resourceVersion"))
    errors = _immutable_uid(meta.get("uid"), node.uid)
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    for path, value in (("metadata.labels", labels), ("metadata.annotations", annotations)):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            errors.append(validation.invalid(path, validation.go_value(value),
                                             "must be a map of strings"))
    if not errors:
        errors += validation.validate_labels(labels, "metadata.labels")
        errors += validation.validate_annotations(annotations, "metadata.annotations")
    unschedulable = spec.pop("unschedulable", None) or False
    if not isinstance(unschedulable, bool):
        errors.append(validation.invalid("spec.unschedulable", validation.go_value(unschedulable),
                                         "must be a boolean"))
    current_spec = render.node(store, node)["spec"]
    current_spec.pop("unschedulable", None)
    for key in sorted(set(spec) | set(current_spec)):
        if spec.get(key) != current_spec.get(key):
            errors.append(_forbidden(f"spec.{key}", "changes to this node field"))
    if errors:
        raise ValidationError(errors, "Node", name)
    stored = {"metadata": {"name": name, "labels": dict(labels), "annotations": dict(annotations)},
              "spec": {"unschedulable": unschedulable}}
    before = {"metadata": {"name": name, "labels": node.labels, "annotations": node.annotations},
              "spec": {"unschedulable": node.unschedulable_since is not None}}
    return Write("Node", name, stored, "unchanged" if stored == before else "configured")


# --- the pod budget --------------------------------------------------------------------------
def admit_budget(store: Store, writes: list[Write]) -> None:
    """Refuse, before anything changes, writes that take the simulation past its pod budget
    (ValidationError on spec.replicas, with lines). A ReplicaSet a Deployment owns counts in
    its Deployment's demand; a write to one counts by what it adds (its replicas can run
    until the Deployment scales it back)."""
    current = {("Deployment", d.name): pod_budget.demand("Deployment", d.spec)
               for d in store.deployments.values()}
    current.update({("ReplicaSet", rs.name): rs.replicas
                    for rs in store.replicasets.values() if rs.owner is None})
    planned = {}
    for w in writes:
        if w.verb == "unchanged" or w.kind not in ("Deployment", "ReplicaSet"):
            continue
        rs = store.replicasets.get(w.name) if w.kind == "ReplicaSet" else None
        if rs is not None and rs.owner is not None:
            current[(w.kind, w.name)] = rs.replicas
        planned[(w.kind, w.name)] = (w.kind, w.stored["spec"])
    refused = pod_budget.refusals(store.pod_budget, current, planned)
    if not refused:
        return
    lines = {(w.kind, w.name): w.lines for w in writes}
    errors = [ValidationError(
        [FieldError(error.field, error.message, line_for(lines[key], error.field))], *key)
        for key, error in refused.items()]
    raise errors[0] if len(errors) == 1 else ValidationError(
        [e for f in errors for e in f.errors], message="\n".join(str(f) for f in errors))


# --- committing and previewing ---------------------------------------------------------------
def commit(store: Store, write: Write):
    """Store a planned write in the engine's objects (records its change, wakes the
    controllers that watch it); returns the engine object. Nothing for "unchanged"."""
    if write.kind == "Node":
        return _commit_node(store, write)
    obj = objects(store, write.kind).get(write.name)
    if write.verb == "unchanged":
        return obj
    if write.generate:
        write.name = generated_name(write.generate, store.rng)
        while write.name in objects(store, write.kind):
            write.name = generated_name(write.generate, store.rng)
    meta, spec = write.stored["metadata"], write.stored["spec"]
    labels, annotations = dict(meta["labels"]), dict(meta["annotations"])
    if write.kind == "Deployment":
        if obj is None:
            obj = store.deployments[write.name] = Deployment(
                write.name, store.new_uid(), store.time, labels, annotations, copy_data(spec))
            store.changed("Deployment", obj, "ADDED")
        else:
            # the strategy bumps generation on spec and on annotation changes (a rollback
            # annotation once lived there); the revision annotation survives the merge
            if spec != obj.spec or annotations != obj.annotations:
                obj.generation += 1
            obj.labels, obj.spec, obj.annotations = labels, copy_data(spec), annotations
            store.changed("Deployment", obj)
        store.enqueue("deployment", obj.name)
        return obj
    owner = _owner_from(store, "ReplicaSet", meta.get("ownerReferences"), obj) or (None, None)
    replicas, min_ready = spec.get("replicas", 1), spec.get("minReadySeconds", 0)
    if obj is None:
        obj = store.replicasets[write.name] = ReplicaSet(
            write.name, store.new_uid(), store.time, labels, annotations, *owner, replicas,
            min_ready, copy_data(spec["selector"]), copy_data(spec["template"]))
        store.changed("ReplicaSet", obj, "ADDED")
    else:
        if stored_object(store, "ReplicaSet", obj)["spec"] != spec:
            obj.generation += 1
        obj.labels, obj.annotations = labels, annotations
        obj.owner, obj.owner_uid = owner
        obj.replicas, obj.min_ready_seconds = replicas, min_ready
        obj.template = copy_data(spec["template"])
        store.changed("ReplicaSet", obj)
    store.enqueue("replicaset", obj.name)
    for d in store.deployments.values():   # a Deployment whose selector matches may adopt it
        store.enqueue("deployment", d.name)
    return obj


def _commit_node(store: Store, write: Write) -> Node:
    node = store.nodes[write.name]
    if write.verb == "unchanged":
        return node
    meta = write.stored["metadata"]
    node.labels, node.annotations = dict(meta["labels"]), dict(meta["annotations"])
    cordoned = write.stored["spec"]["unschedulable"]
    if cordoned != (node.unschedulable_since is not None):
        node.unschedulable_since = store.time if cordoned else None
        if not cordoned:   # pods waiting for a node may fit now
            for pod in store.pods.values():
                if pod.node is None and pod.deletion_time is None:
                    store.enqueue("scheduler", pod.name)
    store.changed("Node", node)
    return node


def preview(store: Store, write: Write) -> dict:
    """The object a commit of `write` would store, as the API answers a dry run, without
    changing anything (its UID, if new, a stand-in from a generator of its own)."""
    kind, r = write.kind, resource(write.kind)
    obj = objects(store, kind).get(write.name)
    if obj is None:   # a create: the strategy's fresh object, not yet stored
        meta = {"name": write.name, "namespace": NAMESPACE,
                "uid": new_uid(_stand_in(write.name, store.time)), "generation": 1,
                "creationTimestamp": rfc3339(store.time)}
        status = {"replicas": 0} if kind == "ReplicaSet" else {}
        if write.generate:
            meta["generateName"] = write.generate
        out = {"apiVersion": r.group_version, "kind": kind, "metadata": meta,
               "spec": copy_data(write.stored["spec"]), "status": status}
    else:
        out = render.render(store, kind, obj)
        if write.verb != "unchanged":
            out = copy_data(out)
            meta = out["metadata"]
            if kind == "Node":
                out["spec"]["unschedulable"] = write.stored["spec"]["unschedulable"]
                if not out["spec"]["unschedulable"]:
                    del out["spec"]["unschedulable"]
            else:
                old = stored_object(store, kind, obj)
                if old["spec"] != write.stored["spec"] or (
                        kind == "Deployment"
                        and old["metadata"]["annotations"] != write.stored["metadata"]["annotations"]):
                    meta["generation"] += 1
                out["spec"] = copy_data(write.stored["spec"])
    meta = out["metadata"]
    for key in ("labels", "annotations", "ownerReferences"):
        value = write.stored["metadata"].get(key)
        if value:
            meta[key] = copy_data(value)
        else:
            meta.pop(key, None)
    return out
