"""The endpoint-slice controller: keeps each selecting Service's EndpointSlices listing the
pods it selects (pkg/controller/endpointslice and staging/src/k8s.io/endpointslice), and the
legacy Endpoints derived from them; kube-proxy is told what the slices now say.

Which pods: those the selector matches that have an IP and are not finished, terminating
ones included. Each endpoint's conditions: ``serving`` is the pod's Ready condition (or
``publishNotReadyAddresses``), ``terminating`` its deletionTimestamp, ``ready`` serving and
not terminating (or ``publishNotReadyAddresses``). Ports are the Service's ports with each
targetPort resolved on the pod (a name through its containers' ports; a pod lacking it has
no such port). Endpoints with the same ports share slices of at most MAX_ENDPOINTS,
an endpoint stays in the slice that has it, and a Service without endpoints keeps one
placeholder slice with no ports.
"""
from __future__ import annotations

from simulator.names import generated_name
from simulator.objects import EndpointSlice, Endpoints, Pod, Service
from simulator.proxy.kube_proxy import rules_of
from simulator.store import NAMESPACE, Store

MAX_ENDPOINTS = 100   # --max-endpoints-per-slice default
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"
HEADLESS = "service.kubernetes.io/headless"


def sync(store: Store, name: str) -> None:
    """Bring the Service's slices (and Endpoints) in line with its pods; tell kube-proxy."""
    service = store.services.get(name)
    # Services without a selector, and ExternalName ones, get no endpoints from the controller
    if service is None or not service.spec.get("selector") \
            or service.spec.get("type") == "ExternalName":
        return
    desired = _desired(store, service)
    existing = [s for s in store.endpointslices.values() if s.service_uid == service.uid]
    _reconcile(store, service, existing, desired)
    slices = sorted((s for s in store.endpointslices.values() if s.service_uid == service.uid),
                    key=lambda s: s.name)
    _refresh_endpoints(store, service, slices)
    store.proxy.observe(store, service.name, rules_of(slices))


def selects(service: Service, pod: Pod) -> bool:
    """Whether the Service's selector (a map: every pair must be among the labels) picks
    the pod; an empty or absent selector picks none."""
    selector = service.spec.get("selector")
    return bool(selector) and selector.items() <= (pod.labels or {}).items()


def _desired(store: Store, service: Service) -> dict[tuple, tuple[list, list]]:
    """ports key -> (slice ports, endpoints), pods in creation order."""
    publish = bool(service.spec.get("publishNotReadyAddresses"))
    groups: dict[tuple, tuple[list, list]] = {}
    selector = service.spec["selector"].items()
    ports_of: dict[int, list] = {}   # pods of one ReplicaSet share their spec, so their ports
    for pod in store.pods.values():
        if pod.ip is None or not selector <= (pod.labels or {}).items() \
                or pod.phase in ("Succeeded", "Failed"):
            continue
        ports = ports_of.get(id(pod.spec))
        if ports is None:
            ports = ports_of[id(pod.spec)] = endpoint_ports(service, pod)
        serving = publish or pod.ready
        terminating = pod.deletion_time is not None
        endpoint = {"addresses": [pod.ip],
                    "conditions": {"ready": publish or (serving and not terminating),
                                   "serving": serving, "terminating": terminating},
                    "nodeName": pod.node,
                    "targetRef": {"kind": "Pod", "namespace": NAMESPACE, "name": pod.name,
                                  "uid": pod.uid}}
        key = tuple((p["name"], p["port"], p["protocol"]) for p in ports)
        groups.setdefault(key, (ports, []))[1].append(endpoint)
    return groups


def endpoint_ports(service: Service, pod: Pod) -> list[dict]:
    """The Service's ports as this pod has them (getEndpointPorts / podutil.FindPort)."""
    out = []
    for port in service.spec.get("ports") or []:
        number = find_port(pod, port)
        if number is None:
            continue
        entry = {"name": port.get("name") or "", "port": number,
                 "protocol": port.get("protocol", "TCP")}
        if port.get("appProtocol"):
            entry["appProtocol"] = port["appProtocol"]
        out.append(entry)
    return out


def find_port(pod: Pod, service_port: dict) -> int | None:
    """The container port a Service port's targetPort means on this pod; None if a named
    one is not declared there."""
    target = service_port.get("targetPort")
    if not isinstance(target, str):
        return target
    protocol = service_port.get("protocol", "TCP")
    for container in pod.spec.get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return port.get("containerPort")
    return None


def _key(endpoint: dict) -> tuple:
    return endpoint["targetRef"]["uid"], endpoint["addresses"][0]


def _reconcile(store: Store, service: Service, existing: list[EndpointSlice],
               desired: dict[tuple, tuple[list, list]]) -> None:
    by_ports: dict[tuple, list[EndpointSlice]] = {}
    for endpoint_slice in existing:
        key = tuple((p["name"], p["port"], p["protocol"]) for p in endpoint_slice.ports or [])
        by_ports.setdefault(key, []).append(endpoint_slice)
    to_delete = [s for key, slices in by_ports.items() if key not in desired for s in slices]
    created = 0
    for key, (ports, endpoints) in desired.items():
        wanted = {_key(e): e for e in endpoints}
        kept: list[tuple[EndpointSlice, list]] = []
        for endpoint_slice in sorted(by_ports.get(key, []), key=lambda s: s.name):
            still = [wanted.pop(_key(e)) for e in endpoint_slice.endpoints if _key(e) in wanted]
            if still:
                kept.append((endpoint_slice, still))
            else:
                to_delete.append(endpoint_slice)
        remaining = [e for e in endpoints if _key(e) in wanted]
        for endpoint_slice, still in kept:
            room = max(0, MAX_ENDPOINTS - len(still))
            still.extend(remaining[:room])
            remaining = remaining[room:]
            _write(store, endpoint_slice, ports, still)
        while remaining:
            _create(store, service, ports, remaining[:MAX_ENDPOINTS])
            remaining = remaining[MAX_ENDPOINTS:]
            created += 1
    if not desired and len(to_delete) == len(existing) and not created:
        # no endpoints at all: one placeholder slice, kept if it is already there
        placeholder = next((s for s in to_delete if s.ports == [] and not s.endpoints), None)
        if placeholder is not None and len(to_delete) == 1:
            to_delete = []
        else:
            _create(store, service, [], [])
    for endpoint_slice in to_delete:
        del store.endpointslices[endpoint_slice.name]
        store.changed("EndpointSlice", endpoint_slice, "DELETED")


def _labels(service: Service) -> dict:
    labels = {k: v for k, v in (service.labels or {}).items() if k not in (SERVICE_NAME, MANAGED_BY)}
    labels.update({MANAGED_BY: CONTROLLER, SERVICE_NAME: service.name})
    if service.spec.get("clusterIP") == "None":
        labels[HEADLESS] = ""
    return labels


def _create(store: Store, service: Service, ports: list, endpoints: list) -> None:
    name = generated_name(f"{service.name}-", store.rng)
    while name in store.endpointslices:
        name = generated_name(f"{service.name}-", store.rng)
    endpoint_slice = EndpointSlice(name, store.new_uid(), store.time, service.name,
                                   service.uid, _labels(service), [dict(p) for p in ports])
    endpoint_slice.endpoints = endpoints
    store.endpointslices[name] = endpoint_slice
    store.changed("EndpointSlice", endpoint_slice, "ADDED")


def _write(store: Store, endpoint_slice: EndpointSlice, ports: list, endpoints: list) -> None:
    if endpoint_slice.ports == ports and endpoint_slice.endpoints == endpoints:
        return
    endpoint_slice.ports, endpoint_slice.endpoints = [dict(p) for p in ports], endpoints
    endpoint_slice.generation += 1
    store.changed("EndpointSlice", endpoint_slice)


def _refresh_endpoints(store: Store, service: Service, slices: list[EndpointSlice]) -> None:
    """The endpoints controller's Endpoints for the Service: ready addresses and not-ready
    ones (terminating pods left out unless publishNotReadyAddresses), grouped by ports."""
    publish = bool(service.spec.get("publishNotReadyAddresses"))
    subsets: dict[tuple, dict] = {}
    for endpoint_slice in slices:
        if not endpoint_slice.endpoints:
            continue
        ports = [{k: v for k, v in p.items() if v != ""} for p in endpoint_slice.ports or []]
        key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        subset = subsets.setdefault(key, {"addresses": [], "notReadyAddresses": [],
                                          "ports": sorted(ports, key=lambda p: p.get("name", ""))})
        for endpoint in endpoint_slice.endpoints:
            conditions = endpoint["conditions"]
            if conditions["terminating"] and not publish:
                continue
            address = {"ip": endpoint["addresses"][0], "nodeName": endpoint["nodeName"],
                       "targetRef": dict(endpoint["targetRef"])}
            where = "addresses" if conditions["ready"] else "notReadyAddresses"
            subset[where].append(address)
    out = []
    for key in sorted(subsets):
        subset = subsets[key]
        if not subset["addresses"] and not subset["notReadyAddresses"]:
            continue
        for where in ("addresses", "notReadyAddresses"):
            subset[where].sort(key=lambda a: (a["ip"], a["targetRef"]["uid"]))
            if not subset[where]:
                del subset[where]
        out.append(subset)
    endpoints = store.endpoints.get(service.name)
    if endpoints is None:
        endpoints = store.endpoints[service.name] = Endpoints(
            service.name, store.new_uid(), store.time, dict(service.labels or {}))
        endpoints.subsets = out
        store.changed("Endpoints", endpoints, "ADDED")
    elif endpoints.subsets != out:
        endpoints.subsets = out
        store.changed("Endpoints", endpoints)
