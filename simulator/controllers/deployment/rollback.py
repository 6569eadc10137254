"""`kubectl rollout undo`, done client-side as modern kubectl does: copy the target
revision's pod template and annotations into the Deployment (a patch the caller writes
through the API); the controller then rolls out to that ReplicaSet, which gets the next
revision number (history 1,2,3 → 1,3,4)."""
from __future__ import annotations

import copy

from simulator.controllers.deployment import revisions
from simulator.controllers.deployment import sync as dc
from simulator.names import POD_TEMPLATE_HASH_LABEL, templates_equal_ignoring_hash
from simulator.objects import Deployment, ReplicaSet
from simulator.store import Store


def target_replica_set(store: Store, d: Deployment, to_revision: int) -> ReplicaSet:
    """The ReplicaSet to go back to: revision `to_revision`, or the previous one for 0."""
    rss = dc.owned_replica_sets(store, d)
    numbers = {rs.name: revisions.revision_number(rs.annotations.get(revisions.REVISION_ANNOTATION))
               for rs in rss}
    if to_revision == 0:
        to_revision = revisions.last_revision(list(numbers.values()))
        if to_revision == 0:
            raise ValueError(f'no rollout history found for deployment "{d.name}"')
    for rs in rss:
        if numbers[rs.name] == to_revision:
            return rs
    raise ValueError(f"unable to find specified revision {to_revision} in history")


def check_undo(store: Store, d: Deployment, to_revision: int = 0) -> ReplicaSet:
    """The ReplicaSet an undo goes back to; ValueError with kubectl's words when it refuses
    (no such revision, then a paused Deployment). Changes nothing."""
    rs = target_replica_set(store, d, to_revision)
    if d.spec.get("paused"):
        raise ValueError("you cannot rollback a paused deployment; resume it first with "
                         f"'kubectl rollout resume deployment/{d.name}' and try again")
    return rs


def undo(store: Store, d: Deployment, to_revision: int = 0) -> tuple[str, dict | None]:
    """kubectl's line, and what its patch writes: the Deployment's new template and
    annotations ({"template", "annotations"}), or None when the rollback is skipped.

    As kubectl: the revision is looked up first, then a paused Deployment is refused."""
    rs = check_undo(store, d, to_revision)
    if templates_equal_ignoring_hash(rs.template, d.spec["template"]):
        number = rs.annotations.get(revisions.REVISION_ANNOTATION)
        return (f"deployment.apps/{d.name} skipped rollback "
                f"(current template already matches revision {number})"), None
    template = copy.deepcopy(rs.template)
    labels = template.get("metadata", {}).get("labels", {})
    labels.pop(POD_TEMPLATE_HASH_LABEL, None)
    # kubectl's patch replaces metadata.annotations: the kept keys plus the target's own
    annotations = {k: v for k, v in d.annotations.items() if k in dc.ANNOTATIONS_TO_SKIP}
    annotations.update({k: v for k, v in rs.annotations.items() if k not in dc.ANNOTATIONS_TO_SKIP})
    return f"deployment.apps/{d.name} rolled back", {"template": template,
                                                     "annotations": annotations}
