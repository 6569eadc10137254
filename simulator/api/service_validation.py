"""API-server defaulting and validation of core/v1 Services (``pkg/apis/core/v1/defaults.go``
SetDefaults_Service and ``pkg/apis/core/validation`` ValidateService / ValidateServiceUpdate),
with the field paths and wording those use.

Allocation of the clusterIP and nodePorts (the REST storage's allocators) is
``service_allocation``'s job; this module checks only what does not depend on other Services.
"""
from __future__ import annotations

import copy
import ipaddress
import re

from simulator.api.validation import (
    FIELD_IMMUTABLE,
    duplicate,
    forbidden,
    go_value,
    invalid,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_valid_port_name,
    is_valid_port_num,
    not_supported,
    required,
    validate_labels,
    validate_object_meta,
)
from simulator.api.yaml_source import attach_lines
from simulator.errors import FieldError, ValidationError

TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
PROTOCOLS = ("SCTP", "TCP", "UDP")
NONE = "None"   # clusterIP of a headless Service
_DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_RE = re.compile(f"^{_DNS1035_FMT}$")
_POLICIES = ("Cluster", "Local")
_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
CLIENT_IP_TIMEOUT = 10800   # sessionAffinityConfig.clientIP.timeoutSeconds default (3 h)


def is_dns1035_label(value: str) -> list[str]:
    """``validation.IsDNS1035Label`` messages (Service names)."""
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035_RE.match(value):
        errs.append("a DNS-1035 label must consist of lower case alphanumeric characters or "
                    "'-', start with an alphabetic character, and end with an alphanumeric "
                    "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                    f"'{_DNS1035_FMT}')")
    return errs


def needs_node_ports(spec: dict) -> bool:
    """NodePort Services, and LoadBalancers that allocate node ports (the default)."""
    kind = spec.get("type")
    return kind == "NodePort" or (kind == "LoadBalancer"
                                  and spec.get("allocateLoadBalancerNodePorts", True))


def is_headless(spec: dict) -> bool:
    return spec.get("clusterIP") == NONE


# --- defaults --------------------------------------------------------------------------------
def default_service(obj: dict, old: dict | None = None) -> dict:
    """A deep copy of a Service with the API server's defaults: type ClusterIP,
    sessionAffinity None, TCP ports whose targetPort is their port, traffic policies
    Cluster, single-stack IPv4 families; on an update, the clusterIP and nodePorts it
    already has when the body leaves them out, and nodePorts dropped with a type that
    has none (the strategy's patchAllocatedValues / dropTypeDependentFields)."""
    out = copy.deepcopy(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.setdefault("namespace", "default")
    if out.get("spec") is None:   # the Go struct is there, all zero values
        out["spec"] = {}
    spec = out["spec"]
    if not isinstance(spec, dict):
        return out
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        config = spec.setdefault("sessionAffinityConfig", {})
        if isinstance(config, dict):
            client = config.setdefault("clientIP", {})
            if isinstance(client, dict):
                client.setdefault("timeoutSeconds", CLIENT_IP_TIMEOUT)
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if port.get("targetPort") in (None, 0, ""):
                port["targetPort"] = port.get("port")
    old_spec = (old or {}).get("spec") or {}
    if old:
        _keep_allocated(spec, old_spec)
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if not spec.get("clusterIPs") and spec.get("clusterIP"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    return out


def _keep_allocated(spec: dict, old: dict) -> None:
    """An update keeps the clusterIP and the nodePorts of ports it still has (by port and
    protocol) unless it names others (a clusterIP changed alone takes clusterIPs along);
    what belongs to the old type (nodePorts, traffic policy, load-balancer fields) goes
    with it when left as it was."""
    if not spec.get("clusterIP") and not spec.get("clusterIPs") and old.get("clusterIP") \
            and spec.get("type") != "ExternalName" and old.get("type") != "ExternalName":
        spec["clusterIP"] = old["clusterIP"]
        spec["clusterIPs"] = list(old.get("clusterIPs") or [old["clusterIP"]])
    if spec.get("clusterIP") != old.get("clusterIP") and spec.get("clusterIPs") == old.get(
            "clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]] if spec.get("clusterIP") else []
    if spec.get("type") not in ("NodePort", "LoadBalancer"):
        for key in ("externalTrafficPolicy", "healthCheckNodePort"):
            if key in spec and spec.get(key) == old.get(key):
                del spec[key]
    if spec.get("type") != "LoadBalancer":
        for key in ("allocateLoadBalancerNodePorts", "loadBalancerClass"):
            if key in spec and spec.get(key) == old.get(key):
                del spec[key]
    old_ports = {(p.get("port"), p.get("protocol")): p.get("nodePort")
                 for p in old.get("ports") or [] if p.get("nodePort")}
    keep = needs_node_ports(spec)
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        previous = old_ports.get((port.get("port"), port.get("protocol")))
        if keep and not port.get("nodePort") and previous:
            port["nodePort"] = previous
        elif not keep and previous and port.get("nodePort") == previous:
            del port["nodePort"]


# --- validation ------------------------------------------------------------------------------
def validate_service(obj: dict, old: dict | None = None) -> list[FieldError]:
    """``ValidateService`` (``ValidateServiceUpdate`` against ``old``) on a defaulted Service."""
    meta = obj.get("metadata") or {}
    errs = [e for e in validate_object_meta(meta) if e.field != "metadata.name"]
    name = meta.get("name") or ""
    if not name:
        errs.append(required("metadata.name", "name or generateName is required"))
    else:
        errs += [invalid("metadata.name", go_value(name), m) for m in is_dns1035_label(name)]
    spec = obj.get("spec") or {}
    kind = spec.get("type") or ""
    if kind not in TYPES:
        errs.append(not_supported("spec.type", go_value(kind), list(TYPES)))
    ports = spec.get("ports") or []
    if not ports and not is_headless(spec) and kind != "ExternalName":
        errs.append(required("spec.ports"))
    errs += _validate_cluster_ips(spec, kind)
    if kind == "ExternalName":
        external = spec.get("externalName") or ""
        if not external:
            errs.append(required("spec.externalName"))
        else:
            errs += [invalid("spec.externalName", go_value(external), m)
                     for m in is_dns1123_subdomain(external.rstrip("."))]
    errs += _validate_ports(ports, kind, len(ports) > 1)
    if spec.get("selector") is not None:
        errs += validate_labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity") or ""
    if affinity not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", go_value(affinity), ["ClientIP", "None"]))
    for key in ("externalTrafficPolicy", "internalTrafficPolicy"):
        value = spec.get(key)
        if value is not None and value not in _POLICIES:
            errs.append(not_supported(f"spec.{key}", go_value(value), list(_POLICIES)))
    if kind not in ("NodePort", "LoadBalancer") and spec.get("externalTrafficPolicy"):
        errs.append(invalid("spec.externalTrafficPolicy", go_value(spec["externalTrafficPolicy"]),
                            "may only be set for externally-accessible services"))
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in _FAMILY_POLICIES:
        errs.append(not_supported("spec.ipFamilyPolicy", go_value(policy), list(_FAMILY_POLICIES)))
    elif policy not in (None, "SingleStack"):
        errs.append(forbidden("spec.ipFamilyPolicy", "the simulation does not model dual-stack "
                                                     "Services"))
    for i, family in enumerate(spec.get("ipFamilies") or []):
        if family != "IPv4":
            errs.append(forbidden(f"spec.ipFamilies[{i}]", "the simulation does not model "
                                                           "IPv6 Services"))
    if old is not None:
        errs += _validate_update(spec, (old.get("spec") or {}))
    return errs


def _validate_cluster_ips(spec: dict, kind: str) -> list[FieldError]:
    errs: list[FieldError] = []
    ips = spec.get("clusterIPs") or []
    cluster_ip = spec.get("clusterIP") or ""
    if kind == "ExternalName":
        if cluster_ip or ips:
            errs.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
        return errs
    if ips and cluster_ip and ips[0] != cluster_ip:
        errs.append(invalid("spec.clusterIPs", go_value(ips[0]),
                            "element [0] must match clusterIP"))
    if len(ips) > 1:
        errs.append(forbidden("spec.clusterIPs[1]", "the simulation does not model dual-stack "
                                                    "Services"))
    for i, ip in enumerate(ips[:1]):
        path = f"spec.clusterIPs[{i}]"
        if ip == NONE:
            if kind in ("NodePort", "LoadBalancer"):
                errs.append(invalid(path, go_value(ip),
                                    f"may not be set to 'None' for {kind} services"))
            continue
        if not _is_ipv4(ip):
            errs.append(invalid(path, go_value(ip),
                                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
    return errs


def _is_ipv4(text: str) -> bool:
    try:
        return ipaddress.ip_address(text).version == 4
    except ValueError:
        return False


def _port_key(port: dict) -> str:
    # %#v of the core.ServicePort key ValidateService compares ports with
    return (f'core.ServicePort{{Name:"", Protocol:"{port.get("protocol", "")}", '
            f"AppProtocol:(*string)(nil), Port:{port.get('port', 0)}, "
            'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}')


def _validate_ports(ports: list, kind: str, named: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    keys: set[tuple] = set()
    node_ports: set[tuple] = set()
    for i, port in enumerate(ports):
        path = f"spec.ports[{i}]"
        name = port.get("name") or ""
        if named and not name:
            errs.append(required(f"{path}.name"))
        elif name:
            messages = is_dns1123_label(name)
            errs += [invalid(f"{path}.name", go_value(name), m) for m in messages]
            if not messages and name in names:
                errs.append(duplicate(f"{path}.name", go_value(name)))
            names.add(name)
        number = port.get("port") or 0
        errs += [invalid(f"{path}.port", str(number), m) for m in is_valid_port_num(number)]
        protocol = port.get("protocol") or ""
        if protocol not in PROTOCOLS:
            errs.append(not_supported(f"{path}.protocol", go_value(protocol), list(PROTOCOLS)))
        target = port.get("targetPort")
        if isinstance(target, str):
            errs += [invalid(f"{path}.targetPort", go_value(target), m)
                     for m in is_valid_port_name(target)]
        else:
            errs += [invalid(f"{path}.targetPort", str(target), m)
                     for m in is_valid_port_num(target or 0)]
        key = (number, protocol)
        if key in keys:
            errs.append(duplicate(path, _port_key(port)))
        keys.add(key)
        node_port = port.get("nodePort")
        if node_port:
            if kind == "ClusterIP":
                errs.append(forbidden(f"{path}.nodePort",
                                      "may not be used when `type` is 'ClusterIP'"))
            elif (node_port, protocol) in node_ports:
                errs.append(duplicate(f"{path}.nodePort", str(node_port)))
            node_ports.add((node_port, protocol))
    return errs


def _validate_update(spec: dict, old: dict) -> list[FieldError]:
    """ValidateServiceUpdate: an allocated clusterIP may not change (except to or from
    ExternalName, which has none)."""
    if "ExternalName" in (spec.get("type"), old.get("type")):
        return []
    old_ip, new_ips = old.get("clusterIP") or "", spec.get("clusterIPs") or []
    if old_ip and new_ips and new_ips[0] != old_ip:
        return [invalid("spec.clusterIPs[0]", go_value(new_ips[0]),
                        "may not change once set")]
    if old_ip and not new_ips:
        return [invalid("spec.clusterIP", go_value(""), FIELD_IMMUTABLE)]
    return []


def default_and_validate(obj: dict, old: dict | None = None, lines: dict | None = None) -> dict:
    """A decoded Service with the API server's defaults; ValidationError (with lines)
    carrying every problem of ValidateService (the update variant against ``old``)."""
    out = default_service(obj, old)
    errs = validate_service(out, old)
    if errs:
        meta = obj.get("metadata") or {}
        raise ValidationError(attach_lines(errs, lines or {}), "Service",
                              meta.get("name") or "")
    return out

