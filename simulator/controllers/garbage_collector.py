"""The garbage collector, for what deleting an owner does to its dependents: with Background
propagation it deletes them (a Deployment's ReplicaSets, a ReplicaSet's pods, gracefully),
with Orphan it removes their ownerReferences. The real collector acts on the owner's
deletion within milliseconds; here at the same instant."""
from __future__ import annotations

from simulator.objects import Deployment, ReplicaSet
from simulator.store import Store

BACKGROUND, ORPHAN = "Background", "Orphan"


def dependents(store: Store, kind: str, owner) -> list:
    """The objects whose controller ownerReference names `owner` (by UID)."""
    if kind == "Deployment":
        return [rs for rs in store.replicasets.values()
                if rs.owner == owner.name and rs.owner_uid == owner.uid]
    if kind == "ReplicaSet":
        return [store.pods[name] for name in owner.pods]
    return []


def delete_replicaset(store: Store, rs: ReplicaSet) -> None:
    """A ReplicaSet deleted with Background propagation: it goes, then its pods."""
    store.remove_replicaset(rs)
    for pod in dependents(store, "ReplicaSet", rs):
        store.delete_pod(pod)


def collect(store: Store, kind: str, owner: Deployment | ReplicaSet, propagation: str) -> None:
    """The owner is gone: delete (Background) or orphan (Orphan) its dependents."""
    for dependent in dependents(store, kind, owner):
        if kind == "Deployment" and propagation == BACKGROUND:
            delete_replicaset(store, dependent)
        elif kind == "Deployment":
            dependent.owner = dependent.owner_uid = None
            store.changed("ReplicaSet", dependent)
        elif propagation == BACKGROUND:
            store.delete_pod(dependent)
        else:
            store.orphan(dependent)
