"""The pod budget's arithmetic: what each object asks for, when a change is refused, and
the limit a refusal names."""
import pytest

from simulator.api.pod_budget import demand, max_replicas, refusals


def rolling(replicas, surge, unavailable="25%"):
    return {"replicas": replicas, "strategy": {"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": surge, "maxUnavailable": unavailable}}}


RECREATE = {"replicas": 10, "strategy": {"type": "Recreate"}}


@pytest.mark.parametrize("kind, spec, expected", [
    ("Deployment", rolling(10, "25%"), 13),       # surge rounds up: ceil(2.5)
    ("Deployment", rolling(3, "25%"), 4),
    ("Deployment", rolling(10, 3), 13),
    ("Deployment", rolling(10, "0%", 1), 10),
    ("Deployment", rolling(0, 2), 2),              # an absolute surge counts even at 0 replicas
    ("Deployment", rolling(0, "50%"), 0),
    ("Deployment", RECREATE, 10),                  # Recreate never surges
    ("ReplicaSet", {"replicas": 7}, 7),
    ("ReplicaSet", {}, 1),                         # replicas defaults to 1
], ids=["25% of 10 rounds up", "25% of 3", "absolute surge", "no surge", "absolute surge at 0",
        "percentage of 0", "Recreate", "ReplicaSet", "ReplicaSet default"])
def test_demand(kind, spec, expected):
    assert demand(kind, spec) == expected


@pytest.mark.parametrize("spec, room, expected", [
    (rolling(1, "25%"), 5000, 4000),
    (rolling(1, "25%"), 4999, 3999),   # 3999 + 1000 = 4999; 4000 + 1000 would be 5000
    (rolling(1, 1), 5000, 4999),
    (rolling(1, "100%"), 5, 2),        # 2 + 2 = 4 fits, 3 + 3 = 6 does not
    (RECREATE, 12, 12),
    (rolling(1, 5), 3, -1),            # not even 0 fits beside a surge of 5
    (rolling(1, 1), -4, -1),
], ids=["25%", "25% just below", "absolute surge", "100%", "Recreate", "nothing fits",
        "no room at all"])
def test_max_replicas(spec, room, expected):
    assert max_replicas("Deployment", spec, room) == expected


WEB = ("Deployment", "web")


@pytest.mark.parametrize("current, planned, refused", [
    ({}, {WEB: ("Deployment", rolling(4000, "25%"))}, False),              # 5000: at the limit
    ({}, {WEB: ("Deployment", rolling(4001, "25%"))}, True),
    ({WEB: 13}, {WEB: ("Deployment", rolling(10, "25%"))}, False),          # unchanged
    ({("ReplicaSet", "bare"): 4990}, {WEB: ("Deployment", rolling(8, "25%"))}, False),
    ({("ReplicaSet", "bare"): 4990}, {WEB: ("Deployment", rolling(9, "25%"))}, True),
    # a simulation already above its budget (restored from one with a larger budget):
    ({WEB: 9000}, {WEB: ("Deployment", rolling(100, "25%"))}, False),       # shrinking: admitted
    ({WEB: 9000}, {WEB: ("Deployment", rolling(7300, "25%"))}, True),       # growing: refused
], ids=["exactly the budget", "one over", "unchanged", "room beside others", "no room beside others",
        "shrinking above the budget", "growing above the budget"])
def test_refusals(current, planned, refused):
    errors = refusals(5000, current, planned)
    assert bool(errors) is refused
    if refused:
        assert [e.field for e in errors.values()] == ["spec.replicas"]


def test_a_refusal_names_the_limit_and_the_budget():
    errors = refusals(5000, {("ReplicaSet", "bare"): 1000},
                      {WEB: ("Deployment", rolling(1_000_000_000, "25%"))})
    assert errors[WEB].message == (
        "Invalid value: 1000000000: must be less than or equal to 3200 within this simulation's "
        "pod budget of 5000 for replicas + maxSurge of all Deployments and ReplicaSets "
        "(1000 used by the others)")


def test_every_growing_object_of_one_plan_is_named():
    a, b = ("Deployment", "a"), ("Deployment", "b")
    errors = refusals(10, {}, {a: ("Deployment", rolling(5, 1)), b: ("Deployment", rolling(5, 1))})
    assert set(errors) == {a, b}
    assert "must be less than or equal to 3 " in errors[a].message   # 3 + 1 beside 5 + 1


def test_no_room_at_all_is_worded_without_a_negative_limit():
    errors = refusals(10, {("ReplicaSet", "bare"): 10}, {WEB: ("Deployment", rolling(1, 1))})
    assert errors[WEB].message.startswith("Invalid value: 1: exceeds this simulation's pod budget of 10")
