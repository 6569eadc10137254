"""Objects whose revision annotation Kubernetes cannot parse ("abc"): applied, run and
listed like any other; the Deployment controller and `rollout history` skip the number
(deployment_util.go Revision/MaxRevision, kubectl's history viewer)."""
from cluster_helpers import deployment_yaml, settled
from simulator import Cluster
from simulator.controllers.deployment.revisions import REVISION_ANNOTATION as REVISION
from simulator.kubectl import printers

BARE = """apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: bare
  annotations: {deployment.kubernetes.io/revision: "abc"}
spec:
  replicas: 2
  selector: {matchLabels: {bare: x}}
  template:
    metadata: {labels: {bare: x}}
    spec: {containers: [{name: app, image: nginx:1.14.2}]}
"""


def test_a_replica_set_with_an_unparsable_revision_applies_and_runs():
    c = Cluster()
    assert c.apply(BARE) == ["replicaset.apps/bare created"]
    c.advance(10)
    rs = c.get("replicaset", "bare")
    assert rs["metadata"]["annotations"][REVISION] == "abc"
    assert rs["status"]["readyReplicas"] == 2
    assert printers.get_text(c, "rs").splitlines()[1].split()[:4] == ["bare", "2", "2", "2"]


def test_a_deployment_goes_on_when_its_replica_set_carries_an_unparsable_revision():
    """An apply re-annotates the Deployment's own ReplicaSet: the controller stops touching
    its annotations, MaxRevision skips it, and rollout history leaves it out."""
    c = Cluster(seed=4)
    c.apply(deployment_yaml())
    settled(c)
    owned = c.get("replicaset", c.list("replicaset")[0]["metadata"]["name"])
    owned["metadata"]["annotations"][REVISION] = "abc"
    for key in ("uid", "creationTimestamp", "generation", "ownerReferences"):
        owned["metadata"].pop(key)
    owned.pop("status")
    assert c.apply(owned)[0].endswith(" configured")
    c.advance(5)
    assert c.get("replicaset", owned["metadata"]["name"])["metadata"]["annotations"][REVISION] == "abc"
    assert c.rollout_history("web") == []
    c.set_image("web", "app", "nginx:1.16.1")
    settled(c)
    assert [h["revision"] for h in c.rollout_history("web")] == [1]
    assert "REVISION" in printers.rollout_history_text(c, "web")
