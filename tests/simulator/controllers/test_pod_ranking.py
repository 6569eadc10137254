"""controller_utils_test.go TestSortingActivePodsWithRanks and replica_set_test.go
TestGetPodsToDelete, ported to simulator.controllers.pod_ranking."""

import pytest

from simulator.controllers import pod_ranking as pr

# instants are the engine's integer milliseconds
S = 1000
NOW = 1_000_000_000 * S
MONTH = NOW - 31 * 86400 * S
H2, H5, H8 = NOW - 2 * 3600 * S, NOW - 5 * 3600 * S, NOW - 8 * 3600 * S


def _pod(name, node, phase, ready, restarts=0, ready_since=None, created=None, cost=None, uid=""):
    return {"name": name, "node": node, "phase": phase, "ready": ready, "restarts": restarts,
            "ready_since": ready_since if ready else None, "created": created, "deletion_cost": cost, "uid": uid}


P = {
    "unscheduled": _pod("unscheduled", "", "Pending", False),
    "pending": _pod("pending", "node", "Pending", False),
    "unknown-phase": _pod("unknown-phase", "node", "Unknown", False),
    "not-ready": _pod("not-ready", "node", "Running", False),
    "ready-no-last-transition-time": _pod("ready-no-last-transition-time", "node", "Running", True),
    "ready-now": _pod("ready-now", "node", "Running", True, 0, NOW, NOW),
    "ready-then": _pod("ready-then", "node", "Running", True, 0, MONTH, MONTH),
    "ready-high-restarts": _pod("ready-high-restarts", "node", "Running", True, 9001, NOW, NOW),
    "ready-now-created-then": _pod("ready-now-created-then", "node", "Running", True, 0, NOW, MONTH),
    "low-deletion-cost": _pod("low-deletion-cost", "node", "Running", True, 0, NOW, MONTH, "10"),
    "high-deletion-cost": _pod("high-deletion-cost", "node", "Running", True, 0, NOW, MONTH, "100"),
    "unscheduled-5-hours": _pod("unscheduled-5-hours", "", "Pending", False, 0, H5, H5),
    "unscheduled-10-hours": _pod("unscheduled-10-hours", "", "Pending", False, 0, H8, H8),
    "ready-2-hours": _pod("ready-2-hours", "", "Running", True, 0, H2, MONTH),
    "ready-5-hours": _pod("ready-5-hours", "", "Running", True, 0, H5, MONTH),
    "ready-10-hours": _pod("ready-10-hours", "", "Running", True, 0, H8, MONTH),
}

EQUAL = [
    ("unscheduled", "unscheduled"), ("pending", "pending"), ("unknown-phase", "unknown-phase"),
    ("not-ready", "not-ready"), ("ready-now-created-then", "ready-now-created-then"),
    ("ready-now", "ready-now"), ("ready-then", "ready-then"), ("ready-high-restarts", "ready-high-restarts"),
    ("ready-now-created-then", "ready-now-created-then"),
    ("unscheduled-5-hours", "unscheduled-10-hours"), ("ready-5-hours", "ready-10-hours"),
]


@pytest.mark.parametrize("p1, p2", EQUAL, ids=[f"Equality tests {i}" for i in range(len(EQUAL))])
def test_equal_pods(p1, p2):
    assert not pr.less(P[p1], P[p2], 1, 1, NOW)
    assert not pr.less(P[p2], P[p1], 1, 1, NOW)


# (lesser, rank, greater, rank); the Go case that disables PodDeletionCost is not ported
# (the simulator runs the default feature gates).
INEQUAL = [
    ("unscheduled", 1, "pending", 2),
    ("unscheduled", 2, "pending", 1),
    ("pending", 1, "unknown-phase", 2),
    ("unknown-phase", 1, "not-ready", 2),
    ("not-ready", 1, "ready-no-last-transition-time", 1),
    ("ready-no-last-transition-time", 1, "ready-now", 1),
    ("ready-now", 2, "ready-no-last-transition-time", 1),
    ("ready-now", 1, "ready-then", 1),
    ("ready-now", 2, "ready-then", 1),
    ("ready-high-restarts", 1, "ready-now", 1),
    ("ready-now", 2, "ready-high-restarts", 1),
    ("ready-now", 1, "ready-now-created-then", 1),
    ("ready-now-created-then", 2, "ready-now", 1),
    ("low-deletion-cost", 2, "high-deletion-cost", 1),
    ("ready-2-hours", 1, "ready-5-hours", 1),
]


@pytest.mark.parametrize("lesser, lesser_rank, greater, greater_rank", INEQUAL,
                         ids=[f"Inequality tests {i}" for i in (*range(14), 15)])
def test_unequal_pods(lesser, lesser_rank, greater, greater_rank):
    assert pr.less(P[lesser], P[greater], lesser_rank, greater_rank, NOW)
    assert not pr.less(P[greater], P[lesser], greater_rank, lesser_rank, NOW)


@pytest.mark.parametrize(
    "value, expected",
    [(None, 0), ("7", 7), ("-3", -3), ("0", 0), ("x", 0), (5, 5), (str(2**31), 0), ("+10", 0), ("008", 0), ("", 0)],
    ids=["unset", "positive", "negative", "zero", "not a number", "int", "out of range", "plus sign",
         "leading zeros", "empty"],
)
def test_deletion_cost_parsing(value, expected):
    assert pr.deletion_cost(value) == expected


# TestGetPodsToDelete
UNSCHEDULED = _pod("unscheduled-pending-pod", None, "Pending", False)
PENDING = _pod("scheduled-pending-pod", "fake-node", "Pending", False)
NOT_READY = _pod("scheduled-running-not-ready-pod", "fake-node", "Running", False)
READY_1 = _pod("scheduled-running-ready-pod-on-node-1", "fake-node-1", "Running", True)
READY_2 = _pod("scheduled-running-ready-pod-on-node-2", "fake-node-2", "Running", True)
NEWER_Z = _pod("newer-ready-pod-with-later-uid", "fake-node", "Running", True, 0, NOW - 100, NOW - 10 * S, uid="z")
OLDER_A = _pod("older-ready-pod-with-earlier-uid", "fake-node", "Running", True, 0, NOW - 120, NOW - 10 * S, uid="a")

DELETE_CASES = {
    "len(pods) = 0 (i.e., diff = 0 too)": ([], None, 0, []),
    "diff = len(pods)": ([NOT_READY, READY_1], None, 2, [NOT_READY, READY_1]),
    "diff < len(pods)": ([READY_1, NOT_READY], None, 1, [NOT_READY]),
    "various pod phases and conditions, diff = len(pods)": (
        [READY_1, READY_1, READY_2, NOT_READY, PENDING, UNSCHEDULED], None, 6,
        [READY_1, READY_1, READY_2, NOT_READY, PENDING, UNSCHEDULED]),
    "various pod phases and conditions, diff = len(pods), relatedPods empty": (
        [READY_1, READY_1, READY_2, NOT_READY, PENDING, UNSCHEDULED], [], 6,
        [READY_1, READY_1, READY_2, NOT_READY, PENDING, UNSCHEDULED]),
    "scheduled vs unscheduled, diff < len(pods)": ([PENDING, UNSCHEDULED], None, 1, [UNSCHEDULED]),
    "ready vs not-ready, diff < len(pods)": ([READY_1, NOT_READY, NOT_READY], None, 2, [NOT_READY, NOT_READY]),
    "ready and colocated with another ready pod vs not colocated, diff < len(pods)": (
        [READY_1, READY_2], [READY_1, READY_2, READY_2], 1, [READY_2]),
    "pending vs running, diff < len(pods)": ([PENDING, NOT_READY], None, 1, [PENDING]),
    "various pod phases and conditions, diff < len(pods)": (
        [READY_1, READY_2, NOT_READY, PENDING, UNSCHEDULED], None, 3, [UNSCHEDULED, PENDING, NOT_READY]),
    # Not in the Go table: ready 100 ms vs 120 ms fall in one log2 bucket, so the UID decides.
    "ready time logarithmic tie sorts by UID, diff < len(pods)": ([NEWER_Z, OLDER_A], None, 1, [OLDER_A]),
}


@pytest.mark.parametrize("case", DELETE_CASES.values(), ids=DELETE_CASES.keys())
def test_pods_to_delete(case):
    pods, related, count, expected = case
    assert pr.pods_to_delete(pods, count, related, now=NOW) == [p["name"] for p in expected]


def test_pods_to_delete_whole_order():
    # The full deletion preference over a mixed set, most deletable first.
    pods = [P["ready-then"], P["ready-now"], P["not-ready"], P["unscheduled"], P["pending"],
            P["ready-high-restarts"], P["unknown-phase"]]
    assert pr.pods_to_delete(pods, 6, now=NOW) == [
        "unscheduled", "pending", "unknown-phase", "not-ready", "ready-high-restarts", "ready-now"]


def test_deletion_order_uses_precomputed_ranks():
    a = dict(READY_1, rank=1, now=NOW)
    b = dict(READY_2, rank=3, now=NOW)
    assert pr.deletion_order([a, b]) == [READY_2["name"], READY_1["name"]]
    assert pr.deletion_order([]) == []


def test_spreads_survivors_across_nodes():
    # Six ready pods, four on node-a, two on node-b: deleting two takes them from node-a.
    pods = [_pod(f"p{i}", "node-a" if i < 4 else "node-b", "Running", True, 0, NOW - 100 * S, NOW - 100 * S,
                 uid=str(i))
            for i in range(6)]
    victims = pr.pods_to_delete(pods, 2, now=NOW)
    assert all(int(name[1:]) < 4 for name in victims)
