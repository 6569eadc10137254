"""rolling_test.go and recreate_test.go tables ported to simulator.controllers.deployment.rollout_math (strategy steps).

The Go tables of reconcileOldReplicaSets, cleanupUnhealthyReplicas and
scaleDownOldReplicaSetsForRollingUpdate are numbered scenarios; they keep those numbers as ids.
"""

import pytest

from simulator.controllers.deployment import rollout_math as rm


# TestDeploymentController_reconcileNewReplicaSet (feature-gate-free cases): maxUnavailable 0.
@pytest.mark.parametrize(
    "replicas, surge, old, new, expected",
    [
        (10, 0, 10, 0, 0),
        (10, 2, 10, 0, 2),
        (10, 2, 5, 0, 7),
        (10, 2, 10, 2, 2),
        (10, 2, 2, 11, 10),
    ],
    ids=[
        "should not scale up when old replica set is fully saturated",
        "should scale up according to the maxSurge when old replica set is fully saturated",
        "should scale up according to the maxSurge",
        "should not scale when maxSurge is fully saturated",
        "should scale down when there are replicas above maxSurge",
    ],
)
def test_reconcile_new_replica_set(replicas, surge, old, new, expected):
    assert rm.reconcile_new_replica_set(replicas, surge, 0, new, [old]) == expected


@pytest.mark.parametrize(
    "replicas, surge, new, old, expected",
    [
        (3, "25%", 0, [3], 1),   # v1 -> v2 of the tutorials: new RS starts at 1
        (10, 3, 0, [10], 3),     # new RS created already at min(surge, R)
        (10, 3, 5, [8], 5),      # stuck rollout: 8 + 5 = R + surge
        (3, "25%", 3, [], 3),    # already at size
    ],
    ids=["tutorial-3-replicas", "surge-3-of-10", "stuck-at-max-total", "nothing-to-do"],
)
def test_reconcile_new_replica_set_scenarios(replicas, surge, new, old, expected):
    assert rm.reconcile_new_replica_set(replicas, surge, "25%", new, old) == expected


# TestDeploymentController_reconcileOldReplicaSets: maxSurge 0. Go checks only whether
# scaling happened; the expected sizes are asserted too.
@pytest.mark.parametrize(
    "replicas, unavailable, old, new, old_available, new_available, expected_old",
    [
        (10, 0, 10, 0, 10, 0, 9),
        (10, 2, 10, 0, 10, 0, 8),
        (10, 2, 10, 0, 8, 0, 8),
        (10, 2, 10, 0, 9, 0, 8),
        (10, 2, 8, 2, 8, 0, 8),
    ],
    ids=[
        "scenario 0",
        "scenario 1",
        "scenario 2: unhealthy replicas from old replica sets cleaned up",
        "scenario 3: 1 unhealthy replica cleaned up and 1 ready pod scaled down",
        "scenario 4: unavailable pods of the new RS stop further old scale-down",
    ],
)
def test_reconcile_old_replica_sets(replicas, unavailable, old, new, old_available, new_available, expected_old):
    result = rm.reconcile_old_replica_sets(
        replicas, 0, unavailable,
        {"name": "foo-new", "replicas": new, "available": new_available},
        [{"name": "foo-old", "replicas": old, "available": old_available}],
    )
    assert result == [expected_old]


# TestDeploymentController_cleanupUnhealthyReplicas: one old RS of 10.
@pytest.mark.parametrize(
    "ready, max_cleanup, expected",
    [(8, 1, 1), (8, 3, 2), (8, 0, 0), (10, 3, 0)],
    ids=["scenario 0", "scenario 1", "scenario 2", "scenario 3"],
)
def test_cleanup_unhealthy_replicas(ready, max_cleanup, expected):
    sizes, cleaned = rm.cleanup_unhealthy_replicas([{"replicas": 10, "available": ready}], max_cleanup)
    assert cleaned == expected
    assert sizes == [10 - expected]


def test_cleanup_unhealthy_replicas_oldest_first_and_order_kept():
    old = [
        {"name": "b", "replicas": 3, "available": 1, "created": 20.0},
        {"name": "a", "replicas": 4, "available": 2, "created": 10.0},
    ]
    sizes, cleaned = rm.cleanup_unhealthy_replicas(old, 3)
    assert (sizes, cleaned) == ([2, 2], 3)


# TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate: maxSurge 0, no new RS.
@pytest.mark.parametrize(
    "replicas, unavailable, ready, old, expected_old",
    [
        (10, 0, 10, 10, 9),
        (10, 2, 10, 10, 8),
        (10, 2, 8, 10, 10),
        (10, 2, 10, 0, 0),
        (10, 2, 1, 10, 10),
    ],
    ids=["scenario 0", "scenario 1", "scenario 2", "scenario 3", "scenario 4"],
)
def test_scale_down_old_replica_sets(replicas, unavailable, ready, old, expected_old):
    sizes, removed = rm.scale_down_old_replica_sets(
        replicas, 0, unavailable, None, [{"name": "foo-v2", "replicas": old, "available": ready}])
    assert sizes == [expected_old]
    assert removed == old - expected_old


@pytest.mark.parametrize(
    "new_available, expected_sizes, expected_removed",
    [(3, [0, 0], 4), (1, [2, 0], 2), (0, [2, 1], 1)],
    ids=["everything-above-floor", "oldest-drained-first", "partial-oldest"],
)
def test_scale_down_drains_oldest_first(new_available, expected_sizes, expected_removed):
    # Given newest first; R=3, maxSurge 1, maxUnavailable 0 -> floor 3.
    old = [
        {"name": "v2", "replicas": 2, "available": 2, "created": 2.0},
        {"name": "v1", "replicas": 2, "available": 2, "created": 1.0},
    ]
    new = {"name": "v3", "replicas": 3, "available": new_available}
    sizes, removed = rm.scale_down_old_replica_sets(3, 1, 0, new, old)
    assert (sizes, removed) == (expected_sizes, expected_removed)


def test_scale_down_ignores_availability_of_inactive_old_sets():
    # An RS already at 0 whose status still reports available pods is not counted (FilterActiveReplicaSets).
    old = [
        {"name": "v1", "replicas": 0, "available": 5, "created": 1.0},
        {"name": "v2", "replicas": 3, "available": 3, "created": 2.0},
    ]
    sizes, removed = rm.scale_down_old_replica_sets(3, 1, 0, {"name": "v3", "replicas": 1, "available": 0}, old)
    assert (sizes, removed) == ([0, 3], 0)


def _rolling_walk(replicas, surge, unavailable, old_size, new_ready):
    """Drive reconcile steps as the controller does, new pods becoming available only if ``new_ready``."""
    old = {"name": "old", "replicas": old_size, "available": old_size, "created": 1.0}
    new = {"name": "new", "replicas": 0, "available": 0, "created": 2.0}
    for _ in range(50):
        grown = rm.reconcile_new_replica_set(replicas, surge, unavailable, new["replicas"], [old["replicas"]])
        if grown != new["replicas"]:
            new["replicas"] = grown
        else:
            (shrunk,) = rm.reconcile_old_replica_sets(replicas, surge, unavailable, new, [old])
            if shrunk == old["replicas"]:
                break
            old["replicas"] = shrunk
        # Old pods stay available as far as their RS keeps them; new ones become available if healthy.
        old["available"] = min(old["available"], old["replicas"])
        new["available"] = new["replicas"] if new_ready else 0
    return old["replicas"], new["replicas"]


@pytest.mark.parametrize(
    "replicas, surge, unavailable, new_ready, expected",
    [
        (10, 3, 2, False, (8, 5)),
        (3, 1, 1, False, (2, 2)),
        (3, 0, 1, False, (2, 1)),
        (3, "25%", "25%", True, (0, 3)),
        (10, 3, 2, True, (0, 10)),
    ],
    ids=["stuck 10/3/2", "stuck 3/1/1", "stuck 3/0/1", "healthy 3/25%/25%", "healthy 10/3/2"],
)
def test_rolling_update_end_states(replicas, surge, unavailable, new_ready, expected):
    # The semantics write-up's section 4.4: a broken rollout stalls at old = minAvailable.
    assert _rolling_walk(replicas, surge, unavailable, replicas, new_ready) == expected


# TestOldPodsRunning: (status.replicas of old RSs, phases of pods owned by old RSs)
@pytest.mark.parametrize(
    "status_replicas, phases, expected",
    [
        ([], [], False),
        ([0, 0], ["", "", "", ""], True),
        ([1], [], True),
        ([0], [], False),
        ([0], ["Failed", "Succeeded"], False),
        ([0], ["Unknown"], True),
        ([0], ["Pending"], True),
        ([0], ["Running"], True),
        ([0], ["Failed", "Succeeded", "Pending"], True),
    ],
    ids=[
        "no old RSs",
        "old RSs with running pods",
        "old RSs without pods but with non-zero status replicas",
        "old RSs without pods or non-zero status replicas",
        "old RSs with zero status replicas but pods in terminal state are present",
        "old RSs with zero status replicas but pod in unknown phase present",
        "old RSs with zero status replicas with pending pod present",
        "old RSs with zero status replicas with running pod present",
        "old RSs with zero status replicas but pods in terminal state and pending are present",
    ],
)
def test_old_pods_running(status_replicas, phases, expected):
    assert rm.old_pods_running(status_replicas, phases) is expected


def test_recreate_new_rs_goes_straight_to_replicas():
    assert rm.new_rs_new_replicas(5, None, None, 0, [0, 0], rm.RECREATE) == 5
    assert rm.max_unavailable(5, None, None, rm.RECREATE) == 0
