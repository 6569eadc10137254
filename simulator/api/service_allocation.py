"""The Service REST storage's allocators: cluster IPs from the service CIDR and node ports
from the node-port range, refusing addresses and ports already taken or out of range with
the allocators' wording (``pkg/registry/core/service/ipallocator``, ``portallocator``).

A dynamic allocation draws from the upper band of its range, as the allocators do since
ServiceIPStaticSubrange / ServiceNodePortStaticSubrange (the lower band is kept for
addresses users pick), from the generator it is given: the simulation's, so it is
deterministic for a seed, or a stand-in for a dry run. A taken draw moves to the next free
value, so allocation ends after at most one pass over the range.
"""
from __future__ import annotations

import ipaddress

from simulator.api.service_validation import NONE, needs_node_ports
from simulator.api.validation import invalid
from simulator.errors import FieldError

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")   # kubeadm's default --service-cluster-ip-range
NODE_PORT_RANGE = (30000, 32767)                      # --service-node-port-range default
_FIRST_IP = int(SERVICE_CIDR.network_address) + 1
_LAST_IP = int(SERVICE_CIDR.broadcast_address) - 1
# static bands: min(max(16, size/16), 256) addresses, min(max(16, size/32), 128) ports
_IP_STATIC = min(max(16, (_LAST_IP - _FIRST_IP + 1) // 16), 256)
_PORT_STATIC = min(max(16, (NODE_PORT_RANGE[1] - NODE_PORT_RANGE[0] + 1) // 32), 128)


def held(specs) -> tuple[set[str], set[int]]:
    """Cluster IPs and node ports the Service specs hold, and the kubernetes Service's IP."""
    ips: set[str] = {str(SERVICE_CIDR.network_address + 1)}
    ports: set[int] = set()
    for spec in specs:
        if spec.get("clusterIP") not in (None, "", NONE):
            ips.add(spec["clusterIP"])
        ports.update(p["nodePort"] for p in spec.get("ports") or [] if p.get("nodePort"))
    return ips, ports


def taken(services: dict, skip: str | None = None) -> tuple[set[str], set[int]]:
    """Cluster IPs and node ports the stored Services hold (all but the one named ``skip``)."""
    return held(svc.spec for name, svc in services.items() if name != skip)


def check_requested(spec: dict, old_spec: dict | None, ips: set[str],
                    ports: set[int]) -> list[FieldError]:
    """Refusals of a clusterIP or nodePorts the user asked for (new ones only: what the
    Service already holds stays its own)."""
    errs: list[FieldError] = []
    old_spec = old_spec or {}
    ip = spec.get("clusterIP")
    if ip not in (None, "", NONE) and ip != old_spec.get("clusterIP"):
        shown = f'[]string{{"{ip}"}}'
        if ipaddress.ip_address(ip) not in SERVICE_CIDR:
            errs.append(invalid("spec.clusterIPs", shown,
                                f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the "
                                f"valid range. The range of valid IPs is {SERVICE_CIDR}"))
        elif ip in ips:
            errs.append(invalid("spec.clusterIPs", shown,
                                f"failed to allocate IP {ip}: provided IP is already allocated"))
    held = {p.get("nodePort") for p in old_spec.get("ports") or []}
    for i, port in enumerate(spec.get("ports") or []):
        number = port.get("nodePort")
        if not number or number in held or not needs_node_ports(spec):
            continue
        path = f"spec.ports[{i}].nodePort"
        low, high = NODE_PORT_RANGE
        if not low <= number <= high:
            errs.append(invalid(path, str(number), "provided port is not in the valid range. "
                                                   f"The range of valid ports is {low}-{high}"))
        elif number in ports:
            errs.append(invalid(path, str(number), "provided port is already allocated"))
    return errs


def allocate(spec: dict, ips: set[str], ports: set[int], rng) -> None:
    """Fill in the clusterIP(s) and nodePorts a Service still lacks (in place)."""
    if spec.get("type") != "ExternalName" and not spec.get("clusterIP"):
        low = _FIRST_IP + _IP_STATIC
        used = {int(ipaddress.ip_address(i)) for i in ips if i != NONE}
        ip = str(ipaddress.ip_address(_draw(_FIRST_IP, low, _LAST_IP, used, rng)))
        spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
    if needs_node_ports(spec):
        used = set(ports)
        low, high = NODE_PORT_RANGE
        for port in spec.get("ports") or []:
            if not port.get("nodePort"):
                port["nodePort"] = _draw(low, low + _PORT_STATIC, high, used, rng)
            used.add(port["nodePort"])


def _draw(floor: int, low: int, high: int, used: set[int], rng) -> int:
    """A random free value of the dynamic band [low, high], else the next free one after it
    (wrapping), else the first free one of the static band [floor, low)."""
    size = high - low + 1
    start = rng.randrange(size)
    for step in range(size):
        value = low + (start + step) % size
        if value not in used:
            return value
    for value in range(floor, low):
        if value not in used:
            return value
    raise ValueError("range is full")
