"""What-if predictions against actual runs of the same edit on a copy of the cluster: a table of
specs, each applied to a settled nginx:1.14.2 Deployment (or to an empty cluster), predicted
with `Cluster.predict` and run with `whatif.check`.

Exact: the resolved maxSurge/maxUnavailable (as the controller's own explanations state them),
peak pods, minimum available, waves and the outcome. Duration: within 10 % of the prediction,
or inside the predicted range where the scheduler's random tie-break decides whether a new pod
lands on a node that already holds the image (the prediction names both ends)."""
from __future__ import annotations

import textwrap

import pytest

from simulator import Cluster, whatif

OLD, NEW = "nginx:1.14.2", "nginx:1.16.1"

READINESS = """
readinessProbe:
  httpGet: {path: /, port: 80}
  initialDelaySeconds: 2
  periodSeconds: 3
"""
SLOW_APP = """
apiVersion: rolloutviz.dev/v1
kind: ImageBehavior
metadata: {name: slow}
spec:
  image: example.com/slow:2
  pull: {seconds: 12.5}
  startupSeconds: 7
"""
SLOW_READINESS = """
readinessProbe:
  tcpSocket: {port: 80}
  periodSeconds: 4
  successThreshold: 2
"""
NEVER_READY = """
readinessProbe:
  httpGet: {path: /healthz, port: 3000}
  periodSeconds: 5
"""


def manifest(image: str, replicas: int, *, surge=None, unavailable=None, strategy="RollingUpdate",
             container: str = "", spec: str = "", extra: str = "") -> str:
    """A Deployment "web" (and any ``extra`` documents before it)."""
    rolling = ""
    if strategy == "RollingUpdate" and (surge is not None or unavailable is not None):
        rolling = "\n    rollingUpdate:" + (f"\n      maxSurge: {surge}" if surge is not None else "") + \
                  (f"\n      maxUnavailable: {unavailable}" if unavailable is not None else "")
    container = textwrap.indent(textwrap.dedent(container).strip("\n"), " " * 8)
    spec = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    text = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
            f"  replicas: {replicas}\n{spec}\n  strategy:\n    type: {strategy}{rolling}\n"
            "  selector:\n    matchLabels: {app: web}\n"
            "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
            f"      - name: web\n        image: {image}\n{container}\n")
    return (textwrap.dedent(extra).strip() + "\n---\n" + text) if extra else text


# name: (replicas, surge, unavailable, strategy, new image, container extra, spec extra, extra docs, from scratch)
CASES = {
    "1 replica, surge 1": (1, 1, 0, "RollingUpdate", NEW, "", "", "", False),
    "1 replica, unavailable 1": (1, 0, 1, "RollingUpdate", NEW, "", "", "", False),
    "3 replicas, 25 %": (3, "25%", "25%", "RollingUpdate", NEW, "", "", "", False),
    "3 replicas, surge 1 unavailable 0": (3, 1, 0, "RollingUpdate", NEW, "", "", "", False),
    "3 replicas, surge 0 unavailable 1": (3, 0, 1, "RollingUpdate", NEW, "", "", "", False),
    "3 replicas, 1 and 1": (3, 1, 1, "RollingUpdate", NEW, "", "", "", False),
    "4 replicas, 25 %": (4, "25%", "25%", "RollingUpdate", NEW, "", "", "", False),
    "10 replicas, 25 %": (10, "25%", "25%", "RollingUpdate", NEW, "", "", "", False),
    "10 replicas, surge 100 %": (10, "100%", 0, "RollingUpdate", NEW, "", "", "", False),
    "10 replicas, unavailable 100 %": (10, 0, "100%", "RollingUpdate", NEW, "", "", "", False),
    "3 replicas, surge 0 and 10 % (unavailable becomes 1)": (3, 0, "10%", "RollingUpdate", NEW, "", "", "", False),
    "10 replicas, 50 % and 10 %": (10, "50%", "10%", "RollingUpdate", NEW, "", "", "", False),
    "100 replicas, 25 %": (100, "25%", "25%", "RollingUpdate", NEW, "", "", "", False),
    "3 replicas, Recreate": (3, None, None, "Recreate", NEW, "", "", "", False),
    "10 replicas, Recreate": (10, None, None, "Recreate", NEW, "", "", "", False),
    "3 replicas, readiness probe": (3, 1, 0, "RollingUpdate", NEW, READINESS, "", "", False),
    "4 replicas, readiness probe, minReadySeconds 5": (4, 1, 1, "RollingUpdate", NEW, READINESS,
                                                       "minReadySeconds: 5", "", False),
    "3 replicas, slow image, no probe": (3, 1, 0, "RollingUpdate", "example.com/slow:2", "", "",
                                         SLOW_APP, False),
    "3 replicas, slow image, readiness successThreshold 2": (3, 1, 0, "RollingUpdate", "example.com/slow:2",
                                                             SLOW_READINESS, "", SLOW_APP, False),
    "10 replicas, slow image, Recreate": (10, None, None, "Recreate", "example.com/slow:2", SLOW_READINESS,
                                          "", SLOW_APP, False),
    "typo image (ProgressDeadlineExceeded)": (3, 1, 0, "RollingUpdate", "nginx:1.161", "",
                                              "progressDeadlineSeconds: 30", "", False),
    "readiness never passes": (4, "25%", "25%", "RollingUpdate", "guangzhengli/hellok8s:bad",
                               NEVER_READY, "progressDeadlineSeconds: 40", "", False),
    "a new Deployment of 5": (5, "25%", "25%", "RollingUpdate", NEW, READINESS, "", "", True),
}


def _run(replicas, surge, unavailable, strategy, image, container, spec, extra, scratch):
    cluster = Cluster(seed=7)
    if not scratch:
        cluster.apply(manifest(OLD, replicas, surge=surge, unavailable=unavailable, strategy=strategy))
        cluster.advance(30)
    edited = manifest(image, replicas, surge=surge, unavailable=unavailable, strategy=strategy,
                      container=container, spec=spec, extra=extra)
    prediction = cluster.predict(edited)
    run = whatif.check(cluster.snapshot(), edited, prediction, wall_seconds=60)
    return prediction["deployments"][0], run["deployments"][0], run


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_prediction_matches_the_run(case):
    predicted, measured, run = _run(*case)
    assert run["stopped_by"] is None, run
    assert measured["outcome"] == predicted["outcome"]
    assert measured["peak_pods"] == predicted["peak_pods"]
    assert measured["min_available"] == predicted["min_available"]
    assert measured["waves"] in predicted.get("waves_range", [predicted["waves"]])
    for key in ("max_surge", "max_unavailable"):
        if measured[key] is not None:   # the controller said which it used
            assert measured[key] == predicted[key], key
    if predicted["outcome"] == "complete":
        low, high = predicted.get("duration_range", [predicted["duration_seconds"]] * 2)
        assert low * 0.9 <= measured["duration_seconds"] <= high * 1.1, (predicted, measured)
        if "duration_range" not in predicted:
            assert measured["duration_seconds"] == pytest.approx(predicted["duration_seconds"], rel=0.1)
    else:
        assert measured["deadline_seconds"] == pytest.approx(predicted["deadline_seconds"], rel=0.1)


def test_the_tie_break_range_holds_both_ways_it_can_go():
    """3 replicas one at a time: the third new pod ties between a node holding the image and
    one that must pull it; over seeds the run lands on each end of the predicted range."""
    durations = set()
    for seed in range(1, 7):
        cluster = Cluster(seed=seed)
        cluster.apply(manifest(OLD, 3, surge=1, unavailable=0))
        cluster.advance(30)
        edited = manifest(NEW, 3, surge=1, unavailable=0)
        predicted = cluster.predict(edited)["deployments"][0]
        run = whatif.check(cluster.snapshot(), edited, {"deployments": [predicted]}, wall_seconds=60)
        durations.add(run["deployments"][0]["duration_seconds"])
    assert sorted(durations) == predicted["duration_range"]


def test_the_prediction_and_the_run_leave_the_cluster_alone():
    cluster = Cluster(seed=3)
    cluster.apply(manifest(OLD, 3))
    cluster.advance(20)
    before = cluster.snapshot()
    edited = manifest(NEW, 3, extra=SLOW_APP)
    whatif.check(cluster.snapshot(), edited, cluster.predict(edited), wall_seconds=60)
    assert cluster.snapshot() == before
    # and the cluster goes on exactly as one that was never asked
    twin = Cluster.restore(before)
    assert cluster.step() == twin.step()


def test_a_run_stops_at_its_wall_time_limit():
    cluster = Cluster(seed=3)
    cluster.apply(manifest(OLD, 3))
    cluster.advance(20)
    edited = manifest("nginx:1.161", 3)
    run = whatif.check(cluster.snapshot(), edited, cluster.predict(edited), wall_seconds=0)
    assert run["stopped_by"] == "wall time limit"
    assert run["deployments"][0]["outcome"] == "unfinished"


NO_ROLLOUT = {
    # name: (replicas before, the edit's manifest arguments, predicted change)
    "scale up 3 → 5": (3, dict(image=OLD, replicas=5), "scale"),
    "scale down 5 → 2": (5, dict(image=OLD, replicas=2), "scale"),
    "nothing changes": (3, dict(image=OLD, replicas=3), "none"),
    "a new image while paused": (3, dict(image=NEW, replicas=3, spec="paused: true"), "paused"),
}


@pytest.mark.parametrize("case", NO_ROLLOUT.values(), ids=NO_ROLLOUT.keys())
def test_edits_that_start_no_rollout(case):
    before, edit, change = case
    cluster = Cluster(seed=11)
    cluster.apply(manifest(OLD, before))
    cluster.advance(30)
    edited = manifest(edit.pop("image"), edit.pop("replicas"), **edit)
    predicted = cluster.predict(edited)["deployments"][0]
    measured = whatif.check(cluster.snapshot(), edited, cluster.predict(edited), wall_seconds=60)["deployments"][0]
    assert (predicted["change"], predicted["starts_rollout"], predicted["waves"]) == (change, False, 0)
    assert measured["outcome"] == predicted["outcome"]
    assert (measured["peak_pods"], measured["min_available"]) == (predicted["peak_pods"], predicted["min_available"])
    if predicted["outcome"] == "complete":
        assert measured["duration_seconds"] == pytest.approx(predicted["duration_seconds"], rel=0.1, abs=0.05)


def test_resuming_a_deployment_with_a_held_template_starts_its_rollout():
    cluster = Cluster(seed=12)
    cluster.apply(manifest(OLD, 3, surge=1, unavailable=0))
    cluster.advance(30)
    cluster.apply(manifest(NEW, 3, surge=1, unavailable=0, spec="paused: true"))
    cluster.advance(10)
    edited = manifest(NEW, 3, surge=1, unavailable=0)
    predicted = cluster.predict(edited)["deployments"][0]
    assert (predicted["change"], predicted["starts_rollout"]) == ("rollout", True)
    measured = whatif.check(cluster.snapshot(), edited, {"deployments": [predicted]}, wall_seconds=60)["deployments"][0]
    assert (measured["outcome"], measured["peak_pods"], measured["min_available"], measured["waves"]) == \
        ("complete", predicted["peak_pods"], predicted["min_available"], predicted["waves"])
    low, high = predicted.get("duration_range", [predicted["duration_seconds"]] * 2)
    assert low * 0.9 <= measured["duration_seconds"] <= high * 1.1


LATER_EDITS = {
    # name: (manifest before, an edit applied 5 s before the what-if or None, the what-if's edit)
    "replicas 3 → 6 and a new image (a scaling event first)": (
        manifest(OLD, 3, surge=1, unavailable=0), None, manifest(NEW, 6, surge=1, unavailable=0)),
    "replicas 5 → 2 and a new image": (
        manifest(OLD, 5, surge=1, unavailable=0), None, manifest(NEW, 2, surge=1, unavailable=0)),
    "mid-rollout, back to the old image (its ReplicaSet taken back)": (
        manifest(OLD, 3, surge=1, unavailable=0), manifest(NEW, 3, surge=1, unavailable=0),
        manifest(OLD, 3, surge=1, unavailable=0)),
    "mid-rollout, a third image": (
        manifest(OLD, 4, surge=1, unavailable=1), manifest(NEW, 4, surge=1, unavailable=1),
        manifest("nginx:latest", 4, surge=1, unavailable=1)),
}


@pytest.mark.parametrize("case", LATER_EDITS.values(), ids=LATER_EDITS.keys())
def test_edits_of_a_deployment_that_is_scaling_or_rolling(case):
    before, mid, edited = case
    cluster = Cluster(seed=9)
    cluster.apply(before)
    cluster.advance(30)
    if mid is not None:
        cluster.apply(mid)
        cluster.advance(5)
    predicted = cluster.predict(edited)["deployments"][0]
    measured = whatif.check(cluster.snapshot(), edited, {"deployments": [predicted]}, wall_seconds=60)["deployments"][0]
    assert measured["outcome"] == predicted["outcome"] == "complete"
    assert (measured["peak_pods"], measured["min_available"]) == (predicted["peak_pods"], predicted["min_available"])
    assert measured["waves"] in predicted.get("waves_range", [predicted["waves"]])
    low, high = predicted.get("duration_range", [predicted["duration_seconds"]] * 2)
    assert low * 0.9 <= measured["duration_seconds"] <= high * 1.1


def test_a_copy_with_a_finer_tick_has_the_same_future():
    """The check runs on a copy restored with a 0.1 s step: what happens, and when, is the
    same as with the simulation's own step."""
    cluster = Cluster(seed=13)
    cluster.apply(manifest(OLD, 4, surge=1, unavailable=1, container=READINESS))
    cluster.advance(30)
    fine = Cluster.restore(cluster.snapshot(), tick=0.1)
    edited = manifest(NEW, 4, surge=1, unavailable=1, container=READINESS)
    for c in (cluster, fine):
        c.apply(edited)
        c.advance(40)
    assert fine.now == cluster.now

    def seen(c, kind):   # resourceVersions number step batches: the finer copy has more of them
        return [{**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "resourceVersion"}}
                for o in c.list(kind)]
    for kind in ("pod", "replicaset", "deployment", "event"):
        assert seen(fine, kind) == seen(cluster, kind), kind
    with pytest.raises(ValueError, match="does not divide"):
        Cluster.restore(Cluster(seed=1, tick=0.25).snapshot() | {"time": 250, "steps": 1}, tick=0.1)
