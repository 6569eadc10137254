"""Mirror the cluster's Deployments and their ReplicaSets (revisions) into the ORM rows.

The cluster is the truth; these rows exist for listing, the admin and history queries, so
they are rewritten from the cluster after every change that touched a Deployment or a
ReplicaSet. The last-applied manifest text is not in the cluster and is kept as it is.
"""
from __future__ import annotations

import datetime

from django.db import transaction

from rolloutviz.models import Deployment, Revision, Simulation
from simulator.timers import EPOCH

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"


@transaction.atomic
def sync_from_cluster(*, simulation: Simulation, cluster) -> None:
    """Make the simulation's Deployment and Revision rows match ``cluster``'s objects."""
    rows = {}
    for obj in cluster.list("deployment"):
        meta = obj.get("metadata", {})
        row, _ = Deployment.objects.update_or_create(
            simulation=simulation,
            namespace=meta.get("namespace", "default"),
            name=meta["name"],
            defaults={
                "generation": int(meta.get("generation") or 0),
                "paused": bool(obj.get("spec", {}).get("paused", False)),
            },
        )
        rows[row.name] = row
    Deployment.objects.filter(simulation=simulation).exclude(
        id__in=[row.id for row in rows.values()]
    ).delete()
    kept: dict[int, list[str]] = {row.id: [] for row in rows.values()}
    for rs in cluster.list("replicaset"):
        owner = _owner(rs, "Deployment")
        if owner not in rows:
            continue
        row = rows[owner]
        Revision.objects.update_or_create(
            deployment=row, replicaset=rs["metadata"]["name"], defaults=revision_fields(rs)
        )
        kept[row.id].append(rs["metadata"]["name"])
    for deployment_id, names in kept.items():
        Revision.objects.filter(deployment_id=deployment_id).exclude(replicaset__in=names).delete()


def revision_fields(rs: dict) -> dict:
    """The Revision columns of one ReplicaSet object."""
    meta = rs.get("metadata", {})
    annotations = meta.get("annotations") or {}
    template = rs.get("spec", {}).get("template", {})
    containers = template.get("spec", {}).get("containers") or []
    return {
        "revision": _int(annotations.get(REVISION_ANNOTATION)),
        "template": template,
        "template_hash": (meta.get("labels") or {}).get(HASH_LABEL, ""),
        "images": [c.get("image", "") for c in containers],
        "change_cause": annotations.get(CHANGE_CAUSE_ANNOTATION, ""),
        "created_sim_time": sim_seconds(meta.get("creationTimestamp")),
    }


def sim_seconds(timestamp: str | None) -> float:
    """An RFC 3339 time of the simulated clock as seconds since the simulation's epoch."""
    if not timestamp:
        return 0.0
    moment = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (moment - EPOCH).total_seconds()


def _owner(obj: dict, kind: str) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("kind") == kind:
            return ref.get("name")
    return None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
