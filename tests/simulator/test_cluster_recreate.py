"""Recreate: every old pod is gone before the new ReplicaSet is created at full size."""
from cluster_helpers import condition, deployment_yaml, pods_by_image, replica_sets, scaling_messages, settled
from simulator import Cluster

RECREATE = "strategy:\n  type: Recreate\n"
SLOW_STOP = """
apiVersion: rolloutviz.dev/v1
kind: ImageBehavior
metadata:
  name: slow-stop
spec:
  image: example.com/app:1
  shutdownSeconds: 8
"""


def test_recreate_waits_for_old_pods_to_be_gone():
    c = Cluster(seed=1)
    c.apply(SLOW_STOP + "---\n" + deployment_yaml("example.com/app:1", strategy=RECREATE))
    settled(c)
    (old,) = replica_sets(c)
    c.apply(deployment_yaml("example.com/app:2", strategy=RECREATE))
    records = c.step()
    assert scaling_messages(records) == [f"Scaled down replica set {old} from 3 to 0"]
    # old pods are Terminating (8 s shutdown): no new ReplicaSet yet, and no availability
    c.advance(5)
    assert pods_by_image(c, terminating=True) == {"example.com/app:1": 3}
    assert len(replica_sets(c)) == 1
    d = c.get("deployment", "web")
    assert condition(d, "Available")["status"] == "False"
    records = c.advance(5)
    new = next(n for n in replica_sets(c) if n != old)
    assert scaling_messages(records) == [f"Scaled up replica set {new} from 0 to 3"]
    settled(c)
    assert pods_by_image(c) == {"example.com/app:2": 3}


def test_recreate_never_runs_old_and_new_pods_together():
    c = Cluster(seed=2)
    c.apply(deployment_yaml("nginx:1.14.2", 4, strategy=RECREATE))
    settled(c)
    c.apply(deployment_yaml("nginx:1.16.1", 4, strategy=RECREATE))
    while not c.rollout_status("web")[1]:
        c.step()
        running = pods_by_image(c)
        running_all = {k: running.get(k, 0) + pods_by_image(c, terminating=True).get(k, 0)
                       for k in set(running) | set(pods_by_image(c, terminating=True))}
        assert len([k for k, v in running_all.items() if v]) <= 1
    assert condition(c.get("deployment", "web"), "Available")["status"] == "True"
