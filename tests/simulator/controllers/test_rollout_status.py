"""kubectl's rollout_status_test.go (TestDeploymentStatusViewerStatus), ported to
simulator.controllers.deployment.rollout_math.rollout_status, plus the progress-deadline error."""

import pytest

from simulator.controllers.deployment import rollout_math as rm


def _status(observed, replicas, updated, available, unavailable=0):
    return {"observed_generation": observed, "replicas": replicas, "updated_replicas": updated,
            "available_replicas": available, "unavailable_replicas": unavailable}


@pytest.mark.parametrize(
    "generation, spec_replicas, status, message, done",
    [
        (0, 1, _status(1, 1, 0, 1), 'Waiting for deployment "foo" rollout to finish: 0 out of 1 new replicas have been updated...\n', False),
        (1, 1, _status(1, 2, 1, 2), 'Waiting for deployment "foo" rollout to finish: 1 old replicas are pending termination...\n', False),
        (1, 2, _status(1, 2, 2, 1, 1), 'Waiting for deployment "foo" rollout to finish: 1 of 2 updated replicas are available...\n', False),
        (1, 2, _status(1, 2, 2, 2), 'deployment "foo" successfully rolled out\n', True),
        (2, 2, _status(1, 2, 2, 2), "Waiting for deployment spec update to be observed...\n", False),
    ],
    ids=["test1", "test2", "test3", "test4", "test5"],
)
def test_rollout_status(generation, spec_replicas, status, message, done):
    assert rm.rollout_status("foo", generation, spec_replicas, status) == (message, done)


TIMED_OUT = {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
             "message": 'ReplicaSet "foo-5b4f" has timed out progressing.', "last_update_time": 0.0,
             "last_transition_time": 0.0}
AVAILABLE = {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "message": "Deployment has minimum availability.", "last_update_time": 0.0,
             "last_transition_time": 0.0}


@pytest.mark.parametrize(
    "generation, conditions, expected",
    [
        (1, [AVAILABLE, TIMED_OUT], ('error: deployment "foo" exceeded its progress deadline\n', False)),
        # The spec update is checked before the deadline, as kubectl does.
        (2, [TIMED_OUT], ("Waiting for deployment spec update to be observed...\n", False)),
        (1, [AVAILABLE], ('Waiting for deployment "foo" rollout to finish: 2 of 3 updated replicas are available...\n', False)),
    ],
    ids=["past the deadline", "unobserved spec first", "other conditions ignored"],
)
def test_rollout_status_progress_deadline(generation, conditions, expected):
    status = _status(1, 3, 3, 2, 1)
    assert rm.rollout_status("foo", generation, 3, status, conditions) == expected


def test_rollout_status_stuck_rollout_of_the_tutorials():
    # 3 replicas, 1/1, new image never ready: 2 old + 2 new pods counted.
    status = _status(2, 4, 2, 2, 2)
    assert rm.rollout_status("hellok8s-deployment", 2, 3, status) == (
        'Waiting for deployment "hellok8s-deployment" rollout to finish: 2 out of 3 new replicas have been updated...\n',
        False)


def test_go_quote():
    assert rm.go_quote("web") == '"web"'
    assert rm.go_quote('a"b\\c') == '"a\\"b\\\\c"'
