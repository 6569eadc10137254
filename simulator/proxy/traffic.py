"""Clients sending HTTP requests to Services: evenly spaced requests, each routed by
kube-proxy's rules at its instant to one endpoint, answered by the container there as its
image behaviour says at that uptime, or failed.

A client sends `rate` requests per simulated second: request k (from 0) leaves at
``start + (k + 1) * 1000 / rate`` ms, rounded down. The engine asks for the requests of a
stretch of time in which nothing changes (``send_until`` between two timer instants), so
a whole tick costs one loop over its requests, never a timer each. Every request draws
one number from the traffic's own generator (which endpoint kube-proxy picks), so sending
traffic changes nothing else in the simulation.

An outcome is decided when the request leaves: an answer (2xx/3xx: ok, counted by its
body; others: failed as ``http <status>``), or a failure: ``no endpoints`` (kube-proxy has
no endpoint for the port), ``connection refused`` (the pod is gone, or no process listens
on the port: not started yet, stopping after SIGTERM, exited), ``empty reply`` (the port
accepts connections but does not speak HTTP) or ``timeout`` (the answer takes the client's
timeout or longer).
"""
from __future__ import annotations

import random

from simulator.objects import copy_data

MAX_RATE = 1_000            # requests per second one client may send
CLIENT_TIMEOUT_MS = 30_000  # a client gives up on an answer slower than this
MAX_PATH = 2_048
NO_ENDPOINTS = "no endpoints"
REFUSED = "connection refused"
EMPTY_REPLY = "empty reply"
TIMEOUT = "timeout"


def zero_counts() -> dict:
    """Counts of no requests."""
    return {"sent": 0, "ok": 0, "failed": 0, "answers": {}, "errors": {}}


def parse_rate(rate) -> int:
    """A rate in requests per second as requests per 1000 s (an int); ValueError if it is
    not a number from 0 to MAX_RATE, or too small to send any request."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate != rate:
        raise ValueError(f"rate must be a number of requests per second, got {rate!r}")
    if rate < 0:
        raise ValueError(f"rate must be 0 or more requests per second, got {rate}")
    if rate > MAX_RATE:
        raise ValueError(f"rate {rate:g} is above the limit of {MAX_RATE} requests per second")
    per_kilo = round(rate * 1000)
    if rate > 0 and per_kilo == 0:
        raise ValueError(f"rate {rate:g} is below the smallest rate, 0.001 requests per second")
    return per_kilo


def check_path(path) -> str:
    if not isinstance(path, str) or not path.startswith("/") or len(path) > MAX_PATH:
        raise ValueError(f"path must be a string starting with '/' of at most {MAX_PATH} "
                         f"characters, got {path!r}")
    return path


def service_port(service, port) -> dict:
    """The Service port a client sends to: the first, or the one `port` names (its number
    or its name); ValueError for a Service kube-proxy does not route or a port it lacks."""
    spec = service.spec
    if spec.get("type") == "ExternalName":
        raise ValueError(f'service "{service.name}" is an ExternalName service: it has no '
                         "endpoints to send requests to")
    if spec.get("clusterIP") == "None":
        raise ValueError(f'service "{service.name}" is headless: kube-proxy does not route '
                         "it (clients resolve its pods' addresses)")
    ports = spec.get("ports") or []
    if port is None:
        return ports[0]
    for candidate in ports:
        if isinstance(port, int) and not isinstance(port, bool) and port == candidate["port"]:
            return candidate
        if isinstance(port, str) and port and port == candidate.get("name"):
            return candidate
    raise ValueError(f'service "{service.name}" has no port {port!r}')


def _add(counts: dict, ok: bool, key: str) -> None:
    counts["sent"] += 1
    if ok:
        counts["ok"] += 1
        table = counts["answers"]
    else:
        counts["failed"] += 1
        table = counts["errors"]
    table[key] = table.get(key, 0) + 1


class Traffic:
    """Every client, by Service name, and the generator kube-proxy's picks are drawn from."""

    def __init__(self, seed: int):
        self.rng = random.Random(f"traffic/{seed}")
        # service -> {"per_kilo", "path", "port" (name), "number", "start",
        #             "next" (index of the next request), "total", "tick"}
        self.clients: dict[str, dict] = {}

    def send(self, service, now: int, rate, path: str = "/", port=None) -> dict:
        """Start (or change, or with rate 0 stop) the client of `service` (a Service
        object); its requests are spaced from `now`. Returns the client's settings."""
        per_kilo = parse_rate(rate)
        path = check_path(path)
        target = service_port(service, port)
        client = self.clients.get(service.name)
        if client is None:
            client = self.clients[service.name] = {"total": zero_counts(), "tick": zero_counts()}
        client.update(per_kilo=per_kilo, path=path, port=target.get("name") or "",
                      number=target["port"], start=now, next=0)
        return self.settings(service.name)

    def settings(self, service: str) -> dict | None:
        """{"rate", "path", "port"} of the Service's client, None if it has none."""
        client = self.clients.get(service)
        if client is None:
            return None
        return {"rate": client["per_kilo"] / 1000, "path": client["path"],
                "port": client["number"]}

    def totals(self, service: str) -> dict:
        """Everything the Service's client sent and got so far."""
        client = self.clients.get(service)
        return copy_data(client["total"]) if client else zero_counts()

    def active(self) -> bool:
        return any(c["per_kilo"] for c in self.clients.values())

    def send_until(self, store, limit: int, inclusive: bool) -> None:
        """Send every request due before `limit` (ms; at it too if `inclusive`), with the
        cluster as it is now: nothing changes until then."""
        for service, client in self.clients.items():
            per_kilo = client["per_kilo"]
            if not per_kilo:
                continue
            start, k = client["start"], client["next"]
            due = start + (k + 1) * 1_000_000 // per_kilo
            if due > limit or (due == limit and not inclusive):
                continue
            targets = store.proxy.targets(service, client["port"])
            total, tick = client["total"], client["tick"]
            path = client["path"]
            while due < limit or (due == limit and inclusive):
                if targets:
                    row = targets[int(self.rng.random() * len(targets))]
                    ok, key = answer(store, row, due, path)
                else:
                    ok, key = False, NO_ENDPOINTS
                _add(total, ok, key)
                _add(tick, ok, key)
                k += 1
                due = start + (k + 1) * 1_000_000 // per_kilo
            client["next"] = k

    def records(self) -> list[dict]:
        """One record per sending client with what its requests got in the step now ending
        (and the step's counts start again)."""
        out = []
        for service, client in self.clients.items():
            if client["per_kilo"]:
                out.append({"type": "TRAFFIC", "kind": "Traffic", "name": service,
                            "namespace": "default", "object": client["tick"]})
            client["tick"] = zero_counts()
        return out

    def to_state(self) -> dict:
        version, internal, gauss = self.rng.getstate()
        return {"rng": [version, list(internal), gauss], "clients": copy_data(self.clients)}

    @classmethod
    def from_state(cls, state: dict, seed: int) -> "Traffic":
        traffic = cls(seed)
        version, internal, gauss = state["rng"]
        traffic.rng.setstate((version, tuple(internal), gauss))
        traffic.clients = copy_data(state["clients"])
        return traffic


def answer(store, row: list, t: int, path: str) -> tuple[bool, str]:
    """What a request leaving at `t` to the endpoint `row` gets: (ok, body or reason)."""
    pod = store.pods.get(row[0])
    if pod is None or pod.ip != row[1]:
        return False, REFUSED
    port = row[2]
    for c in pod.containers:
        if c.state != "running":
            continue
        behavior = store.behavior(c.image)
        if c.sigterm_at is not None and t >= c.sigterm_at \
                and not behavior.listens_after_sigterm():
            continue   # SIGTERM closed its listener
        uptime = (t - c.started_at) / 1000
        if not behavior.tcp_open(port, uptime):
            continue
        response = behavior.http_response(port, path, uptime)
        if response is None:
            return False, EMPTY_REPLY
        status, delay, body = response
        if delay * 1000 >= CLIENT_TIMEOUT_MS:
            return False, TIMEOUT
        if 200 <= status < 400:
            return True, body if body is not None else f"http {status}"
        return False, f"http {status}"
    return False, REFUSED
