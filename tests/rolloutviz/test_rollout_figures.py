"""The figures of one recorded rollout, from small hand-written timelines."""
import pytest

from rolloutviz import rollout_figures


def _lane(rs, *segments, deleted=None):
    return {"rs": rs, "node": "node-1", "segments": [list(s) for s in segments], "marks": [], "deleted": deleted}


TIMELINE = {
    "replicasets": {
        "web-old": {"deployment": "web", "revision": 1, "series": [[0.0, 2, 0, 0], [20.0, 1, 1, 1], [24.0, 0, 0, 0]]},
        "web-new": {"deployment": "web", "revision": 2, "series": [[10.0, 1, 0, 0], [20.0, 2, 1, 1], [30.0, 2, 2, 2]]},
        "other": {"deployment": "api", "revision": 1, "series": [[0.0, 5, 5, 5]]},
    },
    "pods": {
        "old-a": _lane("web-old", (0.0, "Pending"), (3.0, "Available"), (20.0, "Terminating"), deleted=22.0),
        "old-b": _lane("web-old", (0.0, "Pending"), (3.0, "Available"), (24.0, "Terminating"), deleted=26.0),
        "new-a": _lane("web-new", (10.0, "Pending"), (15.0, "Available")),
        "new-b": _lane("web-new", (20.0, "Pending"), (25.0, "Available")),
        "api-a": _lane("other", (0.0, "Available")),
    },
    "deployments": {"web": {"series": [[0.0, 2, 1, 0, 0], [3.0, 2, 1, 0, 2], [20.0, 2, 1, 0, 1], [25.0, 2, 1, 0, 2]]}},
    "traffic": {"web": {"series": [[9.0, 10, 0, {}, {}], [21.0, 8, 2, {}, {}], [40.0, 9, 1, {}, {}]]}},
    "markers": [{"t": 0.0, "kind": "command", "label": "apply"}, {"t": 9.0, "kind": "command", "label": "set_image"},
                {"t": 10.0, "kind": "event", "label": "ScalingReplicaSet"}],
}


def _deployment(reason, updated, *, complete=False):
    counts = {"replicas": 2, "updatedReplicas": 2, "availableReplicas": 2 if complete else 1, "observedGeneration": 2}
    return {"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {**counts, "conditions": [{"type": "Progressing", "status": "True", "reason": reason,
                                                 "lastUpdateTime": updated}]}}


def test_the_rollout_starts_at_the_last_command_before_its_newest_replicaset_rose():
    assert rollout_figures.rollout_start(TIMELINE, "web") == (9.0, "web-new")
    assert rollout_figures.rollout_start(TIMELINE, "none") is None


@pytest.mark.parametrize(
    "marker, start",
    [({"t": 40.0, "kind": "command", "label": "set_image"}, 40.0),
     ({"t": 40.0, "kind": "command", "label": "kubectl rollout restart"}, 40.0),
     ({"t": 40.0, "kind": "command", "label": "scale"}, 9.0),
     ({"t": 40.0, "kind": "event", "label": "ScalingReplicaSet"}, 9.0)],
    ids=["set-image", "kubectl-restart", "scale-changes-no-template", "not-a-command"],
)
def test_a_later_template_change_starts_a_rollout_before_its_replicaset_exists(marker, start):
    """(a Recreate makes its new ReplicaSet only once the old pods are gone)"""
    timeline = {**TIMELINE, "markers": [*TIMELINE["markers"], marker]}
    assert rollout_figures.rollout_start(timeline, "web")[0] == start


@pytest.mark.parametrize(
    "start, end, peak",
    [(9.0, 30.0, 3), (9.0, 19.0, 3), (24.0, 30.0, 2), (0.0, 5.0, 2), (25.0, 40.0, 2)],
    ids=["whole", "before-the-second-new-pod", "both-old-terminating", "before", "after"],
)
def test_peak_pods_counts_active_pods_of_the_deployment(start, end, peak):
    assert rollout_figures.peak_pods(TIMELINE, "web", start, end) == peak


@pytest.mark.parametrize(
    "start, end, minimum", [(9.0, 30.0, 1), (0.0, 2.0, 0), (4.0, 19.0, 2), (25.0, 40.0, 2)],
    ids=["whole", "at-first", "steady", "after"])
def test_min_available_is_the_deployments_lowest_available_in_the_window(start, end, minimum):
    assert rollout_figures.min_available(TIMELINE, "web", start, end) == minimum


def test_waves_count_scale_ups_of_the_new_replicaset_its_creation_included():
    assert rollout_figures.waves(TIMELINE, "web-new", 9.0, 30.0) == 2
    assert rollout_figures.waves(TIMELINE, "web-new", 15.0, 30.0) == 1


def test_requests_count_the_steps_after_the_start():
    assert rollout_figures.requests(TIMELINE, 9.0, 30.0) == (8, 2)


@pytest.mark.parametrize(
    "deployment, end",
    [(_deployment("NewReplicaSetAvailable", "2026-01-01T00:00:31Z"), 31.0),
     (_deployment("ReplicaSetUpdated", "2026-01-01T00:00:20Z"), None),
     (_deployment("NewReplicaSetAvailable", "2026-01-01T00:00:05Z"), None),
     (_deployment("NewReplicaSetAvailable", "2026-01-01T00:00:05Z", complete=True), 9.0), ({}, None)],
    ids=["complete", "progressing", "complete-before-this-rollout", "nothing-to-roll-out", "no-status"])
def test_the_rollout_ends_when_the_deployment_reports_newreplicasetavailable(deployment, end):
    assert rollout_figures.completed_at(deployment, 9.0) == end


def test_summary_runs_to_now_while_the_rollout_goes_on():
    going = rollout_figures.summary(TIMELINE, "web", _deployment("ReplicaSetUpdated", "2026-01-01T00:00:20Z"), 28.0)
    assert going == {"deployment": "web", "start": 9.0, "end": None, "done": False, "duration": 19.0, "peak_pods": 3,
                     "min_available": 1, "requests": 10, "failed_requests": 2, "waves": 2}
    done = rollout_figures.summary(TIMELINE, "web", _deployment("NewReplicaSetAvailable", "2026-01-01T00:00:31Z"), 50.0)
    assert (done["done"], done["end"], done["duration"]) == (True, 31.0, 22.0)
    assert rollout_figures.summary(TIMELINE, "none", None, 5.0)["start"] is None
