"""kubectl apply semantics: created / configured / unchanged, the three-way merge,
all-or-nothing validation, ReplicaSet and ImageBehavior documents."""
import json

import pytest

from cluster_helpers import condition, deployment_yaml, replica_sets, settled
from simulator import Cluster, ValidationError


def test_apply_reports_created_configured_unchanged():
    c = Cluster(seed=0)
    assert c.apply(deployment_yaml()) == ["deployment.apps/web created"]
    c.advance(5)
    assert c.apply(deployment_yaml()) == ["deployment.apps/web unchanged"]
    assert c.apply(deployment_yaml(replicas=4)) == ["deployment.apps/web configured"]


def test_applied_object_is_defaulted_and_remembers_the_manifest():
    c = Cluster(seed=0)
    c.apply(deployment_yaml())
    d = c.get("deployment", "web")
    assert d["spec"]["strategy"] == {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert d["spec"]["revisionHistoryLimit"] == 10
    assert d["spec"]["progressDeadlineSeconds"] == 600
    assert d["metadata"]["generation"] == 1
    last = json.loads(d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 3 and "strategy" not in last["spec"]


@pytest.mark.parametrize("manifest_replicas, expected", [(None, 5), (3, 3)],
                         ids=["manifest-without-replicas-keeps-scale", "manifest-replicas-override-scale"])
def test_scale_then_apply(manifest_replicas, expected):
    # seed 001: a manifest that sets replicas undoes an earlier `kubectl scale`
    c = Cluster(seed=0)
    c.apply(deployment_yaml(replicas=manifest_replicas))
    c.step()
    c.scale("web", 5)
    c.step()
    c.apply(deployment_yaml("nginx:1.16.1", replicas=manifest_replicas))
    assert c.get("deployment", "web")["spec"]["replicas"] == expected


def test_dropping_a_field_from_the_manifest_restores_its_default():
    c = Cluster(seed=0)
    c.apply(deployment_yaml(replicas=4))
    c.apply(deployment_yaml(replicas=None))
    assert c.get("deployment", "web")["spec"]["replicas"] == 1


def test_paused_survives_an_apply_that_does_not_mention_it():
    c = Cluster(seed=0)
    c.apply(deployment_yaml())
    c.step()
    c.rollout_pause("web")
    assert c.apply(deployment_yaml("nginx:1.16.1")) == ["deployment.apps/web configured"]
    assert c.get("deployment", "web")["spec"]["paused"] is True


def test_switching_to_recreate_clears_rolling_parameters():
    # spec.strategy is merged with retainKeys, so rollingUpdate does not linger
    c = Cluster(seed=0)
    c.apply(deployment_yaml(strategy="strategy:\n  type: RollingUpdate\n  rollingUpdate:\n    maxSurge: 1\n"))
    c.apply(deployment_yaml(strategy="strategy:\n  type: Recreate\n"))
    assert c.get("deployment", "web")["spec"]["strategy"] == {"type": "Recreate"}


def test_only_template_changes_make_revisions():
    c = Cluster(seed=0)
    c.apply(deployment_yaml())
    settled(c)
    c.apply(deployment_yaml(replicas=5))
    settled(c)
    c.apply(deployment_yaml("nginx:1.16.1", replicas=5))
    settled(c)
    assert sorted(rs["revision"] for rs in replica_sets(c).values()) == [1, 2]
    assert [h["revision"] for h in c.rollout_history("web")] == [1, 2]


def test_reapplying_an_old_template_reuses_its_replica_set():
    c = Cluster(seed=0)
    c.apply(deployment_yaml("nginx:1.14.2"))
    settled(c)
    first = set(replica_sets(c))
    c.apply(deployment_yaml("nginx:1.16.1"))
    settled(c)
    c.apply(deployment_yaml("nginx:1.14.2"))
    settled(c)
    rss = replica_sets(c)
    assert len(rss) == 2
    (reused,) = first
    assert rss[reused]["revision"] == 3 and rss[reused]["replicas"] == 3


def test_invalid_apply_raises_every_problem_with_lines_and_changes_nothing():
    c = Cluster(seed=0)
    c.apply(deployment_yaml())
    c.step()
    before = c.get("deployment", "web")
    bad = deployment_yaml(replicas=-1, strategy="strategy:\n  rollingUpdate:\n    maxSurge: 0\n    maxUnavailable: 0\n")
    with pytest.raises(ValidationError) as info:
        c.apply(bad)
    fields = {e.field: e.line for e in info.value.errors}
    assert fields["spec.replicas"] == 6
    assert "spec.strategy.rollingUpdate.maxUnavailable" in fields
    assert str(info.value).startswith('The Deployment "web" is invalid: ')
    assert c.get("deployment", "web") == before
    c.step()
    assert c.get("deployment", "web")["spec"] == before["spec"]


def test_one_bad_document_blocks_the_whole_apply():
    c = Cluster(seed=0)
    text = deployment_yaml(name="good") + "---\n" + deployment_yaml(name="bad", image="")
    with pytest.raises(ValidationError):
        c.apply(text)
    assert c.list("deployment") == []


def test_selector_is_immutable():
    c = Cluster(seed=0)
    c.apply(deployment_yaml())
    changed = deployment_yaml().replace("matchLabels:\n      app: web",
                                        "matchLabels:\n      app: web\n      tier: x")
    changed = changed.replace("labels:\n        app: web", "labels:\n        app: web\n        tier: x")
    with pytest.raises(ValidationError) as info:
        c.apply(changed)
    assert any(e.field == "spec.selector" and "field is immutable" in e.message
               for e in info.value.errors)


def test_unknown_kind_is_refused_like_kubectl():
    c = Cluster(seed=0)
    with pytest.raises(ValidationError) as info:
        c.apply("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n")
    assert 'no matches for kind "Service" in version "v1"' in str(info.value)


def test_standalone_replica_set_keeps_its_pod_count():
    rs = """
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
spec:
  replicas: 3
  selector:
    matchLabels:
      app: frontend
  template:
    metadata:
      labels:
        app: frontend
    spec:
      containers:
      - name: app
        image: nginx:1.14.2
"""
    c = Cluster(seed=0)
    assert c.apply(rs) == ["replicaset.apps/frontend created"]
    c.advance(10)
    assert c.get("replicaset", "frontend")["status"]["readyReplicas"] == 3
    c.delete_pod(c.list("pod")[0]["metadata"]["name"])
    c.advance(10)
    assert c.get("replicaset", "frontend")["status"]["readyReplicas"] == 3
    assert len([p for p in c.list("pod") if "deletionTimestamp" not in p["metadata"]]) == 3


def test_image_behavior_document_changes_how_an_image_runs():
    behavior = """
apiVersion: rolloutviz.dev/v1
kind: ImageBehavior
metadata:
  name: slow
spec:
  image: example.com/slow:1
  pull: {seconds: 20}
"""
    c = Cluster(seed=0)
    results = c.apply(behavior + "---\n" + deployment_yaml("example.com/slow:1", replicas=1))
    assert results[1] == "deployment.apps/web created"
    assert results[0].endswith(" created")
    c.advance(15)
    assert condition(c.get("deployment", "web"), "Available")["status"] == "False"
    c.advance(10)
    assert condition(c.get("deployment", "web"), "Available")["status"] == "True"


def test_null_creation_timestamp_in_the_template_keeps_the_pod_template_hash():
    """`kubectl create --dry-run -o yaml` writes `creationTimestamp: null` into the template;
    decoding drops it, so it changes neither the stored template nor the ReplicaSet's name."""
    plain, with_null = Cluster(seed=0), Cluster(seed=0)
    plain.apply(deployment_yaml())
    with_null.apply(deployment_yaml().replace(
        "    metadata:\n      labels:", "    metadata:\n      creationTimestamp: null\n      labels:"))
    assert "creationTimestamp" not in with_null.get("deployment", "web")["spec"]["template"]["metadata"]
    assert list(replica_sets(with_null)) == list(replica_sets(plain))
