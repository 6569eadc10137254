"""The explanation sentences: each says the numbers it is given, in Kubernetes' terms."""
import pytest

from simulator.controllers.deployment import explain
from simulator.controllers.deployment import rollout_math as rm

CASES = {
    "scale-up within the surge": (
        lambda: explain.scaled_up("web-1", 1, 2, rm.SurgeRoom(3, 4), 3, 1),
        explain.SCALED_UP,
        "new ReplicaSet web-1 scaled up from 1 to 2: 4 pods of at most 4 (3 replicas + maxSurge 1)"),
    "old scaled down to the floor": (
        lambda: explain.scaled_down(["web-0"], 3, 2, rm.ScaleDownRoom(4, 2, 1), 3, 1),
        explain.SCALED_DOWN,
        "old ReplicaSet web-0 scaled down from 3 to 2: 3 available, minimum 2 "
        "(3 replicas − maxUnavailable 1), 1 new pod unavailable"),
    "the issue's stuck rollout": (
        lambda: explain.waiting(rm.ScaleDownRoom(4, 2, 2), rm.SurgeRoom(4, 4), 2, 2),
        explain.WAITING,
        "old ReplicaSet not scaled down: 2 available, minimum 2, 2 new pods unavailable; "
        "no room to surge (4 pods of at most 4)"),
    "a first rollout has no old ReplicaSet": (
        lambda: explain.waiting(rm.ScaleDownRoom(3, 2, 3), rm.SurgeRoom(3, 4), 0, 0),
        explain.WAITING,
        "waiting for the new ReplicaSet: 0 of 3 pods available, 3 new pods unavailable"),
    "the deadline": (
        lambda: explain.deadline_exceeded(600), explain.DEADLINE,
        "ProgressDeadlineExceeded: no progress for 600 s — Kubernetes does not roll back by "
        "itself (`kubectl rollout undo` does)"),
    "Recreate waits for one old pod": (
        lambda: explain.recreate_waiting(1), explain.RECREATE_WAITING,
        "Recreate: new ReplicaSet waits until 1 old pod has terminated (no pods serve meanwhile)"),
}


@pytest.mark.parametrize("build, reason, message", CASES.values(), ids=CASES.keys())
def test_sentences(build, reason, message):
    said = build()
    assert (said.reason, said.message) == (reason, message)


def test_the_numbers_are_the_sentence_s():
    said = explain.waiting(rm.ScaleDownRoom(4, 2, 2), rm.SurgeRoom(4, 4), 2, 2)
    assert said.numbers == {"available": 2, "min_available": 2, "new_unavailable": 2,
                            "old_pods": 2, "pods": 4, "max_pods": 4}


DIAGNOSES = {
    "nothing to say": ({}, None),
    "starting only": ({explain.STARTING: 2}, (explain.WAITING, "new pods: 2 starting")),
    "a failing readiness probe stalls": (
        {explain.READINESS_FAILING: 2, explain.STARTING: 1},
        (explain.STALLED, "rollout stalled: readiness probe failing on 2 new pods")),
    "pulls and crashes": (
        {explain.IMAGE_PULL_FAILING: 1, explain.CRASHING: 3},
        (explain.STALLED, "rollout stalled: image pull failing on 1 new pod, crashing on 3 new pods")),
}


@pytest.mark.parametrize("causes, expected", DIAGNOSES.values(), ids=DIAGNOSES.keys())
def test_diagnose(causes, expected):
    note = explain.diagnose(causes)
    assert (note if note is None else (note["reason"], note["message"])) == expected
