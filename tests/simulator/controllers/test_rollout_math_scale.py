"""sync_test.go (TestScale, cleanupDeployment) and the scaling, annotation and revision tables
of deployment_util_test.go, ported to simulator.controllers.deployment.rollout_math and simulator.controllers.deployment.revisions."""

import pytest

from simulator.controllers.deployment import revisions as rev
from simulator.controllers.deployment import rollout_math as rm

NEW, OLD, OLDER = 2 * 3600.0, 3600.0, 0.0  # TestScale's newTimestamp / oldTimestamp / olderTimestamp


def _rs(name, replicas, created, desired, old_surge=0, available=0):
    """An RS as TestScale prepares it: annotations from the old Deployment (maxUnavailable 0)."""
    return {"name": name, "replicas": replicas, "available": available, "created": created,
            "desired_replicas": desired, "max_replicas": desired + rm.max_surge(desired, old_surge, 0)}


# TestScale, the cases without the PodReplacementPolicy feature gates ("v1" scaling).
# (replicas, surge, unavailable, new RS, old RSs, expected new size, expected old sizes)
SCALE_CASES = {
    "normal scaling event: 10 -> 12": (12, 0, 0, _rs("foo-v1", 10, NEW, 10), [], 12, []),
    "normal scaling event: 10 -> 5": (5, 0, 0, _rs("foo-v1", 10, NEW, 10), [], 5, []),
    "proportional scaling: 5 -> 10": (10, 0, 0, _rs("foo-v2", 2, NEW, 5), [_rs("foo-v1", 3, OLD, 5)], 4, [6]),
    "proportional scaling: 5 -> 3": (3, 0, 0, _rs("foo-v2", 2, NEW, 5), [_rs("foo-v1", 3, OLD, 5)], 1, [2]),
    "proportional scaling: 9 -> 4": (4, 0, 0, _rs("foo-v2", 8, NEW, 9), [_rs("foo-v1", 1, OLD, 9)], 4, [0]),
    "proportional scaling: 7 -> 10": (
        10, 0, 0, _rs("foo-v3", 2, NEW, 7), [_rs("foo-v2", 3, OLD, 7), _rs("foo-v1", 2, OLDER, 7)], 3, [4, 3]),
    "proportional scaling: 13 -> 8": (
        8, 0, 0, _rs("foo-v3", 2, NEW, 13), [_rs("foo-v2", 8, OLD, 13), _rs("foo-v1", 3, OLDER, 13)], 1, [5, 2]),
    "leftover distribution: 3 -> 4": (
        4, 0, 0, _rs("foo-v3", 1, NEW, 3), [_rs("foo-v2", 1, OLD, 3), _rs("foo-v1", 1, OLDER, 3)], 2, [1, 1]),
    "leftover distribution: 3 -> 2": (
        2, 0, 0, _rs("foo-v3", 1, NEW, 3), [_rs("foo-v2", 1, OLD, 3), _rs("foo-v1", 1, OLDER, 3)], 1, [1, 0]),
    "proportional scaling (no new rs): 4 -> 5": (
        5, 0, 0, None, [_rs("foo-v2", 2, OLD, 4), _rs("foo-v1", 2, OLDER, 4)], None, [3, 2]),
    "proportional scaling: 6 -> 0": (
        0, 0, 0, _rs("foo-v3", 3, NEW, 6), [_rs("foo-v2", 2, OLD, 6), _rs("foo-v1", 1, OLDER, 6)], 0, [0, 0]),
    "proportional scaling: 0 -> 6": (
        6, 0, 0, _rs("foo-v3", 0, NEW, 6), [_rs("foo-v2", 0, OLD, 6), _rs("foo-v1", 0, OLDER, 6)], 6, [0, 0]),
    "failed rs update": (
        5, 0, 0, _rs("foo-v3", 2, NEW, 5), [_rs("foo-v2", 1, OLD, 3), _rs("foo-v1", 1, OLDER, 5)], 2, [2, 1]),
    "deployment with surge pods": (20, 2, 0, _rs("foo-v2", 6, NEW, 10, 2), [_rs("foo-v1", 6, OLD, 10, 2)], 11, [11]),
    "change both surge and size": (50, 6, 0, _rs("foo-v2", 5, NEW, 10, 3), [_rs("foo-v1", 8, OLD, 10, 3)], 22, [34]),
    "change both size and template": (
        14, 0, 0, None, [_rs("foo-v2", 7, NEW, 10), _rs("foo-v1", 3, OLD, 10)], None, [10, 4]),
    "saturated but broken new replica set does not affect old pods": (
        2, 1, 1, _rs("foo-v2", 2, NEW, 2, 1, available=0), [_rs("foo-v1", 1, OLD, 2, 1)], 2, [1]),
    # Not in the Go table: the semantics write-up's scenario (d), 10 -> 15 with 3/2 while stuck at 8/5.
    "stuck rollout scaled 10 -> 15": (15, 3, 2, _rs("web-v2", 5, NEW, 10, 3), [_rs("web-v1", 8, OLD, 10, 3)], 7, [11]),
    "saturated new replica set zeroes the old ones": (
        3, 1, 0, _rs("web-v2", 3, NEW, 3, 1, available=3), [_rs("web-v1", 1, OLD, 3, 1)], 3, [0]),
}


@pytest.mark.parametrize("case", SCALE_CASES.values(), ids=SCALE_CASES.keys())
def test_proportional_scale(case):
    replicas, surge, unavailable, new_rs, old_rss, expected_new, expected_old = case
    assert rm.proportional_scale(replicas, surge, unavailable, new_rs, old_rss) == (expected_new, expected_old)


def test_scale_targets_write_every_active_rs_in_event_order():
    # Scaling up: larger first, newer first on ties; all active RSs are written so their
    # annotations get refreshed, even the one whose size does not change.
    new_rs = _rs("foo-v3", 1, NEW, 3)
    old = [_rs("foo-v2", 1, OLD, 3), _rs("foo-v1", 1, OLDER, 3)]
    assert rm.scale_targets(4, 0, 0, new_rs, old) == (
        [("foo-v3", 2), ("foo-v2", 1), ("foo-v1", 1)], True)
    # Scaling down: older first on ties.
    assert rm.scale_targets(2, 0, 0, new_rs, old) == (
        [("foo-v1", 0), ("foo-v2", 1), ("foo-v3", 1)], True)


def test_scale_targets_single_active_rs_not_written_when_already_sized():
    assert rm.scale_targets(3, 0, 0, _rs("foo-v1", 3, NEW, 2), []) == ([], False)


def test_scale_targets_recreate_does_not_scale_proportionally():
    new_rs, old = _rs("foo-v2", 2, NEW, 5), [_rs("foo-v1", 3, OLD, 5)]
    assert rm.scale_targets(10, None, None, new_rs, old, strategy=rm.RECREATE) == ([], False)


# TestGetReplicaSetFraction (gate-free cases): maxUnavailable 1.
@pytest.mark.parametrize(
    "replicas, status_replicas, surge, rs_replicas, annotation, expected",
    [
        (0, 0, 0, 10, None, -10),
        (10, 0, 0, 5, None, 0),
        (10, 0, 0, 5, "0", 0),
        (120, 100, 0, 50, None, 10),
        (120, 100, 0, 50, "0", 10),
        (120, 0, 0, 50, "100", 10),
        (120, 0, 10, 50, "110", 9),
        (10, 0, 0, 6, "12", -1),
        (100, 0, 10, 50, "130", -8),
    ],
    ids=[
        "empty deployment always scales to 0",
        "unsynced deployment does not scale when max-replicas annotation is missing (removed by a 3rd party)",
        "unsynced deployment does not scale when max-replicas annotation is incorrectly set to 0 (by a 3rd party)",
        "scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is missing (removed by a 3rd party)",
        "scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is incorrectly set to 0 (by a 3rd party)",
        "scale up by 1/5 should increase RS replicas by 1/5",
        "scale up with maxSurge by 1/5 should increase RS replicas approximately by 1/5",
        "scale down by 1/6 should decrease RS replicas by 1/6",
        "scale down with maxSurge by 1/6 should decrease RS replicas approximately by 1/6",
    ],
)
def test_replica_set_fraction(replicas, status_replicas, surge, rs_replicas, annotation, expected):
    annotated = rm.non_negative_int_annotation(annotation)
    assert rm.replica_set_fraction(rs_replicas, annotated, replicas, surge, 1, status_replicas) == expected


@pytest.mark.parametrize(
    "x, expected", [(2.5, 3), (-2.5, -3), (3.5, 4), (0.5, 1), (1.49, 1), (-0.4, 0)],
    ids=["2.5", "-2.5", "3.5-not-banker", "0.5", "1.49", "-0.4"],
)
def test_round_half_away_from_zero(x, expected):
    assert rm.round_half_away_from_zero(x) == expected


# TestGetNonNegativeInt32FromAnnotation
@pytest.mark.parametrize(
    "value, expected",
    [(None, None), ("invalid", None), ("-1", None), ("0", 0), ("13", 13),
     (str(rm.MAX_INT32), rm.MAX_INT32), (str(rm.MAX_INT32 + 1), None), (str(2**32), None)],
    ids=["invalid empty", "invalid", "invalid negative ", "valid zero", "valid", "valid max",
         "invalid max out of range", "invalid max out of range 2"],
)
def test_non_negative_int_annotation(value, expected):
    assert rm.non_negative_int_annotation(value) == expected


def test_annotation_utils_revision_history():
    # TestAnnotationUtils/SetNewReplicaSetAnnotations: revisions 11..20 with a 5-character history cap.
    revision, history = None, None
    for i in range(10, 20):
        next_revision = str(i + 1)
        if revision is not None and int(revision) < int(next_revision):
            appended = rev.append_revision_history(history, revision, limit_chars=5)
            history = appended if appended is not None else history
        revision = next_revision
        if i >= 12:
            assert history == f"{i - 1},{i}"
    assert revision == "20"


def test_annotation_utils_set_replicas_annotations_and_saturation():
    # TestAnnotationUtils/SetReplicasAnnotations and /IsSaturated
    assert rm.replicas_annotations(10, 1, 0) == {rm.DESIRED_REPLICAS_ANNOTATION: "10",
                                                 rm.MAX_REPLICAS_ANNOTATION: "11"}
    assert rm.is_saturated(1, {"replicas": 1, "available": 1, "desired_replicas": "1"})


@pytest.mark.parametrize(
    "rs, expected",
    [
        ({"replicas": 3, "available": 3, "desired_replicas": "3"}, True),
        ({"replicas": 3, "available": 2, "desired_replicas": "3"}, False),
        ({"replicas": 3, "available": 3, "desired_replicas": None}, False),
        ({"replicas": 3, "available": 3, "desired_replicas": "2"}, False),
        (None, False),
    ],
    ids=["saturated", "not all available", "no annotation", "stale annotation", "no new RS"],
)
def test_is_saturated(rs, expected):
    assert rm.is_saturated(3, rs) is expected


# TestReplicasAnnotationsNeedUpdate: desired 10, max 20.
@pytest.mark.parametrize(
    "annotations, expected",
    [
        (None, True),
        ({rm.DESIRED_REPLICAS_ANNOTATION: "8", rm.MAX_REPLICAS_ANNOTATION: "20"}, True),
        ({rm.DESIRED_REPLICAS_ANNOTATION: "10", rm.MAX_REPLICAS_ANNOTATION: "16"}, True),
        ({rm.DESIRED_REPLICAS_ANNOTATION: "10", rm.MAX_REPLICAS_ANNOTATION: "20"}, False),
    ],
    ids=["test Annotations nil", "test desiredReplicas update", "test maxReplicas update", "test needn't update"],
)
def test_replicas_annotations_need_update(annotations, expected):
    assert rm.replicas_annotations_need_update(annotations, 10, 20) is expected


@pytest.mark.parametrize(
    "rss, expected",
    [
        ([{"replicas": 3, "desired_replicas": "3"}], False),
        ([{"replicas": 3, "desired_replicas": "2"}], True),
        ([{"replicas": 0, "desired_replicas": "2"}, {"replicas": 3, "desired_replicas": "3"}], False),
        ([{"replicas": 3, "desired_replicas": None}], False),
        ([{"replicas": 2, "desired_replicas": "3"}, {"replicas": 1, "desired_replicas": "5"}], True),
    ],
    ids=["same size", "scaled", "inactive RS ignored", "no annotation ignored", "any active RS"],
)
def test_is_scaling_event(rss, expected):
    assert rm.is_scaling_event(3, rss) is expected


def _cleanup_rs(name, spec, status, revision=None, created=0.0, **extra):
    return {"name": name, "replicas": spec, "status_replicas": status, "revision": revision,
            "created": created, "deleting": False, **extra}


# TestDeploymentController_cleanupDeployment (numbered scenarios): expected number of deletions.
@pytest.mark.parametrize(
    "old_rss, limit, expected",
    [
        ([_cleanup_rs("foo-1", 0, 0), _cleanup_rs("foo-2", 0, 0), _cleanup_rs("foo-3", 0, 0)], 1, ["foo-1", "foo-2"]),
        ([_cleanup_rs("foo-1", 0, 0), _cleanup_rs("foo-2", 0, 1), _cleanup_rs("foo-3", 1, 0),
          _cleanup_rs("foo-4", 1, 1)], 0, ["foo-1"]),
        ([_cleanup_rs("foo-1", 0, 0, terminating_replicas=0), _cleanup_rs("foo-2", 0, 0, terminating_replicas=1),
          _cleanup_rs("foo-3", 0, 0, terminating_replicas=None), _cleanup_rs("foo-4", 0, 1, terminating_replicas=0),
          _cleanup_rs("foo-5", 1, 0, terminating_replicas=0), _cleanup_rs("foo-6", 1, 1, terminating_replicas=0)],
         0, ["foo-1"]),
        ([_cleanup_rs("foo-1", 0, 0), _cleanup_rs("foo-2", 0, 0)], 0, ["foo-1", "foo-2"]),
        ([_cleanup_rs("foo-1", 1, 1), _cleanup_rs("foo-2", 1, 1)], 0, []),
        ([dict(_cleanup_rs("foo-1", 0, 0), deleting=True)], 0, []),
        ([_cleanup_rs("foo-1", 0, 0), _cleanup_rs("foo-2", 0, 0), _cleanup_rs("foo-3", 0, 0)], rm.MAX_INT32, []),
    ],
    ids=["scenario 0", "scenario 1", "scenario 2 (terminating replicas)", "scenario 3", "scenario 4",
         "scenario 5 (already deleted)", "scenario 6 (unlimited)"],
)
def test_replica_sets_to_delete(old_rss, limit, expected):
    assert rm.replica_sets_to_delete(old_rss, limit) == expected


# TestDeploymentController_cleanupDeploymentOrder: creation order foo-1 < foo-2 < foo-3 < foo-4.
@pytest.mark.parametrize(
    "specs, limit, expected",
    [
        ([("foo-1", 0, 1), ("foo-2", 0, 2)], 1, ["foo-1"]),
        ([("foo-1", 0, 2), ("foo-2", 0, 1)], 1, ["foo-2"]),
        ([("foo-1", 0, 1), ("foo-2", 0, None)], 1, ["foo-2"]),
        ([("foo-1", 0, None), ("foo-2", 0, 2)], 1, ["foo-1"]),
        ([("foo-1", 1, 1), ("foo-2", 0, 2), ("foo-3", 0, 3)], 1, ["foo-2"]),
        ([("foo-1", 1, 1), ("foo-2", 1, 2), ("foo-3", 0, 3)], 1, []),
        ([("foo-1", 0, 3), ("foo-2", 0, 1), ("foo-3", 0, 4), ("foo-4", 0, 2)], 2, ["foo-2", "foo-4"]),
    ],
    ids=[
        "revision order: rs1 < rs2, delete rs1",
        "revision order: rs2 < rs1, delete rs2",
        "rs1 has revision but rs2 doesn't have revision, delete rs2",
        "rs1 doesn't have revision while rs2 has revision, delete rs1",
        "revision order: rs1 < rs2 < r3, but rs1 has replicas, delete rs2",
        "revision order: rs1 < rs2 < r3, both rs1 && rs2 have replicas, don't delete",
        "revision order: rs2 < rs4 < rs1 < rs3, delete rs2 && rs4",
    ],
)
def test_replica_sets_to_delete_order(specs, limit, expected):
    old = [_cleanup_rs(name, replicas, replicas, revision, created=float(i * 60))
           for i, (name, replicas, revision) in enumerate(specs)]
    assert rm.replica_sets_to_delete(old, limit) == expected


def test_replica_sets_to_delete_keeps_unobserved():
    old = [_cleanup_rs("foo-1", 0, 0, 1, generation=3, observed_generation=2), _cleanup_rs("foo-2", 0, 0, 2)]
    assert rm.replica_sets_to_delete(old, 0) == ["foo-2"]


@pytest.mark.parametrize(
    "revisions, highest, second",
    [(["1", "2", "3"], 3, 2), ([None, "4", "x"], 4, 0), ([], 0, 0), ([5, 5], 5, 5)],
    ids=["history 1,2,3", "missing and unparsable", "none", "ints"],
)
def test_max_and_last_revision(revisions, highest, second):
    assert rev.max_revision(revisions) == highest
    assert rev.last_revision(revisions) == second


@pytest.mark.parametrize(
    "history, old, limit, expected",
    [(None, "2", 2000, "2"), ("1", "2", 2000, "1,2"), ("1,2", "3", 3, "2,3"), ("1", "12345", 3, None)],
    ids=["first entry", "append", "drop oldest", "does not fit"],
)
def test_append_revision_history(history, old, limit, expected):
    assert rev.append_revision_history(history, old, limit) == expected
