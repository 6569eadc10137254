"""The cloud provider's service controller: a LoadBalancer Service gets an external address
a short provisioning delay after it asks for one (``EnsuringLoadBalancer``, then
``EnsuredLoadBalancer``), and loses it when it stops being a LoadBalancer.

Addresses come from TEST-NET-3 (203.0.113.0/24, documentation space), the lowest one no
other Service holds, so they are deterministic without any state of their own.
"""
from __future__ import annotations

from simulator.objects import Service
from simulator.store import Store

PROVISION_MS = 5_000
COMPONENT = "service-controller"
_FIRST, _LAST = 10, 254


def on_written(store: Store, service: Service) -> None:
    """A Service was created or changed: ask for, or give up, its load balancer."""
    wanted = service.spec.get("type") == "LoadBalancer"
    if wanted and not service.ingress:
        store.record_event("Service", service, "Normal", "EnsuringLoadBalancer",
                           "Ensuring load balancer", COMPONENT)
        store.timers.schedule_once(store.time + PROVISION_MS, "loadbalancer", service.name)
    elif not wanted and service.ingress:
        service.ingress = []
        store.changed("Service", service)
        store.record_event("Service", service, "Normal", "DeletedLoadBalancer",
                           "Deleted load balancer", COMPONENT)


def on_timer(store: Store, name: str, due: int) -> None:
    """The provider has built the load balancer (if it is still wanted)."""
    service = store.services.get(name)
    if service is None or service.ingress or service.spec.get("type") != "LoadBalancer":
        return
    held = {i.get("ip") for s in store.services.values() for i in s.ingress}
    free = next((n for n in range(_FIRST, _LAST + 1) if f"203.0.113.{n}" not in held), None)
    if free is None:   # the documentation range is used up: the provider fails
        store.record_event("Service", service, "Warning", "SyncLoadBalancerFailed",
                           "Error syncing load balancer: no address left", COMPONENT)
        return
    service.ingress = [{"ip": f"203.0.113.{free}", "ipMode": "VIP"}]
    store.changed("Service", service)
    store.record_event("Service", service, "Normal", "EnsuredLoadBalancer",
                       "Ensured load balancer", COMPONENT)
