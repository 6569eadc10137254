"""A simulation read as its viewers hold it: objects handed out without copies, for every read.

`live.read` gives a view function a `Reader` of the worker's live copy. Listing or getting
objects costs what is returned, not what exists: the objects are the ones the simulator
rendered for the stream (`compact.Mirror`), shared and read-only — a view must not change them.
It answers what `simulator.kubectl.printers` asks of a cluster (``list``, ``get``, ``now``,
``rollout_history``), so kubectl's text views run on it unchanged, plus ``rollout_status``,
``seq`` (the state's number: each delta's seq is the resourceVersion of what it changed) and
``cluster`` for anything else (reading the `Cluster` itself renders and copies).
"""
from __future__ import annotations

from rolloutviz.compact import Mirror

_KINDS = {
    **dict.fromkeys(("deployment", "deployments", "deploy"), "Deployment"),
    **dict.fromkeys(("replicaset", "replicasets", "rs"), "ReplicaSet"),
    **dict.fromkeys(("pod", "pods", "po"), "Pod"),
    **dict.fromkeys(("node", "nodes", "no"), "Node"),
    **dict.fromkeys(("event", "events", "ev"), "Event"),
    **dict.fromkeys(("service", "services", "svc"), "Service"),
    **dict.fromkeys(("endpointslice", "endpointslices"), "EndpointSlice"),
    **dict.fromkeys(("endpoints", "ep"), "Endpoints"),
}
_RESOURCES = {"Deployment": "deployments.apps", "ReplicaSet": "replicasets.apps", "Pod": "pods", "Node": "nodes",
              "Event": "events", "Service": "services", "EndpointSlice": "endpointslices.discovery.k8s.io",
              "Endpoints": "endpoints"}


class Reader:
    """One simulation at one seq, read-only."""

    def __init__(self, cluster, mirror: Mirror, seq: int) -> None:
        self.cluster, self.mirror, self.seq = cluster, mirror, seq

    @property
    def now(self) -> float:
        """Simulated seconds since 2026-01-01T00:00:00Z."""
        return self.cluster.now

    def list(self, kind: str) -> list[dict]:
        """All objects of a kind, as `Cluster.list` orders them (events oldest first, others by name)."""
        kind = _kind(kind)
        if kind == "Event":
            return list(self.mirror.events.values())
        bucket = self.mirror.objects[kind]
        return [bucket[name] for name in self.mirror.names(kind)]

    def get(self, kind: str, name: str) -> dict:
        """One object; KeyError (with the API server's wording) if there is none."""
        kind = _kind(kind)
        found = (self.mirror.events if kind == "Event" else self.mirror.objects[kind]).get(name)
        if found is None:
            raise KeyError(f'{_RESOURCES[kind]} "{name}" not found')
        return found

    def rollout_history(self, name: str) -> list[dict]:
        return self.cluster.rollout_history(name)

    def rollout_status(self, name: str) -> tuple[str, bool]:
        return self.cluster.rollout_status(name)


def _kind(kind: str) -> str:
    try:
        return _KINDS[kind.lower()]
    except KeyError:
        raise KeyError(f'the server doesn\'t have a resource type "{kind}"') from None
