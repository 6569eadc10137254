"""What a simulation's API server says about itself: /version, API discovery (aggregated and
legacy) and a stub OpenAPI v3, all read from one table of served resources, ``RESOURCES``.

kubectl needs each of them (../shared/kubernetes-api/README.md): /version picks the client
(report minor 32), discovery maps ``deploy`` to ``deployments.apps`` and finds
``pods/eviction`` for drain, and apply/diff/edit download the OpenAPI document of the
kind's group-version to learn that PATCH takes ``fieldValidation``. The stub lists no
``application/strategic-merge-patch+json`` body: with it kubectl would build strategic merge
patches from the (empty) schemas instead of its compiled-in types.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from simulator.api.status import qualified

AGGREGATED_CONTENT_TYPES = {
    version: f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"
    for version in ("v2", "v2beta1")}  # kubectl 1.32 asks for v2; clients up to 1.29, v2beta1
_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_SUBRESOURCE_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class Subresource:
    """A subresource (``pods/log``); ``group``/``version`` when its kind lives elsewhere."""

    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class Resource:
    """One served resource, as discovery describes it."""

    group: str
    version: str
    name: str          # plural, as in URLs: "deployments"
    singular: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = _ALL_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = ()

    @property
    def group_version(self) -> str:
        """"apps/v1", or "v1" for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """The GroupResource as errors name it: "deployments.apps", "pods"."""
        return qualified(self.name, self.group)


_SCALE = Subresource("scale", "Scale", _SUBRESOURCE_VERBS, "autoscaling", "v1")

RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "endpoints", "endpoints", "Endpoints", True, short_names=("ep",)),
    Resource("", "v1", "events", "event", "Event", True, short_names=("ev",)),
    Resource("", "v1", "namespaces", "namespace", "Namespace", False,
             ("create", "delete", "get", "list", "patch", "update", "watch"), ("ns",)),
    Resource("", "v1", "nodes", "node", "Node", False, short_names=("no",)),
    Resource("", "v1", "pods", "pod", "Pod", True, short_names=("po",), categories=("all",),
             subresources=(Subresource("eviction", "Eviction", ("create",), "policy", "v1"),
                           Subresource("log", "Pod", ("get",)),
                           Subresource("status", "Pod", _SUBRESOURCE_VERBS))),
    Resource("", "v1", "services", "service", "Service", True, short_names=("svc",),
             categories=("all",)),
    Resource("apps", "v1", "deployments", "deployment", "Deployment", True,
             short_names=("deploy",), categories=("all",),
             subresources=(_SCALE, Subresource("status", "Deployment", _SUBRESOURCE_VERBS))),
    Resource("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True,
             short_names=("rs",), categories=("all",),
             subresources=(_SCALE, Subresource("status", "ReplicaSet", _SUBRESOURCE_VERBS))),
    Resource("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", True),
)
# The named groups, in the API server's priority order. autoscaling/v1 and policy/v1 hold
# only the kinds of deployments/scale and pods/eviction here: they answer (empty) when asked
# but are not advertised, since kubectl takes an advertised group-version without resources
# for discovery it failed to get, and fetches discovery again on every command.
GROUPS = (("apps", "v1"), ("discovery.k8s.io", "v1"))
_UNADVERTISED = (("autoscaling", "v1"), ("policy", "v1"))


def find_resource(group: str, version: str, name: str) -> Resource | None:
    """The served resource at ``/apis/<group>/<version>/.../<name>`` (group "" for /api)."""
    return next((r for r in RESOURCES
                 if (r.group, r.version, r.name) == (group, version, name)), None)


def version_info() -> dict:
    """``GET /version``. Clients read major, minor and gitVersion (the dispatcher at
    /usr/bin/kubectl runs the kubectl of this minor); the zero commit marks a simulated
    server."""
    return {"major": "1", "minor": "32", "gitVersion": "v1.32.4",
            "gitCommit": "0" * 40, "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z",
            "goVersion": "go1.23.8", "compiler": "gc", "platform": "linux/amd64"}


def _storage_version_hash(resource: Resource) -> str:
    # discovery.StorageVersionHash: the first 8 bytes of sha256("group/version/kind")
    digest = hashlib.sha256(f"{resource.group}/{resource.version}/{resource.kind}".encode())
    return base64.b64encode(digest.digest()[:8]).decode()


def _served(group: str, version: str) -> list[Resource]:
    return sorted((r for r in RESOURCES if (r.group, r.version) == (group, version)),
                  key=lambda r: r.name)


def _known(group: str, version: str) -> bool:
    return (group, version) in (("", "v1"), *GROUPS, *_UNADVERTISED)


def api_versions(server_address: str = "") -> dict:
    """``GET /api`` in the legacy form (APIVersions; the apiserver strips its apiVersion)."""
    cidrs = ([{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
             if server_address else [])
    return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": cidrs}


def api_group_list() -> dict:
    """``GET /apis`` in the legacy form (APIGroupList)."""
    groups = []
    for group, version in GROUPS:
        entry = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [entry], "preferredVersion": entry})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _api_resource(resource: Resource) -> dict:
    entry = {"name": resource.name, "singularName": resource.singular,
             "namespaced": resource.namespaced, "kind": resource.kind,
             "verbs": list(resource.verbs)}
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    entry["storageVersionHash"] = _storage_version_hash(resource)
    return entry


def _api_subresource(resource: Resource, sub: Subresource) -> dict:
    entry = {"name": f"{resource.name}/{sub.name}", "singularName": "",
             "namespaced": resource.namespaced}
    if sub.group is not None:
        entry.update(group=sub.group, version=sub.version)
    entry.update(kind=sub.kind, verbs=list(sub.verbs))
    return entry


def api_resource_list(group: str, version: str) -> dict | None:
    """``GET /api/v1`` or ``/apis/<group>/<version>`` (APIResourceList), None if not served.
    Resources and subresources by name, as the apiserver lists them."""
    if not _known(group, version):
        return None
    entries = []
    for resource in _served(group, version):
        entries.append(_api_resource(resource))
        entries += [_api_subresource(resource, sub)
                    for sub in sorted(resource.subresources, key=lambda s: s.name)]
    body = {"kind": "APIResourceList"}
    if group:  # the core group's list goes out without apiVersion, like /api's
        body["apiVersion"] = "v1"
    body.update(groupVersion=f"{group}/{version}" if group else version, resources=entries)
    return body


def _gvk(group: str, version: str, kind: str) -> dict:
    return {"group": group, "version": version, "kind": kind}


def _discovered(resource: Resource) -> dict:
    entry = {"resource": resource.name,
             "responseKind": _gvk(resource.group, resource.version, resource.kind),
             "scope": "Namespaced" if resource.namespaced else "Cluster",
             "singularResource": resource.singular, "verbs": list(resource.verbs)}
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    if resource.subresources:
        entry["subresources"] = [
            {"subresource": sub.name,
             "responseKind": _gvk(sub.group if sub.group is not None else resource.group,
                                  sub.version or resource.version, sub.kind),
             "verbs": list(sub.verbs)}
            for sub in sorted(resource.subresources, key=lambda s: s.name)]
    return entry


def aggregated_discovery(core: bool, version: str = "v2") -> dict:
    """``GET /api`` (``core``) or ``/apis`` as aggregated discovery (APIGroupDiscoveryList),
    to be answered with ``AGGREGATED_CONTENT_TYPES[version]`` as the Content-Type exactly, or
    kubectl ignores it."""
    groups = [("", "v1")] if core else list(GROUPS)
    items = []
    for group, group_version in groups:
        listed = {"version": group_version, "freshness": "Current"}
        resources = [_discovered(r) for r in _served(group, group_version)]
        if resources:
            listed = {"version": group_version, "resources": resources, "freshness": "Current"}
        metadata = {"name": group, "creationTimestamp": None} if group else {
            "creationTimestamp": None}
        items.append({"metadata": metadata, "versions": [listed]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {}, "items": items}


# --- OpenAPI v3 ---------------------------------------------------------------------------

def _openapi_key(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _query(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "description": description,
            "schema": {"type": "string", "uniqueItems": True}}


_PATCH_PARAMETERS = [
    _query("dryRun", "When present, indicates that modifications should not be persisted."),
    _query("fieldManager", "fieldManager is a name associated with the actor or entity that "
                           "is making these changes."),
    _query("fieldValidation", "fieldValidation instructs the server on how to handle objects "
                              "in the request (POST/PUT/PATCH) containing unknown or duplicate "
                              "fields. Valid values are: Ignore, Warn, Strict."),
    {"name": "force", "in": "query", "description": "Force is going to \"force\" Apply "
     "requests.", "schema": {"type": "boolean", "uniqueItems": True}},
]
_PATCH_BODIES = ("application/apply-patch+yaml", "application/json-patch+json",
                 "application/merge-patch+json")


def _operation_id(resource: Resource) -> str:
    group = resource.group.split(".")[0].capitalize() if resource.group else "Core"
    scope = "Namespaced" if resource.namespaced else ""
    return f"patch{group}{resource.version.capitalize()}{scope}{resource.kind}"


def _path_item(resource: Resource) -> tuple[str, dict]:
    prefix = f"/apis/{resource.group}/{resource.version}" if resource.group else \
        f"/api/{resource.version}"
    scope = "/namespaces/{namespace}" if resource.namespaced else ""
    path = f"{prefix}{scope}/{resource.name}/{{name}}"
    parameters = [{"name": "name", "in": "path", "description": f"name of the {resource.kind}",
                   "required": True, "schema": {"type": "string", "uniqueItems": True}}]
    if resource.namespaced:
        parameters.append({"name": "namespace", "in": "path",
                           "description": "object name and auth scope, such as for teams "
                                          "and projects",
                           "required": True, "schema": {"type": "string", "uniqueItems": True}})
    tag = f"{resource.group.split('.')[0] if resource.group else 'core'}_{resource.version}"
    patch = {"tags": [tag], "description": f"partially update the specified {resource.kind}",
             "operationId": _operation_id(resource), "parameters": _PATCH_PARAMETERS,
             "requestBody": {"content": {body: {"schema": {"type": "object"}}
                                         for body in _PATCH_BODIES}, "required": True},
             "responses": {code: {"description": text, "content": {
                 "application/json": {"schema": {"type": "object"}}}}
                 for code, text in (("200", "OK"), ("201", "Created"))},
             "x-kubernetes-action": "patch",
             "x-kubernetes-group-version-kind": {"group": resource.group,
                                                 "kind": resource.kind,
                                                 "version": resource.version}}
    return path, {"parameters": parameters, "patch": patch}


def openapi_v3_document(path: str) -> dict | None:
    """``GET /openapi/v3/<path>`` for a group-version path such as "apis/apps/v1" or
    "api/v1": one PATCH operation per served kind, None for other paths."""
    group, version = next(((g, v) for g, v in (("", "v1"), *GROUPS)
                           if _openapi_key(g, v) == path), (None, None))
    if group is None:
        return None
    paths = dict(_path_item(resource) for resource in _served(group, version))
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.4"},
            "paths": paths}


def openapi_v3_hash(path: str) -> str:
    """The document's hash, as the ``?hash=`` of its URL (the apiserver's ETag: sha512,
    upper-case hex)."""
    document = json.dumps(openapi_v3_document(path), sort_keys=True, separators=(",", ":"))
    return hashlib.sha512(document.encode()).hexdigest().upper()


def openapi_v3_root(prefix: str = "") -> dict:
    """``GET /openapi/v3``: every group-version's document URL. ``prefix`` is the path the
    API is served under (``/k8s/simulations/7``): clients follow serverRelativeURL as is."""
    paths = {}
    for group, version in (("", "v1"), *GROUPS):
        key = _openapi_key(group, version)
        url = f"{prefix}/openapi/v3/{key}?hash={openapi_v3_hash(key)}"
        paths[key] = {"serverRelativeURL": url}
    return {"paths": paths}
