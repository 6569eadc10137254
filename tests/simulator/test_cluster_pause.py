"""rollout pause / resume: edits while paused become one rollout after resume."""
import pytest

from cluster_helpers import condition, deployment_yaml, replica_sets, scaling_messages, settled, sizes_by_image
from simulator import Cluster


def _paused():
    c = Cluster(seed=1)
    c.apply(deployment_yaml())
    settled(c)
    assert c.rollout_pause("web") == "deployment.apps/web paused"
    c.step()
    return c


def test_paused_deployment_takes_edits_without_rolling_out():
    c = _paused()
    c.set_image("web", "app", "nginx:1.16.1")
    c.advance(5)
    c.apply(deployment_yaml("nginx:1.17.0"))
    c.advance(5)
    d = c.get("deployment", "web")
    assert len(replica_sets(c)) == 1
    assert d["status"].get("updatedReplicas", 0) == 0
    assert condition(d, "Progressing")["reason"] == "DeploymentPaused"
    assert condition(d, "Progressing")["status"] == "Unknown"
    assert c.rollout_status("web") == (
        'Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been updated...\n', False)


def test_resume_makes_one_rollout_for_all_edits():
    c = _paused()
    c.set_image("web", "app", "nginx:1.16.1")
    c.apply(deployment_yaml("nginx:1.17.0", replicas=4))
    c.advance(5)
    assert c.rollout_resume("web") == "deployment.apps/web resumed"
    c.step()
    assert condition(c.get("deployment", "web"), "Progressing")["reason"] in (
        "DeploymentResumed", "NewReplicaSetCreated", "ReplicaSetUpdated")
    settled(c)
    assert [h["revision"] for h in c.rollout_history("web")] == [1, 2]
    assert sizes_by_image(c) == {"nginx:1.14.2": 0, "nginx:1.17.0": 4}


def test_scaling_still_works_while_paused():
    c = _paused()
    c.scale("web", 5)
    records = c.advance(5)
    (rs,) = replica_sets(c)
    assert scaling_messages(records) == [f"Scaled up replica set {rs} from 3 to 5"]
    assert c.get("deployment", "web")["status"]["readyReplicas"] == 5


def test_pausing_mid_rollout_freezes_both_replica_sets():
    c = Cluster(seed=2)
    strategy = "strategy:\n  rollingUpdate:\n    maxSurge: 1\n    maxUnavailable: 0\n"
    c.apply(deployment_yaml("nginx:1.14.2", 4, strategy=strategy))
    settled(c)
    c.apply(deployment_yaml("nginx:1.16.1", 4, strategy=strategy))
    c.step()
    c.rollout_pause("web")
    c.step()
    frozen = sizes_by_image(c)
    c.advance(60)
    assert sizes_by_image(c) == frozen
    c.rollout_resume("web")
    settled(c)
    assert sizes_by_image(c) == {"nginx:1.14.2": 0, "nginx:1.16.1": 4}


@pytest.mark.parametrize("command, message", [
    ("rollout_pause", 'deployments.apps "web" is already paused'),
    ("rollout_restart", 'deployments.apps "web" can\'t restart paused deployment (run rollout resume first)'),
], ids=["pause-twice", "restart-while-paused"])
def test_refusals_while_paused(command, message):
    c = _paused()
    with pytest.raises(ValueError) as info:
        getattr(c, command)("web")
    assert str(info.value) == message


def test_resume_when_not_paused_is_refused():
    c = Cluster(seed=0)
    c.apply(deployment_yaml())
    with pytest.raises(ValueError, match='deployments.apps "web" is not paused'):
        c.rollout_resume("web")
