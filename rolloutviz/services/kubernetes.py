"""The Kubernetes API of each simulation: what a request asks for, who may ask it, and the
answer, as a Kubernetes API server gives it (reads and Tables from the same state the page
shows, writes recorded like a button press).

* `request_info` reads a path as the API server's RequestInfoFactory does (group, version,
  namespace, resource, name, subresource, verb).
* `authenticate` takes the ``Authorization: Bearer`` token: a link's token (its role in its
  simulation) or the operator's; anything else is 401, as is a token of another simulation.
  `authorize` refuses writes to a viewer (403), worded as the authorizer words it.
* `read` answers get and list (label and field selectors, ``limit``/``continue``, Tables)
  from the simulation's live copy, where it lives (`live.read`); `write` hands create,
  update, patch, delete, the scale subresource and eviction to the custodian
  (`live.execute`, labelled with the ``Kubectl-Command`` header), or computes a
  ``dryRun=All`` write on the live copy without recording anything.
* `served` shifts every timestamp an answer carries by one offset: kubectl computes ages
  (``describe``'s events, ``-o yaml``) against its own wall clock, so a simulated instant t
  is served as t + (wall now − simulated now). `clock_offset` computes that offset once per
  kubectl invocation (its ``Kubectl-Session`` header), so a ``kubectl diff``'s two reads
  agree; Table cells (AGE, LAST SEEN) are computed on the simulated clock itself.

Every refusal is a `simulator.api.status.StatusError` carrying the exact Status body.
Services, Endpoints and EndpointSlices answer empty (the simulation has none yet); the one
namespace is ``default``.
"""
from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import json
import logging
import math
import re
import time
from dataclasses import dataclass

from django.core.cache import cache

from rolloutviz import limits, permissions
from rolloutviz.permissions import Role
from rolloutviz.services import live
from simulator.api import discovery
from simulator.api.status import (
    StatusError,
    bad_request,
    forbidden_request,
    invalid,
    method_not_supported,
    not_found,
    status,
    status_details,
    unauthorized,
)
from simulator.api.tables import table
from simulator.errors import FieldError
from simulator.timers import EPOCH

logger = logging.getLogger(__name__)

NAMESPACE = "default"
# Kinds the simulation does not model yet: lists answer empty, writes 405.
UNMODELLED = frozenset({"Service", "Endpoints", "EndpointSlice", "Namespace"})
TABLE_VERSIONS = ("v1", "v1beta1")
MAX_LABEL_LENGTH = 200  # CommandRecord.label
SESSION_PIN_SECONDS = 600  # a kubectl invocation's clock offset is kept this long
NO_LOGS = "rolloutviz: no logs in a simulation (pod {pod}, container {container})\n"
_SIM_EPOCH = calendar.timegm(EPOCH.utctimetuple())
_NOT_FOUND = status(404, "NotFound", "the server could not find the requested resource", status_details())
# The timestamps of served objects (metav1.Time and MicroTime fields).
TIME_FIELDS = frozenset({
    "creationTimestamp", "deletionTimestamp", "lastTransitionTime", "lastUpdateTime", "lastProbeTime",
    "lastHeartbeatTime", "startTime", "startedAt", "finishedAt", "firstTimestamp", "lastTimestamp",
    "eventTime", "lastObservedTime", "timeAdded",
})
# Maps of user data: never rewritten (an annotation may hold a timestamp kubectl wrote itself).
_USER_MAPS = frozenset({"annotations", "labels"})
_TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?Z")


def not_found_path() -> StatusError:
    """A path the API does not serve: 404 as the API server's mux words it."""
    return StatusError(dict(_NOT_FOUND))


# ---------------------------------------------------------------- what a request asks for


@dataclass(frozen=True)
class RequestInfo:
    """A request's path read the API server's way. ``resource`` is None for a non-resource path
    (``/version``, discovery, OpenAPI), whose ``path`` is then the whole path."""

    path: str
    verb: str = ""
    resource: discovery.Resource | None = None
    namespace: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def kind(self) -> str:
        return self.resource.kind if self.resource else ""


_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def request_info(method: str, path: str, watch: bool) -> RequestInfo:
    """What ``method path`` (relative to the simulation's prefix) asks for; `not_found_path`
    for a resource path that names nothing served."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis") or len(parts) < (2 if parts[0] == "api" else 3):
        return RequestInfo(path="/" + "/".join(parts))
    group, version, rest = ("", parts[1], parts[2:]) if parts[0] == "api" else (parts[1], parts[2], parts[3:])
    if not rest:
        return RequestInfo(path="/" + "/".join(parts))
    verb = _VERBS.get(method.upper(), "")
    if rest[0] == "watch":  # the deprecated /watch/ paths
        rest, watch = rest[1:], True
    namespace = ""
    if rest and rest[0] == "namespaces" and len(rest) >= 2:
        namespace = rest[1]
        rest = rest[2:] if len(rest) > 2 else ["namespaces", namespace]
    if not rest or len(rest) > 3:
        raise not_found_path()
    resource = discovery.find_resource(group, version, rest[0])
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if resource is None or (subresource and subresource not in {s.name for s in resource.subresources}):
        raise not_found_path()
    if resource.kind == "Namespace":
        namespace = ""
    elif not resource.namespaced and namespace:
        raise not_found_path()
    elif resource.namespaced and not namespace and (name or verb not in ("get", "")):
        raise not_found_path()  # only lists and watches span every namespace
    if verb == "get" and (watch or not name):
        verb = "watch" if watch else "list"
    elif verb == "delete" and not name:
        verb = "deletecollection"
    return RequestInfo(path=path, verb=verb, resource=resource, namespace=namespace, name=name,
                       subresource=subresource)


# ---------------------------------------------------------------- who may ask


@dataclass(frozen=True)
class Caller:
    """An authenticated caller of one simulation's API."""

    simulation_id: int
    role: Role
    subject: str  # whom the limiter counts ("token:<link id>")
    sim_time: float  # the simulation's clock when it was looked up

    @property
    def user(self) -> str:
        """The user name Forbidden messages give (as a real authorizer names the user)."""
        return f"rolloutviz:{self.role.name.lower()}"


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(*, simulation_id: int, authorization: str) -> Caller:
    """The caller a request's bearer token names in this simulation; 401 Unauthorized for a
    missing, unknown or revoked token, and for one that reaches another simulation only (to
    this API server it is a token it does not know)."""
    token = bearer_token(authorization)
    if token is None:
        raise StatusError(unauthorized())
    try:
        who = permissions.principal(bearer=token)
    except permissions.Unauthorized:
        raise StatusError(unauthorized()) from None
    sim, role = permissions.role_by_id(who, simulation_id)
    if role is None:
        raise StatusError(unauthorized())
    return Caller(simulation_id=sim.pk, role=role, subject=f"token:{who.bearer.pk}", sim_time=sim.sim_time)


def authorize(caller: Caller, info: RequestInfo) -> None:
    """403 Forbidden unless the caller's role allows the request's verb (`permissions`)."""
    if caller.role >= permissions.kubernetes_role_needed(info.verb):
        return
    r = info.resource
    raise StatusError(forbidden_request(
        caller.user, info.verb, r.name, group=r.group, subresource=info.subresource, namespace=info.namespace,
        name=info.name, reason="this kubeconfig's link has the view role: it reads the simulation and changes "
                               "nothing (ask the owner for an edit link)"))


def charge(caller: Caller, address_subjects: list[str]) -> None:
    """Count a write against the limiter (the token and the client address), as the JSON API's
    commands are counted; 429 Too Many Requests when over."""
    try:
        limits.charge(limits.COMMANDS, [caller.subject, *address_subjects])
    except limits.Limited as limited:
        raise StatusError(status(429, "TooManyRequests", limited.message,
                                 status_details(retry_after_seconds=limited.retry_after))) from None


# ---------------------------------------------------------------- the served clock


def clock_offset(caller: Caller, session: str = "") -> int:
    """Whole seconds to add to a simulated instant to serve it: wall now − simulated now,
    the same for every request of one kubectl invocation (``Kubectl-Session``)."""
    offset = math.floor(time.time() - _SIM_EPOCH - caller.sim_time)  # ages never read a second short
    if not session:
        return offset
    key = "k8s-clock:%d:%s" % (caller.simulation_id, hashlib.sha256(session.encode()).hexdigest()[:32])
    try:
        if cache.add(key, offset, timeout=SESSION_PIN_SECONDS):
            return offset
        pinned = cache.get(key)
    except Exception:  # noqa: BLE001 - any cache backend's connection error: unpinned will do
        logger.warning("kubernetes API: cache unavailable, clock offset not pinned", exc_info=True)
        return offset
    return offset if pinned is None else int(pinned)


def _shift_timestamp(text: str, seconds: int) -> str:
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return text
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    moment = calendar.timegm((year, month, day, hour, minute, second)) + seconds
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment)) + (match.group(7) or "") + "Z"


def served(value, seconds: int):
    """``value`` (an object, list, Table or watch event) with every timestamp moved by
    ``seconds`` (a new structure: the given one is shared). Annotations and labels are user
    data and stay as they are; a negative ``seconds`` undoes the shift (a body sent back)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in TIME_FIELDS and isinstance(item, str):
                out[key] = _shift_timestamp(item, seconds)
            elif key in _USER_MAPS or not isinstance(item, (dict, list)):
                out[key] = item
            else:
                out[key] = served(item, seconds)
        return out
    if isinstance(value, list):
        return [served(item, seconds) if isinstance(item, (dict, list)) else item for item in value]
    return value


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ReadRequest:
    """A get or list, as the worker holding the simulation answers it (picklable)."""

    kind: str
    name: str = ""
    subresource: str = ""
    namespace: str = ""
    label_selector: str = ""
    field_selector: str = ""
    table: str | None = None  # the Table's meta.k8s.io version, or None for the objects
    include_object: str = "Metadata"
    limit: int = 0
    continue_token: str = ""
    offset: int = 0
    container: str = ""  # pods/log


def read_request(info: RequestInfo, query, *, table_version: str | None, offset: int) -> ReadRequest:
    """The `ReadRequest` of a get or list with its query parameters (400 for bad ones)."""
    return ReadRequest(
        kind=info.kind, name=info.name, subresource=info.subresource, namespace=info.namespace,
        label_selector=query.get("labelSelector", ""), field_selector=query.get("fieldSelector", ""),
        table=table_version, include_object=query.get("includeObject", "") or "Metadata",
        limit=_limit(query.get("limit", "")), continue_token=query.get("continue", ""), offset=offset,
        container=query.get("container", ""))


def _limit(text: str) -> int:
    if not text:
        return 0
    if not text.isascii() or not text.lstrip("-").isdigit():
        raise StatusError(bad_request(f'invalid value "{text}" for limit'))
    return max(0, int(text))


def _in_scope(request: ReadRequest) -> bool:
    """Whether the request's namespace holds the simulation's objects (all of them are in default)."""
    return request.namespace in ("", NAMESPACE)


def _namespace_object() -> dict:
    return {"kind": "Namespace", "apiVersion": "v1",
            "metadata": {"name": NAMESPACE, "uid": "00000000-0000-4000-8000-000000000001", "resourceVersion": "1",
                         "creationTimestamp": "2026-01-01T00:00:00Z",
                         "labels": {"kubernetes.io/metadata.name": NAMESPACE}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def _unmodelled(cluster, request: ReadRequest) -> dict:
    """Get and list of the kinds the simulation has no objects of yet (the one namespace aside)."""
    r = _resource(request.kind)
    items = [_namespace_object()] if request.kind == "Namespace" else []
    if request.name:
        found = [o for o in items if o["metadata"]["name"] == request.name]
        if not found:
            raise StatusError(not_found(r.name, request.name, r.group))
        return found[0]
    return {"kind": f"{request.kind}List", "apiVersion": r.group_version,
            "metadata": {"resourceVersion": str(cluster.resource_version)}, "items": items}


def _resource(kind: str) -> discovery.Resource:
    return next(r for r in discovery.RESOURCES if r.kind == kind)


def _page(listed: dict, request: ReadRequest) -> dict:
    """``limit``/``continue``: at most ``limit`` items from where the continue token says, and a
    token for the rest (the rest is read from the state of the next request)."""
    start = 0
    if request.continue_token:
        try:
            token = json.loads(base64.urlsafe_b64decode(request.continue_token.encode()))
            start, version = int(token["start"]), str(token["rv"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise StatusError(bad_request("continue key is not valid: the continue token cannot be decoded")) \
                from None
        listed["metadata"]["resourceVersion"] = version
    items = listed["items"][start:]
    if request.limit and len(items) > request.limit:
        items = items[:request.limit]
        token = {"rv": listed["metadata"]["resourceVersion"], "start": start + request.limit}
        listed["metadata"]["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
        listed["metadata"]["remainingItemCount"] = len(listed["items"]) - start - request.limit
    listed["items"] = items
    return listed


def answer_read(cluster, request: ReadRequest):
    """A get or list on the simulation's ``cluster`` (run where the simulation lives): the
    object, list or Table as served (a pod's log: its text)."""
    if request.subresource == "log":
        return _log(cluster, request)
    if request.kind in UNMODELLED:
        body = _unmodelled(cluster, request)
    elif not _in_scope(request):
        r = _resource(request.kind)
        if request.name:
            raise StatusError(not_found(r.name, request.name, r.group))
        body = {"kind": f"{request.kind}List", "apiVersion": r.group_version,
                "metadata": {"resourceVersion": str(cluster.resource_version)}, "items": []}
    elif request.name:
        body = cluster.read(request.kind, request.name, request.subresource)
    else:
        body = cluster.read_list(request.kind, request.label_selector, request.field_selector)
    if not request.name:
        body = _page(body, request)
    if request.table and request.subresource == "":
        meta = body["metadata"]
        objects = body["items"] if not request.name else [body]
        body = table(request.kind, objects, cluster.now, include_object=request.include_object,
                     resource_version=meta.get("resourceVersion", ""), continue_token=meta.get("continue", ""))
        body["apiVersion"] = f"meta.k8s.io/{request.table}"
    return served(body, request.offset)


def read_view(reader, request: ReadRequest):
    """`answer_read` as a `live.read` view: on the engine's own copy (``reader.cluster``)."""
    return answer_read(reader.cluster, request)


def _log(cluster, request: ReadRequest) -> str:
    if not _in_scope(request):
        raise StatusError(not_found("pods", request.name))
    pod = cluster.read("pods", request.name)
    containers = [c.get("name", "") for c in pod["spec"].get("containers") or []]
    container = request.container or (containers[0] if len(containers) == 1 else "")
    if not container:
        raise StatusError(bad_request(f"a container name must be specified for pod {request.name}, "
                                      f"choose one of: [{' '.join(containers)}]"))
    if container not in containers:
        raise StatusError(bad_request(f"container {container} is not valid for pod {request.name}"))
    return NO_LOGS.format(pod=request.name, container=container)


def read(*, caller: Caller, request: ReadRequest):
    """`answer_read` on the simulation's live copy, where it lives."""
    return live.read(simulation_id=caller.simulation_id, view=read_view, args=(request,))


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class WriteRequest:
    """A write: the `Cluster` method that makes it and its arguments (recorded as given)."""

    command: str
    args: dict
    dry_run: bool


def _options_kind(verb: str) -> str:
    return {"create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions"}.get(verb, "DeleteOptions")


def _dry_run(info: RequestInfo, query) -> bool:
    values = query.getlist("dryRun") if hasattr(query, "getlist") else [query.get("dryRun", "")]
    values = [v for v in values if v != ""]
    for value in values:
        if value != "All":
            raise StatusError(invalid(_options_kind(info.verb), "", [FieldError(
                "dryRun", f'Unsupported value: "{value}": supported values: "All"')], "meta.k8s.io"))
    return bool(values)


def _force(query) -> bool | None:
    text = query.get("force", "")
    if text == "":
        return None
    if text.lower() not in ("true", "false", "1", "0"):
        raise StatusError(bad_request(f'invalid value "{text}" for force: expected a boolean'))
    return text.lower() in ("true", "1")


def write_request(info: RequestInfo, query, body, content_type: str) -> WriteRequest:
    """The `Cluster` write a create, update, patch, delete or eviction request makes; 405 for a
    verb the resource does not take here, 404 for another namespace."""
    r, kind, name, sub = info.resource, info.kind, info.name, info.subresource
    if kind in UNMODELLED or sub == "status" or info.verb == "deletecollection":
        action = {"update": "update", "patch": "patch", "create": "create"}.get(info.verb, info.verb)
        raise StatusError(method_not_supported(r.name, f"{action} {sub}".strip(), r.group))
    if info.namespace not in ("", NAMESPACE):
        raise StatusError(not_found("namespaces", info.namespace))
    dry_run = _dry_run(info, query)
    field_validation = query.get("fieldValidation", "") or "Warn"
    if info.verb == "create" and sub == "eviction":
        return WriteRequest("evict", {"name": name, "body": body}, dry_run)
    if info.verb == "create":
        return WriteRequest("create", {"kind": kind, "body": body, "field_validation": field_validation}, dry_run)
    if info.verb == "update":
        if sub == "scale":
            return WriteRequest("replace_scale", {"kind": kind, "name": name, "body": body}, dry_run)
        return WriteRequest("replace", {"kind": kind, "name": name, "body": body,
                                        "field_validation": field_validation}, dry_run)
    if info.verb == "patch":
        if sub == "scale":
            return WriteRequest("patch_scale", {"kind": kind, "name": name, "patch": body,
                                                "patch_type": content_type}, dry_run)
        return WriteRequest("patch", {"kind": kind, "name": name, "patch": body, "patch_type": content_type,
                                      "field_manager": query.get("fieldManager") or None, "force": _force(query),
                                      "field_validation": field_validation}, dry_run)
    if info.verb == "delete" and not sub:
        return WriteRequest("delete", {"kind": kind, "name": name, "options": body}, dry_run)
    raise StatusError(method_not_supported(r.name, f"{info.verb} {sub}".strip(), r.group))


def dry_run_answer(reader, command: str, args: dict) -> dict:
    """A ``dryRun=All`` write on the live copy (a `live.read` view): the would-be answer;
    nothing changes."""
    return getattr(reader.cluster, command)(**args, dry_run=True)


def write_label(kubectl_command: str, info: RequestInfo) -> str:
    """How the timeline names a write: kubectl's ``Kubectl-Command`` header (``kubectl rollout
    undo``), else the verb and resource (``patch deployments.apps``)."""
    label = " ".join(kubectl_command.split())[:MAX_LABEL_LENGTH]
    return label or f"{info.verb} {info.resource.qualified}"


def write(*, caller: Caller, request: WriteRequest, label: str, offset: int) -> dict:
    """Make the write (recorded, published, replayable: `live.execute`), or compute a dry run;
    ``{"code", "body", "line", "warnings"}`` with the body served. Bodies come back with the
    served clock undone, so a PUT of an object as it was read keeps its times."""
    args = {key: (served(value, -offset) if key in ("body", "patch") else value)
            for key, value in request.args.items()}
    if request.dry_run:
        answer = live.read(simulation_id=caller.simulation_id, view=dry_run_answer, args=(request.command, args))
    else:
        answer = live.execute(simulation_id=caller.simulation_id, command=request.command, args=args, label=label)
    return {**answer, "body": served(answer["body"], offset)}


# ---------------------------------------------------------------- non-resource paths


def non_resource(path: str, *, prefix: str, aggregated: str | None) -> tuple[dict, str | None]:
    """``/version``, discovery (``aggregated``: the asked APIGroupDiscoveryList version, or
    None for the legacy form) and the OpenAPI v3 stub: (body, content type or None for plain
    JSON); `not_found_path` for anything else (``/openapi/v2`` included)."""
    if path == "/version":
        return discovery.version_info(), None
    if path in ("/api", "/apis"):
        if aggregated:
            return (discovery.aggregated_discovery(path == "/api", aggregated),
                    discovery.AGGREGATED_CONTENT_TYPES[aggregated])
        return (discovery.api_versions() if path == "/api" else discovery.api_group_list()), None
    if path == "/openapi/v3":
        return discovery.openapi_v3_root(prefix), None
    if path.startswith("/openapi/v3/"):
        document = discovery.openapi_v3_document(path[len("/openapi/v3/"):])
        if document is not None:
            return document, None
    parts = path.strip("/").split("/")
    if parts[0] in ("api", "apis") and len(parts) == (2 if parts[0] == "api" else 3):
        listed = discovery.api_resource_list(*(("", parts[1]) if parts[0] == "api" else (parts[1], parts[2])))
        if listed is not None:
            return listed, None
    raise not_found_path()

