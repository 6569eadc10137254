"""Revisions, rollout history, rollout undo and revisionHistoryLimit cleanup."""
import pytest

from cluster_helpers import deployment_yaml, replica_sets, settled, sizes_by_image
from simulator import Cluster

IMAGES = ["nginx:1.14.2", "nginx:1.16.1", "nginx:1.17.0"]


def _three_revisions(seed=1):
    c = Cluster(seed=seed)
    for i, image in enumerate(IMAGES):
        c.apply(deployment_yaml(image, annotations=f"kubernetes.io/change-cause: release {i + 1}\n"))
        settled(c)
    return c


def test_history_lists_revisions_with_change_causes():
    c = _three_revisions()
    assert c.rollout_history("web") == [
        {"revision": 1, "change_cause": "release 1"},
        {"revision": 2, "change_cause": "release 2"},
        {"revision": 3, "change_cause": "release 3"}]


def test_undo_renumbers_the_previous_revision():
    c = _three_revisions()
    assert c.rollout_undo("web") == "deployment.apps/web rolled back"
    settled(c)
    assert c.rollout_history("web") == [
        {"revision": 1, "change_cause": "release 1"},
        {"revision": 3, "change_cause": "release 3"},
        {"revision": 4, "change_cause": "release 2"}]
    assert sizes_by_image(c) == {"nginx:1.14.2": 0, "nginx:1.16.1": 3, "nginx:1.17.0": 0}
    d = c.get("deployment", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.16.1"
    reused = next(n for n, rs in replica_sets(c).items() if rs["revision"] == 4)
    assert c.get("replicaset", reused)["metadata"]["annotations"][
        "deployment.kubernetes.io/revision-history"] == "2"


def test_second_undo_goes_back_to_the_next_highest_revision():
    c = _three_revisions()
    c.rollout_undo("web")
    settled(c)
    c.rollout_undo("web")
    settled(c)
    assert [h["revision"] for h in c.rollout_history("web")] == [1, 4, 5]
    assert sizes_by_image(c)["nginx:1.17.0"] == 3


def test_undo_to_a_given_revision():
    c = _three_revisions()
    c.rollout_undo("web", to_revision=1)
    settled(c)
    assert [h["revision"] for h in c.rollout_history("web")] == [2, 3, 4]
    assert sizes_by_image(c)["nginx:1.14.2"] == 3


@pytest.mark.parametrize("setup, args, message", [
    ("one-revision", {}, 'no rollout history found for deployment "web"'),
    ("three", {"to_revision": 7}, "unable to find specified revision 7 in history"),
    ("paused", {}, "you cannot rollback a paused deployment; resume it first with "
                   "'kubectl rollout resume deployment/web' and try again"),
], ids=["no-history", "missing-revision", "paused"])
def test_undo_refusals(setup, args, message):
    if setup == "one-revision":
        c = Cluster(seed=0)
        c.apply(deployment_yaml())
        settled(c)
    else:
        c = _three_revisions()
    if setup == "paused":
        c.rollout_pause("web")
    before = c.get("deployment", "web")["spec"]
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        c.rollout_undo("web", **args)
    assert c.get("deployment", "web")["spec"] == before


def test_undo_to_the_current_template_is_skipped():
    c = _three_revisions()
    assert c.rollout_undo("web", to_revision=3) == (
        "deployment.apps/web skipped rollback (current template already matches revision 3)")


def test_revision_history_limit_deletes_the_oldest_scaled_down_replica_sets():
    c = Cluster(seed=2)
    images = ["nginx:1.14.2", "nginx:1.16.1", "nginx:1.17.0", "nginx:1.18.0", "nginx:1.19.0"]
    for image in images:
        c.apply(deployment_yaml(image, spec_extra="revisionHistoryLimit: 2\n"))
        settled(c)
        c.step()  # cleanup runs on the sync after the rollout is complete
    assert sorted(rs["revision"] for rs in replica_sets(c).values()) == [3, 4, 5]
    assert [h["revision"] for h in c.rollout_history("web")] == [3, 4, 5]
    deleted = [r for r in c.list("replicaset") if r["spec"]["replicas"] == 0]
    assert len(deleted) == 2


def test_restart_creates_a_revision_with_a_restarted_at_annotation():
    c = Cluster(seed=3)
    c.apply(deployment_yaml())
    settled(c)
    c.advance(7)
    assert c.rollout_restart("web") == "deployment.apps/web restarted"
    settled(c)
    d = c.get("deployment", "web")
    stamp = d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
    assert stamp.startswith("2026-01-01T00:00:")
    assert [h["revision"] for h in c.rollout_history("web")] == [1, 2]
    c.advance(5)  # the old pods finish terminating
    pods = c.list("pod")
    assert len(pods) == 3 and all(p["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == stamp
                                  for p in pods)
