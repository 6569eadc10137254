"""Condition helpers (deployment_util_test.go TestGetCondition/TestSetCondition/TestRemoveCondition)
and progress.go (progress_test.go TestSyncRolloutStatus, TestRequeueStuckDeployment), ported to
simulator.controllers.deployment.conditions."""

import pytest

from simulator.controllers.deployment import conditions as cd
from simulator.controllers.deployment import rollout_math as rm

# instants are the engine's integer milliseconds: T0 is 00:00:00, NOW 00:16:40
T0, NOW = 0, 1_000_000


def _cond(cond_type, status, reason, update=T0, transition=T0, message=""):
    return {"type": cond_type, "status": status, "reason": reason, "message": message,
            "last_update_time": update, "last_transition_time": transition}


COND_PROGRESSING = _cond(cd.PROGRESSING, cd.FALSE, "ForSomeReason")
COND_PROGRESSING_2 = _cond(cd.PROGRESSING, cd.TRUE, "BecauseItIs")
COND_AVAILABLE = _cond(cd.AVAILABLE, cd.TRUE, "AwesomeController")


@pytest.mark.parametrize("cond_type, expected", [(cd.AVAILABLE, True), (cd.REPLICA_FAILURE, False)],
                         ids=["condition exists", "condition does not exist"])
def test_get_condition(cond_type, expected):
    assert (cd.get_condition([COND_PROGRESSING, COND_AVAILABLE], cond_type) is not None) is expected


@pytest.mark.parametrize(
    "conditions, condition, expected",
    [
        ([], COND_AVAILABLE, [COND_AVAILABLE]),
        ([COND_PROGRESSING], COND_AVAILABLE, [COND_PROGRESSING, COND_AVAILABLE]),
        ([COND_PROGRESSING], COND_PROGRESSING_2, [COND_PROGRESSING_2]),
    ],
    ids=["set for the first time", "simple set", "overwrite"],
)
def test_set_condition(conditions, condition, expected):
    assert cd.set_condition(conditions, condition) == expected


def test_set_condition_same_status_and_reason_keeps_timestamps():
    old = _cond(cd.PROGRESSING, cd.TRUE, cd.REPLICA_SET_UPDATED_REASON, 5000, 5000)
    new = _cond(cd.PROGRESSING, cd.TRUE, cd.REPLICA_SET_UPDATED_REASON, 9000, 9000)
    assert cd.set_condition([old], new) == [old]


def test_set_condition_same_status_new_reason_keeps_transition_time_and_moves_to_end():
    old = _cond(cd.PROGRESSING, cd.TRUE, cd.REPLICA_SET_UPDATED_REASON, 5000, 5000)
    new = _cond(cd.PROGRESSING, cd.TRUE, cd.NEW_RS_AVAILABLE_REASON, 9000, 9000)
    assert cd.set_condition([old, COND_AVAILABLE], new) == [COND_AVAILABLE, dict(new, last_transition_time=5000)]


@pytest.mark.parametrize(
    "conditions, cond_type, expected",
    [
        ([], cd.PROGRESSING, []),
        ([COND_PROGRESSING], cd.PROGRESSING, []),
        ([COND_PROGRESSING, COND_AVAILABLE], cd.REPLICA_FAILURE, [COND_PROGRESSING, COND_AVAILABLE]),
    ],
    ids=["remove from empty status", "simple remove", "doesn't remove anything"],
)
def test_remove_condition(conditions, cond_type, expected):
    assert cd.remove_condition(conditions, cond_type) == expected


FAILED_TIMED_OUT = _cond(cd.PROGRESSING, cd.FALSE, cd.TIMED_OUT_REASON)
NEW_RS_AVAILABLE = _cond(cd.PROGRESSING, cd.TRUE, cd.NEW_RS_AVAILABLE_REASON)
REPLICA_SET_UPDATED = _cond(cd.PROGRESSING, cd.TRUE, cd.REPLICA_SET_UPDATED_REASON)


def _rs(name, spec, status, available):
    """newRSWithAvailable(name, specReplicas, statusReplicas, availableReplicas)."""
    return {"name": name, "replicas": spec, "status_replicas": status, "ready": 0, "available": available}


# TestSyncRolloutStatus: currentDeployment(pds, replicas, statusReplicas, updated, available, conditions)
# is a Recreate Deployment "progress-test" at generation 0; pds 60 s; the conditions were written at T0.
# Expected: (status, reason, last_update_time, last_transition_time) or None for "no Progressing condition".
SYNC_CASES = {
    "General: remove Progressing condition and do not estimate progress if deployment has no Progress Deadline": (
        None, 3, (2, 2, 2), [REPLICA_SET_UPDATED], [_rs("bar", 0, 1, 1)], _rs("foo", 3, 2, 2), None),
    "General: do not estimate progress of deployment with only one active ReplicaSet": (
        60, 3, (3, 3, 3), [NEW_RS_AVAILABLE], [_rs("bar", 3, 3, 3)], None,
        (cd.TRUE, cd.NEW_RS_AVAILABLE_REASON, T0, T0)),
    "DeploymentProgressing: dont update lastTransitionTime if deployment already has Progressing=True": (
        60, 3, (2, 2, 2), [REPLICA_SET_UPDATED], [_rs("bar", 0, 1, 1)], _rs("foo", 3, 2, 2),
        (cd.TRUE, cd.REPLICA_SET_UPDATED_REASON, NOW, T0)),
    "DeploymentProgressing: update everything if deployment has Progressing=False": (
        60, 3, (2, 2, 2), [FAILED_TIMED_OUT], [_rs("bar", 0, 1, 1)], _rs("foo", 3, 2, 2),
        (cd.TRUE, cd.REPLICA_SET_UPDATED_REASON, NOW, NOW)),
    "DeploymentProgressing: create Progressing condition if it does not exist": (
        60, 3, (2, 2, 2), [], [_rs("bar", 0, 1, 1)], _rs("foo", 3, 2, 2),
        (cd.TRUE, cd.REPLICA_SET_UPDATED_REASON, NOW, NOW)),
    "DeploymentComplete: dont update lastTransitionTime if deployment already has Progressing=True": (
        60, 3, (3, 3, 3), [REPLICA_SET_UPDATED], [], _rs("foo", 3, 3, 3),
        (cd.TRUE, cd.NEW_RS_AVAILABLE_REASON, NOW, T0)),
    "DeploymentComplete: update everything if deployment has Progressing=False": (
        60, 3, (3, 3, 3), [FAILED_TIMED_OUT], [], _rs("foo", 3, 3, 3),
        (cd.TRUE, cd.NEW_RS_AVAILABLE_REASON, NOW, NOW)),
    "DeploymentComplete: create Progressing condition if it does not exist": (
        60, 3, (3, 3, 3), [], [], _rs("foo", 3, 3, 3), (cd.TRUE, cd.NEW_RS_AVAILABLE_REASON, NOW, NOW)),
    "DeploymentComplete: defend against NPE when newRS=nil": (
        60, 0, (3, 3, 3), [REPLICA_SET_UPDATED], [_rs("foo", 0, 0, 0)], None,
        (cd.TRUE, cd.NEW_RS_AVAILABLE_REASON, NOW, T0)),
    "DeploymentTimedOut: update status if rollout exceeds Progress Deadline": (
        60, 3, (2, 2, 2), [REPLICA_SET_UPDATED], [], _rs("foo", 3, 2, 2),
        (cd.FALSE, cd.TIMED_OUT_REASON, NOW, NOW)),
    "DeploymentTimedOut: do not update status if deployment has existing timedOut condition": (
        60, 3, (2, 2, 2), [FAILED_TIMED_OUT], [], _rs("foo", 3, 2, 2), (cd.FALSE, cd.TIMED_OUT_REASON, T0, T0)),
}


def _sync_rollout(pds, replicas, old_counts, conditions, old_rss, new_rs, now=NOW, replica_failure=None):
    current, updated, available = old_counts
    old_status = {"observed_generation": 0, "replicas": current, "updated_replicas": updated,
                  "available_replicas": available, "ready_replicas": 0, "conditions": conditions}
    all_rss = [*old_rss, *([new_rs] if new_rs else [])]
    new_status = cd.calculate_status(0, replicas, None, None, all_rss, new_rs, conditions, now, strategy=rm.RECREATE)
    return cd.sync_rollout_status("progress-test", 0, replicas, pds, old_status, new_status,
                                  new_rs["name"] if new_rs else None, now, replica_failure)


@pytest.mark.parametrize("case", SYNC_CASES.values(), ids=SYNC_CASES.keys())
def test_sync_rollout_status(case):
    *inputs, expected = case
    progressing = cd.get_condition(_sync_rollout(*inputs)["conditions"], cd.PROGRESSING)
    if expected is None:
        assert progressing is None
    else:
        got = (progressing["status"], progressing["reason"], progressing["last_update_time"],
               progressing["last_transition_time"])
        assert got == expected


@pytest.mark.parametrize(
    "case, message",
    [
        ("DeploymentProgressing: create Progressing condition if it does not exist", 'ReplicaSet "foo" is progressing.'),
        ("DeploymentComplete: create Progressing condition if it does not exist", 'ReplicaSet "foo" has successfully progressed.'),
        ("DeploymentComplete: defend against NPE when newRS=nil", 'Deployment "progress-test" has successfully progressed.'),
        ("DeploymentTimedOut: update status if rollout exceeds Progress Deadline", 'ReplicaSet "foo" has timed out progressing.'),
    ],
    ids=["progressing", "complete", "complete without new RS", "timed out"],
)
def test_sync_rollout_status_messages(case, message):
    *inputs, _ = SYNC_CASES[case]
    assert cd.get_condition(_sync_rollout(*inputs)["conditions"], cd.PROGRESSING)["message"] == message


def test_sync_rollout_status_replica_failure_copied_and_cleared():
    failure = cd.replica_failure_condition(
        [], [{"type": cd.REPLICA_FAILURE, "status": cd.TRUE, "reason": "FailedCreate",
              "message": 'pods "web-1" is forbidden: exceeded quota', "last_transition_time": 7000}])
    assert failure["last_update_time"] == 7000
    inputs = SYNC_CASES["DeploymentProgressing: create Progressing condition if it does not exist"][:-1]
    with_failure = _sync_rollout(*inputs, replica_failure=failure)
    assert cd.get_condition(with_failure["conditions"], cd.REPLICA_FAILURE)["reason"] == "FailedCreate"
    cleared = _sync_rollout(60, 3, (2, 2, 2), with_failure["conditions"], [_rs("bar", 0, 1, 1)], _rs("foo", 3, 2, 2))
    assert cd.get_condition(cleared["conditions"], cd.REPLICA_FAILURE) is None


def test_replica_failure_prefers_new_rs():
    new = [{"type": cd.REPLICA_FAILURE, "status": cd.TRUE, "reason": "New", "last_transition_time": 1000}]
    other = [{"type": cd.REPLICA_FAILURE, "status": cd.TRUE, "reason": "Old", "last_transition_time": 2000}]
    assert cd.replica_failure_condition(new, other)["reason"] == "New"
    assert cd.replica_failure_condition([], []) is None


STUCK = [_cond(cd.PROGRESSING, cd.TRUE, "", update=T0)]
FAILED = [_cond(cd.PROGRESSING, cd.FALSE, cd.TIMED_OUT_REASON)]


# TestRequeueStuckDeployment: pds 60, last progress at T0 (18:49:00 in Go). Go's table uses
# nanoseconds ("less than a second": 59 s + 1 ns); the engine's clock counts milliseconds,
# so that case is 59.001 s: 999 ms left, still less than a second.
@pytest.mark.parametrize(
    "pds, replicas, conditions, new_counts, now, expected",
    [
        (None, 4, None, (3, 3, 2), NOW, None),
        (60, 4, None, (3, 3, 2), NOW, None),
        (60, 3, None, (3, 3, 3), NOW, None),
        (60, 3, FAILED, (3, 3, 0), NOW, None),
        (60, 3, STUCK, (3, 3, 1), 30_000, 30_000),
        (60, 3, STUCK, (3, 3, 1), 59_000, 1_000),
        (60, 3, STUCK, (3, 3, 1), 59_001, 0),
        (60, 3, STUCK, (3, 3, 1), 60_000, 0),
        (60, 3, STUCK, (3, 3, 1), 61_000, 0),
        (60, 3, STUCK, (3, 3, 1), 120_000, 0),
    ],
    ids=[
        "no progressDeadlineSeconds specified",
        "no progressing condition found",
        "complete deployment does not need to be requeued",
        "already failed deployment does not need to be requeued",
        "stuck deployment - 30s",
        "stuck deployment - 1s",
        "failed deployment - less than a second => now",
        "failed deployment - now",
        "failed deployment - 1s after deadline",
        "failed deployment - 60s after deadline",
    ],
)
def test_progress_check_after(pds, replicas, conditions, new_counts, now, expected):
    current, updated, available = new_counts
    new_status = {"observed_generation": 0, "replicas": current, "updated_replicas": updated,
                  "available_replicas": available}
    assert cd.progress_check_after(pds, conditions, replicas, 0, new_status, now) == expected


@pytest.mark.parametrize(
    "paused, pds, conditions, expected",
    [
        (True, 600, [REPLICA_SET_UPDATED], (cd.UNKNOWN, cd.PAUSED_DEPLOY_REASON, cd.PAUSED_MESSAGE)),
        (True, 600, [_cond(cd.PROGRESSING, cd.UNKNOWN, cd.PAUSED_DEPLOY_REASON)], None),
        (False, 600, [_cond(cd.PROGRESSING, cd.UNKNOWN, cd.PAUSED_DEPLOY_REASON)],
         (cd.UNKNOWN, cd.RESUMED_DEPLOY_REASON, cd.RESUMED_MESSAGE)),
        (False, 600, [REPLICA_SET_UPDATED], None),
        (True, 600, [FAILED_TIMED_OUT], None),
        (True, None, [REPLICA_SET_UPDATED], None),
        (True, rm.MAX_INT32, [], None),
        (True, 600, [], (cd.UNKNOWN, cd.PAUSED_DEPLOY_REASON, cd.PAUSED_MESSAGE)),
    ],
    ids=["pause", "already paused", "resume", "never paused", "timed out is kept", "no deadline",
         "infinite deadline", "pause without condition"],
)
def test_paused_conditions(paused, pds, conditions, expected):
    result = cd.paused_conditions(paused, pds, conditions, NOW)
    if expected is None:
        assert result is None
    else:
        progressing = cd.get_condition(result, cd.PROGRESSING)
        assert (progressing["status"], progressing["reason"], progressing["message"]) == expected
        assert progressing["last_update_time"] == NOW


@pytest.mark.parametrize(
    "replicas, surge, unavailable, strategy, rss, expected",
    [
        (3, "25%", "25%", rm.ROLLING_UPDATE, [_rs("a", 3, 3, 2)], (cd.FALSE, cd.MINIMUM_REPLICAS_UNAVAILABLE)),
        (4, "25%", "25%", rm.ROLLING_UPDATE, [_rs("a", 4, 4, 3)], (cd.TRUE, cd.MINIMUM_REPLICAS_AVAILABLE)),
        (3, None, None, rm.RECREATE, [_rs("a", 3, 3, 2)], (cd.FALSE, cd.MINIMUM_REPLICAS_UNAVAILABLE)),
        (0, None, None, rm.RECREATE, [], (cd.TRUE, cd.MINIMUM_REPLICAS_AVAILABLE)),
    ],
    ids=["rolling 3 needs all", "rolling 4 may miss one", "Recreate needs all", "no replicas"],
)
def test_calculate_status_available_condition(replicas, surge, unavailable, strategy, rss, expected):
    status = cd.calculate_status(1, replicas, surge, unavailable, rss, rss[0] if rss else None, [], NOW,
                                 strategy=strategy)
    available = cd.get_condition(status["conditions"], cd.AVAILABLE)
    assert (available["status"], available["reason"]) == expected


def test_calculate_status_counts():
    # Old RS 2 (spec) / 2 (pods, both available); new RS 3 (spec) / 2 (pods) / 1 ready / 0 available.
    old = {"replicas": 2, "status_replicas": 2, "ready": 2, "available": 2}
    new = {"replicas": 3, "status_replicas": 2, "ready": 1, "available": 0}
    status = cd.calculate_status(4, 3, 1, 1, [old, new], new, [], NOW, collision_count=2)
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observed_generation": 4, "replicas": 4, "updated_replicas": 2, "ready_replicas": 3,
        "available_replicas": 2, "unavailable_replicas": 3, "collision_count": 2}
    assert cd.get_condition(status["conditions"], cd.AVAILABLE)["message"] == cd.MINIMUM_AVAILABLE_MESSAGE


@pytest.mark.parametrize(
    "message, expected",
    [
        (cd.created_new_rs_message("web-7c5ddbdf54"), 'Created new replica set "web-7c5ddbdf54"'),
        (cd.found_new_rs_message("web-7c5ddbdf54"), 'Found new replica set "web-7c5ddbdf54"'),
        (cd.failed_rs_create_message("web-1", "quota"), 'Failed to create new replica set "web-1": quota'),
        (cd.progressing_message("web", "web-1"), 'ReplicaSet "web-1" is progressing.'),
        (cd.progressing_message("web", None), 'Deployment "web" is progressing.'),
        (cd.timed_out_message("web", None), 'Deployment "web" has timed out progressing.'),
        (cd.scaling_replica_set_message("web-1", 1, 3), "Scaled up replica set web-1 from 1 to 3"),
        (cd.scaling_replica_set_message("web-1", 3, 2), "Scaled down replica set web-1 from 3 to 2"),
        (cd.scaling_replica_set_message("web-1", 0, 3), "Scaled up replica set web-1 from 0 to 3"),
        (cd.scaling_replica_set_message("web-1", 4, 4, "up"), "Scaled up replica set web-1 from 4 to 4"),
    ],
    ids=["created", "found", "create error", "progressing", "progressing without RS", "timed out without RS",
         "scaled up", "scaled down", "created at size", "explicit direction"],
)
def test_messages(message, expected):
    assert message == expected
