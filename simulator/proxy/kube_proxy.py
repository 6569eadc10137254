"""kube-proxy: the forwarding rules of every Service, learned from its EndpointSlices a
propagation delay after they change (the watch, kube-proxy's sync and the rule update
together), and the endpoint a connection through those rules goes to.

A Service's rules map each of its port names to the endpoints that serve it, as rows
``[pod, ip, port, ready, serving, terminating]``. A connection goes to a ready endpoint;
when none is ready, to a serving terminating one (kube-proxy's fallback, KEP-1669); when
there is none either, it is rejected. The rules kube-proxy will know later wait in a queue
with the instant they take effect; a "proxy" timer applies them then.
"""
from __future__ import annotations

from simulator.objects import copy_data

DEFAULT_DELAY_MS = 1_000


class KubeProxy:
    """The rules in force and the rules on their way, per Service name."""

    def __init__(self, delay_ms: int = DEFAULT_DELAY_MS):
        self.delay = delay_ms
        self.rules: dict[str, dict] = {}          # service -> {port name: [endpoint rows]}
        self.pending: dict[str, list] = {}        # service -> [[due, rules or None], ...]

    def observe(self, store, service: str, rules: dict | None) -> None:
        """The Service's slices now say `rules` (None: the Service is gone); kube-proxy acts
        on it `delay` ms from now."""
        queue = self.pending.get(service)
        latest = queue[-1][1] if queue else self.rules.get(service)
        if rules == latest:
            return
        due = store.time + self.delay
        self.pending.setdefault(service, []).append([due, copy_data(rules)])
        store.timers.schedule_once(due, "proxy", service)

    def on_timer(self, service: str, due: int) -> None:
        """Apply what became known by `due`."""
        queue = self.pending.get(service) or []
        while queue and queue[0][0] <= due:
            _, rules = queue.pop(0)
            if rules is None:
                self.rules.pop(service, None)
            else:
                self.rules[service] = rules
        if not queue:
            self.pending.pop(service, None)

    def targets(self, service: str, port: str) -> list[list] | None:
        """The endpoint rows a connection to the Service's port may go to now (ready ones,
        else serving terminating ones); None if kube-proxy has no rules for the Service."""
        rules = self.rules.get(service)
        if rules is None:
            return None
        rows = rules.get(port) or []
        ready = [row for row in rows if row[3]]
        return ready or [row for row in rows if row[4] and row[5]]

    def to_state(self) -> dict:
        return {"delay": self.delay, "rules": copy_data(self.rules),
                "pending": copy_data(self.pending)}

    @classmethod
    def from_state(cls, state: dict) -> "KubeProxy":
        proxy = cls(state["delay"])
        proxy.rules = copy_data(state["rules"])
        proxy.pending = copy_data(state["pending"])
        return proxy


def rules_of(slices) -> dict:
    """The forwarding rules a Service's EndpointSlices give: per port name, the endpoints
    (each once, in slice order) with the port number that name has on them."""
    rules: dict[str, list] = {}
    for endpoint_slice in slices:
        for port in endpoint_slice.ports or []:
            rows = rules.setdefault(port.get("name") or "", [])
            for endpoint in endpoint_slice.endpoints:
                conditions = endpoint["conditions"]
                rows.append([endpoint["targetRef"]["name"], endpoint["addresses"][0],
                             port["port"], conditions["ready"], conditions["serving"],
                             conditions["terminating"]])
    return rules
