"""The API's verbs on the simulated objects, as the apiserver's handlers and generic store
run them: get and list (label and field selectors), create, update, patch (strategic
merge, merge, JSON patch and server-side apply), delete (preconditions, grace periods,
propagation to dependents), the scale and status subresources and pod eviction, each with
``dry_run`` (the answer computed, nothing changed, no random number drawn).

Bodies come in as decoded JSON (dicts); answers go out as plain dicts. A write answers
``{"code": HTTP status, "body": the object or Status, "line": what kubectl prints,
"warnings": [Warning header texts]}``; a refusal raises ``StatusError`` whose ``status``
is the Status body to answer. ``settle`` (a write's last argument) lets the controllers
react before the answer is rendered, so it shows the object at the resourceVersion its
batch is published under.
"""
from __future__ import annotations

from typing import Callable

from simulator.api import registry, render, validation
from simulator.api.patch import json_merge_patch, json_patch, strategic_merge_patch
from simulator.api.selectors import (
    SelectorError,
    label_selector_as_selector,
    parse_field_selector,
    parse_label_selector,
    selectable_fields,
)
from simulator.api.status import (
    StatusError,
    bad_request,
    conflict,
    invalid,
    method_not_supported,
    status,
    status_details,
    success,
    unsupported_media_type,
)
from simulator.api.struct_tags import drop_nulls
from simulator.api.yaml_source import json_kind
from simulator.controllers import garbage_collector as gc
from simulator.errors import FieldError, ValidationError
from simulator.objects import copy_data
from simulator.store import Store
from simulator.timers import rfc3339

STRATEGIC, MERGE, JSON_PATCH, APPLY = (
    "application/strategic-merge-patch+json", "application/merge-patch+json",
    "application/json-patch+json", "application/apply-patch+yaml")
PATCH_TYPES = (JSON_PATCH, MERGE, STRATEGIC, APPLY)   # as the apiserver lists them
FIELD_VALIDATIONS = ("Ignore", "Warn", "Strict")
CLIENT_SIDE_APPLY = "kubectl-client-side-apply"   # the fieldManager of kubectl apply's requests
PROPAGATIONS = ("Foreground", "Background", "Orphan")
WRITABLE = ("Deployment", "ReplicaSet", "Node")
DELETABLE = ("Deployment", "ReplicaSet", "Pod")
SCALABLE = ("Deployment", "ReplicaSet")
DRY_RUN = " (server dry run)"


def answer(code: int, body: dict, line: str, warnings: list | tuple = ()) -> dict:
    """A write's answer."""
    return {"code": code, "body": body, "line": line, "warnings": list(warnings)}


def _line(kind: str, name: str, verb: str, dry_run: bool = False) -> str:
    r = registry.resource(kind)
    singular = f"{r.singular}.{r.group}" if r.group else r.singular
    return f"{singular}/{name} {verb}" + (DRY_RUN if dry_run else "")


def _refuse(kind: str, verb: str) -> None:
    r = registry.resource(kind)
    raise StatusError(method_not_supported(r.name, verb, r.group))


def _options(options_kind: str, field_validation: str, errors: list[FieldError] = ()) -> None:
    """The request's options, checked as the handlers check them (422 on the options kind)."""
    errors = list(errors)
    if field_validation not in FIELD_VALIDATIONS:
        errors.append(validation.not_supported("fieldValidation", validation.go_value(field_validation),
                                               ["", *FIELD_VALIDATIONS]))
    if errors:
        raise StatusError(invalid(options_kind, "", errors, "meta.k8s.io"))


def _planned(plan: Callable[[], registry.Write]) -> registry.Write:
    try:
        return plan()
    except ValidationError as error:
        raise registry.as_status(error) from None


def _write(store: Store, write: registry.Write, dry_run: bool, settle: Callable[[], None]) -> dict:
    """Admit (pod budget) and commit a planned write, or preview it; the object to answer."""
    try:
        registry.admit_budget(store, [write])
    except ValidationError as error:
        raise registry.as_status(error) from None
    if dry_run:
        return registry.preview(store, write)
    obj = registry.commit(store, write)
    settle()
    return render.render(store, write.kind, obj)


# --- reading ---------------------------------------------------------------------------------
def stored_event(store: Store, event: dict) -> dict:
    """A copy of an event as last written; one written since the last hand-over of change
    records has the open batch's resourceVersion."""
    out = copy_data(event)
    out["metadata"].setdefault("resourceVersion", str(store.batch_version()))
    return out


def get(store: Store, kind: str, name: str, subresource: str = "") -> dict:
    """GET of one object (``subresource`` "status": the same object; "scale": its Scale);
    StatusError NotFound when absent."""
    obj = registry.existing(store, kind, name)
    if subresource not in ("", "status", "scale"):
        raise StatusError(status(404, "NotFound", "the server could not find the requested "
                                 "resource", status_details()))
    if subresource == "scale":
        if kind not in SCALABLE:
            _refuse(kind, "get scale")
        return scale_of(store, kind, obj)
    if kind == "Event":
        return stored_event(store, obj)
    return copy_data(render.render(store, kind, obj))


def list_objects(store: Store, kind: str, label_selector: str = "",
                 field_selector: str = "") -> dict:
    """LIST: a ``<Kind>List`` of the objects the selectors match (events oldest first, others
    by name), at the current resourceVersion. A selector that does not parse, or a field the
    kind does not offer, is a 400."""
    r = registry.resource(kind)
    try:
        labels = parse_label_selector(label_selector or "")
        fields = parse_field_selector(field_selector or "", kind)
    except SelectorError as error:
        raise StatusError(bad_request(str(error))) from None
    stored = registry.objects(store, kind)
    if kind == "Event":
        items = [stored_event(store, e) for e in stored.values() if e is not None]
    else:
        items = [copy_data(render.render(store, kind, stored[n])) for n in sorted(stored)]
    items = [o for o in items if labels.matches(o["metadata"].get("labels"))
             and fields.matches(selectable_fields(o))]
    version = store.batch_version() if store.changes else store.resource_version
    return {"kind": f"{kind}List", "apiVersion": r.group_version,
            "metadata": {"resourceVersion": str(version)}, "items": items}


def watch_event(record: dict) -> dict:
    """A change record as a watch event: ``{"type": ADDED | MODIFIED | DELETED, "object"}``
    (an event's first write is ADDED, its later writes MODIFIED)."""
    kind = record["type"]
    if kind == "EVENT":
        kind = "ADDED" if record["object"].get("count", 1) == 1 else "MODIFIED"
    return {"type": kind, "object": record["object"]}


# --- create, update, patch -------------------------------------------------------------------
def create(store: Store, kind: str, body, *, dry_run: bool = False,
           field_validation: str = "Warn", settle: Callable[[], None] = lambda: None) -> dict:
    """POST to a collection: 201 and the created object (AlreadyExists if the name is
    taken)."""
    if kind not in ("Deployment", "ReplicaSet", "Node"):
        _refuse(kind, "create")
    _options("CreateOptions", field_validation)
    write = _planned(lambda: registry.plan_create(store, kind, body,
                                                  strict=field_validation == "Strict"))
    obj = _write(store, write, dry_run, settle)
    return answer(201, obj, _line(kind, obj["metadata"]["name"], "created", dry_run),
                  write.warnings)


def replace(store: Store, kind: str, name: str, body, *, dry_run: bool = False,
            field_validation: str = "Warn", settle: Callable[[], None] = lambda: None) -> dict:
    """PUT of an object: 200 and the stored object. A uid in the body must be the object's,
    a resourceVersion the current one (409 otherwise); status is ignored."""
    if kind not in WRITABLE:
        _refuse(kind, "update")
    _options("UpdateOptions", field_validation)
    write = _planned(lambda: registry.plan_update(store, kind, name, body,
                                                  strict=field_validation == "Strict"))
    obj = _write(store, write, dry_run, settle)
    return answer(200, obj, _line(kind, name, "replaced", dry_run), write.warnings)


def patch(store: Store, kind: str, name: str, body, patch_type: str, *,
          field_manager: str | None = None, force: bool | None = None, dry_run: bool = False,
          field_validation: str = "Warn", settle: Callable[[], None] = lambda: None) -> dict:
    """PATCH of an object with one of PATCH_TYPES (the Content-Type). The patched object is
    an update (its resourceVersion, if the patch sets one, a precondition); an apply patch
    (server-side apply, without managed fields: the applied fields win, lists merge by
    their keys) creates the object when absent (201)."""
    if kind not in WRITABLE:
        _refuse(kind, "patch")
    media_type = (patch_type or "").split(";")[0].strip()
    if media_type not in PATCH_TYPES:
        raise StatusError(unsupported_media_type(list(PATCH_TYPES)))
    errors = []
    if media_type != APPLY and force is not None:
        errors.append(validation.forbidden("force", "may not be specified for non-apply patch"))
    if media_type == APPLY and not field_manager:
        errors.append(validation.required("fieldManager", "is required for apply patch"))
    _options("PatchOptions", field_validation, errors)
    strict = field_validation == "Strict"
    if media_type == APPLY and name not in registry.objects(store, kind):
        registry.check_name(kind, _applied(kind, body), name)
        write = _planned(lambda: registry.plan_create(store, kind, _applied(kind, body),
                                                      strict=strict))
        obj = _write(store, write, dry_run, settle)
        return answer(201, obj, _line(kind, name, "serverside-applied", dry_run), write.warnings)
    current = get(store, kind, name)
    patched = _patched(kind, current, body, media_type)
    write = _planned(lambda: registry.plan_update(store, kind, name, patched, strict=strict,
                                                  uid_precondition=False))
    obj = _write(store, write, dry_run, settle)
    if media_type == APPLY:
        verb = "serverside-applied"
    elif field_manager == CLIENT_SIDE_APPLY:   # kubectl apply's patch: kubectl's words
        verb = "configured" if write.verb != "unchanged" else "unchanged"
    else:
        verb = "patched" if write.verb != "unchanged" else "patched (no change)"
    return answer(200, obj, _line(kind, name, verb, dry_run), write.warnings)


def _applied(kind: str, body) -> dict:
    """An apply patch's object: apiVersion and kind are required; nulls say nothing."""
    if not isinstance(body, dict):
        raise StatusError(bad_request(f"error decoding YAML: json: cannot unmarshal "
                                      f"{json_kind(body)} into Go value of type "
                                      "map[string]interface {}"))
    for key in ("apiVersion", "kind"):
        if not body.get(key):
            raise StatusError(bad_request(f"{key} must be set"))
    return drop_nulls(body, kind)


def _patched(kind: str, current: dict, body, media_type: str):
    """The current object with the patch applied (PatchError, a StatusError, if it does
    not apply)."""
    if media_type == STRATEGIC:
        return strategic_merge_patch(current, body, kind)
    if media_type == MERGE:
        return json_merge_patch(current, body)
    if media_type == JSON_PATCH:
        return json_patch(current, body)
    return strategic_merge_patch(current, _applied(kind, body), kind)


# --- delete ----------------------------------------------------------------------------------
def delete(store: Store, kind: str, name: str, options: dict | None = None, *,
           dry_run: bool = False, settle: Callable[[], None] = lambda: None) -> dict:
    """DELETE with DeleteOptions (``propagationPolicy``, the deprecated ``orphanDependents``,
    ``gracePeriodSeconds``, ``preconditions``). A pod is deleted gracefully (its grace
    period: the option's, else its spec's; 0 removes it at once) and answered with itself;
    a Deployment or ReplicaSet goes at once, its dependents deleted (Background, the
    default) or orphaned (Orphan), answered with a Success Status (Orphan: the object as
    its orphan finalizer held it). Foreground propagation is refused (not simulated)."""
    if kind not in DELETABLE:
        _refuse(kind, "delete")
    obj = registry.existing(store, kind, name)
    options = options if isinstance(options, dict) else {}
    propagation = _propagation(kind, options)
    _check_preconditions(store, kind, obj, options.get("preconditions"))
    if kind == "Pod":
        return _delete_pod(store, obj, options.get("gracePeriodSeconds"), dry_run, settle)
    r = registry.resource(kind)
    if propagation == gc.ORPHAN:   # the API marks it deleting under the orphan finalizer
        body = copy_data(render.render(store, kind, obj))
        body["metadata"].update({"deletionTimestamp": rfc3339(store.time),
                                 "deletionGracePeriodSeconds": 0, "finalizers": ["orphan"]})
    else:
        body = success(r.name, name, obj.uid, r.group)
    if not dry_run:
        if kind == "Deployment":
            del store.deployments[name]
            store.explanations.pop(obj.uid, None)
            store.changed("Deployment", obj, "DELETED")
            gc.collect(store, kind, obj, propagation)
        else:
            if propagation == gc.BACKGROUND:
                gc.delete_replicaset(store, obj)
            else:
                gc.collect(store, kind, obj, propagation)
                store.remove_replicaset(obj)
            if obj.owner:
                store.enqueue("deployment", obj.owner)
        if propagation == gc.ORPHAN:
            body["metadata"]["resourceVersion"] = str(store.batch_version())
        settle()
    singular = f"{r.singular}.{r.group}"
    return answer(200, body, f'{singular} "{name}" deleted' + (DRY_RUN if dry_run else ""))


def _propagation(kind: str, options: dict) -> str:
    """The propagation policy DeleteOptions ask for (ValidateDeleteOptions' refusals)."""
    policy, orphan = options.get("propagationPolicy"), options.get("orphanDependents")
    errors = []
    if policy is not None and orphan is not None:
        errors.append(validation.invalid("propagationPolicy", validation.go_value(policy),
                                         "orphanDependents and deletionPropagation cannot be "
                                         "both set"))
    if policy is not None and policy not in PROPAGATIONS:
        errors.append(validation.not_supported("propagationPolicy", validation.go_value(policy),
                                               [*PROPAGATIONS, "nil"]))
    elif policy == "Foreground" and kind != "Pod":
        errors.append(validation.forbidden("propagationPolicy", "foreground deletion is not "
                                           "simulated: use Background or Orphan"))
    if errors:
        raise StatusError(invalid("DeleteOptions", "", errors, "meta.k8s.io"))
    if policy in (gc.BACKGROUND, gc.ORPHAN):
        return policy
    return gc.ORPHAN if orphan is True else gc.BACKGROUND   # apps/v1 deletes dependents


def _check_preconditions(store: Store, kind: str, obj, preconditions) -> None:
    """BeforeDelete's early check of DeleteOptions.preconditions (uid, resourceVersion)."""
    if not isinstance(preconditions, dict):
        return
    group = registry.resource(kind).group
    uid, version = preconditions.get("uid"), preconditions.get("resourceVersion")
    current = str(store.version_of(obj))
    if uid is not None and uid != obj.uid:
        raise StatusError(conflict(kind, obj.name, f"the UID in the precondition ({uid}) does "
                                   f"not match the UID in record ({obj.uid}). The object might "
                                   "have been deleted and then recreated", group))
    if version is not None and version != current:
        raise StatusError(conflict(kind, obj.name, f"the ResourceVersion in the precondition "
                                   f"({version}) does not match the ResourceVersion in record "
                                   f"({current}). The object might have been modified", group))


def _delete_pod(store: Store, pod, grace, dry_run: bool, settle) -> dict:
    if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int)):
        shown = json_kind(grace) + (f" {grace}" if isinstance(grace, float) else "")
        raise StatusError(bad_request(f"json: cannot unmarshal {shown} into Go struct field "
                                      "DeleteOptions.gracePeriodSeconds of type int64"))
    line = f'pod "{pod.name}" deleted' + (DRY_RUN if dry_run else "")
    if dry_run:
        return answer(200, _pod_after_delete(store, pod, grace), line)
    store.delete_pod(pod, grace)
    settle()
    return answer(200, copy_data(render.render(store, "Pod", pod)), line)


def _pod_after_delete(store: Store, pod, grace) -> dict:
    """The pod as a delete would leave it (a dry run): unchanged if it is already
    terminating and the grace period would not shrink, else marked for deletion."""
    out = copy_data(render.render(store, "Pod", pod))
    if grace is not None and grace < 0:
        grace = 1
    if pod.deletion_time is not None:
        if grace is None or grace >= pod.grace:
            return out
        start = pod.deletion_time
    else:
        start = store.time
        if pod.node is None or pod.phase in ("Succeeded", "Failed"):
            grace = 0
        elif grace is None:
            grace = pod.spec.get("terminationGracePeriodSeconds", 30)
    out["metadata"].update({"deletionTimestamp": rfc3339(start + grace * 1000),
                            "deletionGracePeriodSeconds": grace})
    return out


# --- eviction --------------------------------------------------------------------------------
def evict(store: Store, name: str, body=None, *, dry_run: bool = False,
          settle: Callable[[], None] = lambda: None) -> dict:
    """POST pods/<name>/eviction (policy/v1 Eviction): no PodDisruptionBudgets exist in the
    simulation, so an existing pod is always deleted, with the Eviction's deleteOptions;
    201 and a Success Status."""
    body = body if isinstance(body, dict) else {}
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    if meta.get("name") != name:
        raise StatusError(bad_request("name in URL does not match name in Eviction object"))
    options = body.get("deleteOptions") if isinstance(body.get("deleteOptions"), dict) else {}
    pod = registry.existing(store, "Pod", name)
    _propagation("Pod", options)
    _check_preconditions(store, "Pod", pod, options.get("preconditions"))
    if not dry_run:
        _delete_pod(store, pod, options.get("gracePeriodSeconds"), dry_run, settle)
    done = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "code": 201}
    return answer(201, done, f"pod/{name} evicted" + (DRY_RUN if dry_run else ""))


# --- the scale subresource -------------------------------------------------------------------
def scale_of(store: Store, kind: str, obj) -> dict:
    """The autoscaling/v1 Scale of a Deployment or ReplicaSet."""
    rendered = render.render(store, kind, obj)
    meta = rendered["metadata"]
    spec = {"replicas": rendered["spec"]["replicas"]} if rendered["spec"]["replicas"] else {}
    current = {"replicas": rendered["status"].get("replicas", 0)}
    selector = str(label_selector_as_selector(rendered["spec"].get("selector")))
    if selector:
        current["selector"] = selector
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {key: meta[key] for key in ("name", "namespace", "uid", "resourceVersion",
                                                   "creationTimestamp")},
            "spec": spec, "status": current}


def replace_scale(store: Store, kind: str, name: str, body, *, dry_run: bool = False,
                  settle: Callable[[], None] = lambda: None, uid_precondition: bool = True) -> dict:
    """PUT of the scale subresource: the Scale's spec.replicas (absent: 0) becomes the
    object's, checked as ValidateScale checks it; its resourceVersion (and, for a PUT, its
    uid) is a precondition on the object. 200 and the new Scale."""
    if kind not in SCALABLE:
        _refuse(kind, "update scale")
    obj = registry.existing(store, kind, name)
    if not isinstance(body, dict):
        raise StatusError(bad_request("Scale in version \"v1\" cannot be handled as a Scale: "
                                      f"json: cannot unmarshal {json_kind(body)} into "
                                      "Go value of type struct"))
    registry.check_name(kind, body, name)
    meta = body["metadata"]
    if uid_precondition:
        registry.check_uid(store, kind, name, meta.get("uid"))
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    replicas = spec.get("replicas", 0)
    if replicas is None:
        replicas = 0
    failure = validation.validate_scale(name, replicas)
    if failure is not None:
        raise registry.as_status(failure)
    registry.check_resource_version(store, kind, name, meta.get("resourceVersion"))
    stored = registry.stored_object(store, kind, obj)
    stored["spec"]["replicas"] = int(replicas)
    write = _planned(lambda: registry.plan_update(store, kind, name, stored))
    written = _write(store, write, dry_run, settle)
    scale = scale_of(store, kind, obj)
    if dry_run:
        scale["spec"] = {"replicas": int(replicas)} if replicas else {}
    else:
        scale["metadata"]["resourceVersion"] = written["metadata"]["resourceVersion"]
    return answer(200, scale, _line(kind, name, "scaled", dry_run))


def patch_scale(store: Store, kind: str, name: str, body, patch_type: str, *,
                dry_run: bool = False, settle: Callable[[], None] = lambda: None) -> dict:
    """PATCH of the scale subresource (strategic merge, merge or JSON patch of the Scale)."""
    if kind not in SCALABLE:
        _refuse(kind, "patch scale")
    media_type = (patch_type or "").split(";")[0].strip()
    if media_type not in PATCH_TYPES[:3]:
        raise StatusError(unsupported_media_type(list(PATCH_TYPES[:3])))
    current = scale_of(store, kind, registry.existing(store, kind, name))
    patched = _patched("Scale", current, body, media_type)
    return replace_scale(store, kind, name, patched, dry_run=dry_run, settle=settle,
                         uid_precondition=False)
