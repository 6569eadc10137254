"""Kubernetes' deployment_util_test.go tables, ported to simulator.controllers.deployment.rollout_math.

Case names are the Go ones; where Go builds a Deployment object we pass the same numbers
as plain values.
"""

import pytest

from simulator.controllers.deployment import rollout_math as rm


# TestResolveFenceposts (the Go cases are numbered, not named)
@pytest.mark.parametrize(
    "surge, unavailable, desired, expected",
    [
        ("0%", "0%", 0, (0, 1)),
        ("39%", "39%", 10, (4, 3)),
        (None, "39%", 10, (0, 3)),
        ("39%", None, 10, (4, 0)),
        (None, None, 10, (0, 1)),
        # Not in the Go table: the semantics write-up's defaults and an int/percent mix.
        ("25%", "25%", 1, (1, 0)),
        ("25%", "25%", 3, (1, 0)),
        ("25%", "25%", 4, (1, 1)),
        ("25%", "25%", 10, (3, 2)),
        (0, "10%", 3, (0, 1)),
        (3, 2, 10, (3, 2)),
    ],
    ids=["0", "1", "4", "5", "6", "default-1", "default-3", "default-4", "default-10",
         "surge-0-unavailable-floors-to-0", "plain-ints"],
)
def test_resolve_fenceposts(surge, unavailable, desired, expected):
    assert rm.resolve_fenceposts(surge, unavailable, desired) == expected


@pytest.mark.parametrize(
    "surge, unavailable",
    [("oops", "39%"), ("55%", "urg"), ("25", "25%"), ("25%", 2.5), (True, 1), ("-5%", 1)],
    ids=["2", "3", "percent-without-sign", "float", "bool", "negative-percent"],
)
def test_resolve_fenceposts_rejects_bad_values(surge, unavailable):
    with pytest.raises(ValueError):
        rm.resolve_fenceposts(surge, unavailable, 10)


@pytest.mark.parametrize(
    "replicas, unavailable, strategy, expected",
    [
        (10, 5, rm.ROLLING_UPDATE, 5),
        (10, 10, rm.ROLLING_UPDATE, 10),
        (5, 10, rm.ROLLING_UPDATE, 5),
        (0, 10, rm.ROLLING_UPDATE, 0),
        (1, 1, rm.RECREATE, 0),
        (10, "50%", rm.ROLLING_UPDATE, 5),
        (10, "100%", rm.ROLLING_UPDATE, 10),
        (5, "100%", rm.ROLLING_UPDATE, 5),
    ],
    ids=[
        "maxUnavailable less than replicas",
        "maxUnavailable equal replicas",
        "maxUnavailable greater than replicas",
        "maxUnavailable with replicas is 0",
        "maxUnavailable with Recreate deployment strategy",
        "maxUnavailable less than replicas with percents",
        "maxUnavailable equal replicas with percents",
        "maxUnavailable greater than replicas with percents",
    ],
)
def test_max_unavailable(replicas, unavailable, strategy, expected):
    # TestMaxUnavailable: maxSurge is 1 in every case.
    assert rm.max_unavailable(replicas, 1, unavailable, strategy) == expected


@pytest.mark.parametrize(
    "replicas, unavailable, strategy, expected",
    [
        (10, 5, rm.ROLLING_UPDATE, 5),
        (10, 10, rm.ROLLING_UPDATE, 0),
        (5, 10, rm.ROLLING_UPDATE, 0),
        (0, 10, rm.ROLLING_UPDATE, 0),
        (10, None, rm.RECREATE, 0),
        (10, "60%", rm.ROLLING_UPDATE, 4),
        (10, "100%", rm.ROLLING_UPDATE, 0),
        (5, "100%", rm.ROLLING_UPDATE, 0),
    ],
    ids=[
        "replicas greater than maxUnavailable",
        "replicas equal maxUnavailable",
        "replicas less than maxUnavailable",
        "replicas is 0",
        "minAvailable with Recreate deployment strategy",
        "replicas greater than maxUnavailable with percents",
        "replicas equal maxUnavailable with percents",
        "replicas less than maxUnavailable with percents",
    ],
)
def test_min_available(replicas, unavailable, strategy, expected):
    # TestMinAvailable: maxSurge is 1 in every case.
    assert rm.min_available(replicas, 1, unavailable, strategy) == expected


@pytest.mark.parametrize(
    "replicas, surge, unavailable, strategy, expected",
    [
        (10, "25%", "25%", rm.ROLLING_UPDATE, 3),
        (3, "25%", "25%", rm.ROLLING_UPDATE, 1),
        (10, 0, 0, rm.ROLLING_UPDATE, 0),
        (10, 3, 2, rm.RECREATE, 0),
    ],
    ids=["percent rounds up", "small deployment", "both zero keeps surge zero", "Recreate has no surge"],
)
def test_max_surge(replicas, surge, unavailable, strategy, expected):
    assert rm.max_surge(replicas, surge, unavailable, strategy) == expected


# TestNewRSNewReplicas: maxUnavailable 1; Go passes allRSs = [rs5] only, so the sum is 5.
@pytest.mark.parametrize(
    "strategy, dep_replicas, new_rs_replicas, surge, expected",
    [
        (rm.ROLLING_UPDATE, 1, 5, 1, 5),
        (rm.ROLLING_UPDATE, 6, 2, 10, 6),
        (rm.RECREATE, 3, 1, 1, 3),
    ],
    ids=["can not scale up - to newRSReplicas", "scale up - to depReplicas", "recreate - to depReplicas"],
)
def test_new_rs_new_replicas(strategy, dep_replicas, new_rs_replicas, surge, expected):
    assert rm.new_rs_new_replicas(dep_replicas, surge, 1, new_rs_replicas, [5], strategy) == expected


def test_new_rs_new_replicas_unknown_strategy():
    with pytest.raises(ValueError, match="deployment type Canary isn't supported"):
        rm.new_rs_new_replicas(3, 1, 0, 0, [3], "Canary")


# TestGetReplicaCountForReplicaSets: rs1 1/2, rs2 2/3, rs3 3/0, rs4 1/1 (spec/status replicas);
# the same sum serves GetReplicaCountForReplicaSets (spec) and GetActualReplicaCountForReplicaSets (status).
RS_COUNTS = {"rs1": (1, 2), "rs2": (2, 3), "rs3": (3, 0), "rs4": (1, 1)}


@pytest.mark.parametrize(
    "names, expected_count, expected_actual",
    [
        (["rs1"], 1, 2),
        (["rs1", "rs2"], 3, 5),
        (["rs3"], 3, 0),
        (["rs1", "rs2", "rs3"], 6, 5),
        (["rs4"], 1, 1),
        (["rs1", "rs2", "rs3", "rs4"], 7, 6),
    ],
    ids=[
        "scaling down rs1",
        "scaling down rs1 and rs2",
        "scaling up rs3",
        "scaling down rs1 and rs2 and scaling up rs3",
        "invalid/unknown terminating status for rs4",
        "invalid/unknown terminating status for rs4 with rs1, rs2 and rs3",
    ],
)
def test_get_replica_count_for_replica_sets(names, expected_count, expected_actual):
    assert rm.get_replica_count_for_replica_sets([RS_COUNTS[n][0] for n in names]) == expected_count
    assert rm.get_replica_count_for_replica_sets([RS_COUNTS[n][1] for n in names]) == expected_actual


def test_get_replica_count_skips_missing_replica_sets():
    assert rm.get_replica_count_for_replica_sets([3, None, 4]) == 7
    assert rm.get_replica_count_for_replica_sets([]) == 0


def _status(current, updated, available, ready=0, observed=0):
    return {"replicas": current, "updated_replicas": updated, "available_replicas": available,
            "ready_replicas": ready, "observed_generation": observed}


# TestDeploymentComplete: deployment(desired, current, updated, available, maxUnavailable, maxSurge)
@pytest.mark.parametrize(
    "desired, current, updated, available, expected",
    [
        (5, 5, 5, 4, False),
        (5, 5, 5, 3, False),
        (5, 5, 5, 5, True),
        (5, 5, 4, 5, False),
        (1, 2, 1, 1, False),
        (1, 1, 1, 0, False),
    ],
    ids=[
        "not complete: min but not all pods become available",
        "not complete: min availability is not honored",
        "complete",
        "not complete: all pods are available but not updated",
        "not complete: still running old pods",
        "not complete: one replica deployment never comes up",
    ],
)
def test_deployment_complete(desired, current, updated, available, expected):
    assert rm.deployment_complete(desired, 0, _status(current, updated, available)) is expected


def test_deployment_complete_needs_observed_generation():
    assert rm.deployment_complete(3, 2, _status(3, 3, 3, observed=1)) is False
    assert rm.deployment_complete(3, 2, _status(3, 3, 3, observed=2)) is True


# TestDeploymentProgressing: (current, updated, ready, available) old -> new
@pytest.mark.parametrize(
    "old, new, expected",
    [
        ((10, 4, 4, 4), (10, 6, 4, 4), True),
        ((10, 4, 4, 4), (10, 4, 4, 4), False),
        ((10, 4, 6, 6), (8, 4, 6, 6), True),
        ((10, 7, 3, 3), (10, 6, 3, 3), False),
        ((10, 4, 7, 7), (8, 8, 5, 5), True),
        ((10, 10, 9, 8), (10, 10, 10, 8), True),
        ((10, 10, 10, 9), (10, 10, 10, 10), True),
    ],
    ids=[
        "progressing: updated pods",
        "not progressing",
        "progressing: old pods removed",
        "not progressing: less new pods",
        "progressing: less overall but more new pods",
        "progressing: more ready pods",
        "progressing: more available pods",
    ],
)
def test_deployment_progressing(old, new, expected):
    def status(current, updated, ready, available):
        return _status(current, updated, available, ready=ready)
    assert rm.deployment_progressing(status(*old), status(*new)) is expected


# TestDeploymentTimedOut: times are minute:second on 2016-01-01, here milliseconds since
# midnight (the engine's clock).
@pytest.mark.parametrize(
    "deadline, reason, last_update, now, expected",
    [
        (None, "", 69_000, 80_000, False),
        (rm.MAX_INT32, "", 69_000, 80_000, False),
        (10, "", 69_000, 80_000, True),
        (10, "", 71_000, 80_000, False),
        (None, "NewReplicaSetAvailable", 0, 0, False),
        # Not in the Go table: the strict comparison (to the millisecond) and the sticky
        # timed-out reason.
        (10, "", 70_000, 80_000, False),
        (10, "", 69_999, 80_000, True),
        (10, "ProgressDeadlineExceeded", 79_000, 80_000, True),
        (10, "NewReplicaSetAvailable", 0, 80_000, False),
    ],
    ids=[
        "nil progressDeadlineSeconds specified - no timeout",
        "infinite progressDeadlineSeconds specified - no timeout",
        "progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s",
        "progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s",
        "previous status was a complete deployment",
        "exactly at the deadline is not yet timed out",
        "a millisecond past the deadline is",
        "already timed out stays timed out",
        "complete deployment with a deadline",
    ],
)
def test_deployment_timed_out(deadline, reason, last_update, now, expected):
    condition = {"type": "Progressing", "status": "True", "reason": reason, "last_update_time": last_update}
    assert rm.deployment_timed_out(deadline, condition, now) is expected


def test_deployment_timed_out_without_condition():
    assert rm.deployment_timed_out(10, None, 1_000_000) is False
