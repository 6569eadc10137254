"""Server-side Table printing: the ``meta.k8s.io/v1`` Table an API server answers
``Accept: application/json;as=Table;v=v1;g=meta.k8s.io`` with.

Cells are computed as pkg/printers/internalversion's print functions compute them, from
objects shaped as ``kubectl get -o yaml`` prints them, with ages against ``now`` (seconds on
the clock the objects' RFC 3339 stamps count from, as ``printers.parse_time`` reads them).
The server always fills the wide (priority 1) cells too; kubectl hides those columns unless
``-o wide``. The pod STATUS, READY and RESTARTS cells and the node STATUS and ROLES cells come from
``simulator.kubectl.printers``.
"""
from __future__ import annotations

import ipaddress

from simulator.api.selectors import (
    format_label_selector,
    format_labels,
    label_selector_as_selector,
)
from simulator.api.status import StatusError, bad_request
from simulator.api.table_columns import COLUMNS
from simulator.kubectl.printers import (
    human_duration,
    node_roles,
    node_status,
    parse_time,
    pod_ready,
    pod_restarts,
    pod_status,
)

INCLUDE_OBJECT = ("None", "Metadata", "Object")  # the includeObject parameter's values
_LOAD_BALANCER_WIDTH = 16
_POD_ROW_CONDITIONS = {
    "Succeeded": [{"type": "Completed", "status": "True", "reason": "Succeeded",
                   "message": "The pod has completed successfully."}],
    "Failed": [{"type": "Completed", "status": "True", "reason": "Failed",
                "message": "The pod failed."}],
}


def _age(timestamp: str | None, now: float) -> str:
    # translateTimestampSince: "<unknown>" for an unset time
    moment = parse_time(timestamp)
    return "<unknown>" if moment is None else human_duration(now - moment)


def _containers(template: dict | None) -> tuple[str, str]:
    """layoutContainerCells: container names and images, comma-joined."""
    containers = ((template or {}).get("spec") or {}).get("containers") or []
    return (",".join(c.get("name", "") for c in containers),
            ",".join(c.get("image", "") for c in containers))


def _pod_cells(pod: dict, now: float) -> list:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    pod_ips = status.get("podIPs") or []
    gates = spec.get("readinessGates") or []
    readiness = "<none>"
    if gates:
        conditions = {}
        for condition in status.get("conditions") or []:
            conditions.setdefault(condition.get("type"), condition.get("status"))
        passed = sum(conditions.get(g.get("conditionType")) == "True" for g in gates)
        readiness = f"{passed}/{len(gates)}"
    return [pod["metadata"].get("name", ""), pod_ready(pod), pod_status(pod),
            pod_restarts(pod, now), _age(pod["metadata"].get("creationTimestamp"), now),
            (pod_ips[0].get("ip") if pod_ips else "") or "<none>",
            spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>",
            readiness]


def _deployment_cells(deployment: dict, now: float) -> list:
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    names, images = _containers(spec.get("template"))
    try:
        selector = str(label_selector_as_selector(spec.get("selector")))
    except ValueError:
        selector = "<invalid>"
    return [deployment["metadata"].get("name", ""),
            f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0),
            _age(deployment["metadata"].get("creationTimestamp"), now), names, images, selector]


def _replicaset_cells(rs: dict, now: float) -> list:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    names, images = _containers(spec.get("template"))
    return [rs["metadata"].get("name", ""), spec.get("replicas", 0), status.get("replicas", 0),
            status.get("readyReplicas", 0), _age(rs["metadata"].get("creationTimestamp"), now),
            names, images, format_label_selector(spec.get("selector"))]


def _node_address(node: dict, kind: str) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == kind:
            return address.get("address", "")
    return "<none>"


def _node_cells(node: dict, now: float) -> list:
    info = (node.get("status") or {}).get("nodeInfo") or {}
    return [node["metadata"].get("name", ""), node_status(node), node_roles(node),
            _age(node["metadata"].get("creationTimestamp"), now), info.get("kubeletVersion", ""),
            _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def _event_cells(event: dict, now: float) -> list:
    first = (_age(event["firstTimestamp"], now) if event.get("firstTimestamp")
             else _age(event.get("eventTime"), now))
    last = _age(event["lastTimestamp"], now) if event.get("lastTimestamp") else first
    count = event.get("count") or 1  # events of the new API leave a singleton's count unset
    if event.get("series"):
        last = _age(event["series"].get("lastObservedTime"), now)
        count = event["series"].get("count", 0)
    involved = event.get("involvedObject") or {}
    target = involved.get("kind", "").lower()
    if involved.get("name"):
        target = f"{target}/{involved['name']}"
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent", "")
    instance = source.get("host") or event.get("reportingInstance", "")
    return [last, event.get("type", ""), event.get("reason", ""), target,
            involved.get("fieldPath", ""), f"{component}, {instance}" if instance else component,
            (event.get("message") or "").strip(), first, count,
            event["metadata"].get("name", "")]


def _external_ip(service: dict) -> str:
    """getServiceExternalIP, as the wide Table has it (load balancer addresses unclipped)."""
    spec = service.get("spec") or {}
    external = spec.get("externalIPs") or []
    kind = spec.get("type", "")
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "ExternalName":
        return spec.get("externalName", "")
    if kind == "LoadBalancer":
        ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        balanced = sorted({i.get("ip") or i.get("hostname") for i in ingress
                           if i.get("ip") or i.get("hostname")})
        return ",".join(balanced + external) or "<pending>"
    return "<unknown>"


def _service_cells(service: dict, now: float) -> list:
    spec = service.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    ports = ",".join(
        # makePortString; the API defaults every port's protocol to TCP
        f"{p.get('port')}:{p['nodePort']}/{p.get('protocol', 'TCP')}" if p.get("nodePort")
        else f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
    return [service["metadata"].get("name", ""), spec.get("type", ""),
            cluster_ips[0] if cluster_ips else "<none>", _external_ip(service),
            ports or "<none>", _age(service["metadata"].get("creationTimestamp"), now),
            format_labels(spec.get("selector"))]


def _host_port(ip: str, port) -> str:
    # net.JoinHostPort: IPv6 addresses in brackets
    try:
        bracket = ipaddress.ip_address(ip).version == 6
    except ValueError:
        bracket = ":" in ip
    return f"[{ip}]:{port}" if bracket else f"{ip}:{port}"


def _more(shown: list[str], count: int) -> str:
    # at most three entries, then " + N more..."
    text = ",".join(shown[:3])
    return f"{text} + {count - 3} more..." if count > 3 else text


def _endpoints_cells(endpoints: dict, now: float) -> list:
    """formatEndpoints: ``ip:port`` of every address and port, or bare IPs for a subset
    without ports."""
    subsets = endpoints.get("subsets") or []
    shown: list[str] = []
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:
            shown += addresses
        for port in ports:
            shown += [_host_port(ip, port.get("port")) for ip in addresses]
    return [endpoints["metadata"].get("name", ""),
            _more(shown, len(shown)) if subsets else "<none>",
            _age(endpoints["metadata"].get("creationTimestamp"), now)]


def _endpointslice_cells(endpoint_slice: dict, now: float) -> list:
    ports = [str(p["port"]) if p.get("port") is not None
             else p["name"] if p.get("name") is not None else "*"
             for p in endpoint_slice.get("ports") or []]
    addresses = [a for e in endpoint_slice.get("endpoints") or [] for a in e.get("addresses") or []]
    return [endpoint_slice["metadata"].get("name", ""), endpoint_slice.get("addressType", ""),
            _more(ports, len(ports)) or "<unset>", _more(addresses, len(addresses)) or "<unset>",
            _age(endpoint_slice["metadata"].get("creationTimestamp"), now)]


def _namespace_cells(namespace: dict, now: float) -> list:
    return [namespace["metadata"].get("name", ""),
            (namespace.get("status") or {}).get("phase", ""),
            _age(namespace["metadata"].get("creationTimestamp"), now)]


_CELLS = {"Pod": _pod_cells, "Deployment": _deployment_cells, "ReplicaSet": _replicaset_cells,
          "Node": _node_cells, "Event": _event_cells, "Service": _service_cells,
          "Endpoints": _endpoints_cells, "EndpointSlice": _endpointslice_cells,
          "Namespace": _namespace_cells}


def column_definitions(kind: str) -> list[dict]:
    """The TableColumnDefinitions of a kind ("Pod", "Deployment", ...)."""
    return [{"name": name, "type": type_, "format": format_, "description": description,
             "priority": priority}
            for name, type_, format_, description, priority in COLUMNS[kind]]


def cells(obj: dict, now: float) -> list:
    """One row's cells for an object of any served kind (read from its ``kind``)."""
    return _CELLS[obj["kind"]](obj, now)


def _row_object(obj: dict, include_object: str):
    if include_object == "Object":
        return obj
    if include_object == "Metadata":
        return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata") or {}}
    return None


def table(kind: str, objects: list[dict], now: float, *, include_object: str = "Metadata",
          resource_version: str = "", continue_token: str = "", headers: bool = True) -> dict:
    """The Table of ``objects`` (all of ``kind``), rows in the order given.

    ``include_object`` is the request's ``includeObject`` (None, Metadata - the default - or
    Object): what each row's ``object`` carries, PartialObjectMetadata by default, which
    kubectl needs for ``--show-labels``, ``-L`` and ``-A``. ``resource_version`` and
    ``continue_token`` fill the list metadata. ``headers=False`` leaves the column
    definitions out (null), as a watch does for every event after the first.
    Raises StatusError(400) for an unknown ``include_object``.
    """
    if include_object not in INCLUDE_OBJECT:
        raise StatusError(bad_request(f'unrecognized includeObject value: "{include_object}"'))
    metadata = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    rows = []
    for obj in objects:
        row = {"cells": cells(obj, now)}
        if kind == "Pod" and (obj.get("status") or {}).get("phase") in _POD_ROW_CONDITIONS:
            row["conditions"] = _POD_ROW_CONDITIONS[obj["status"]["phase"]]
        row["object"] = _row_object(obj, include_object)
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata,
            "columnDefinitions": column_definitions(kind) if headers else None, "rows": rows}
