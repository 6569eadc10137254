"""Property tests (hypothesis) of the controller arithmetic's invariants."""

import functools

from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator.controllers import pod_ranking as pr
from simulator.controllers.deployment import rollout_math as rm

int_or_percent = st.one_of(st.none(), st.integers(0, 20), st.integers(0, 100).map(lambda p: f"{p}%"))
replicas_st = st.integers(0, 60)


@given(int_or_percent, int_or_percent, replicas_st)
def test_fenceposts_never_both_zero(surge, unavailable, replicas):
    resolved = rm.resolve_fenceposts(surge, unavailable, replicas)
    assert resolved[0] >= 0 and resolved[1] >= 0 and resolved != (0, 0)
    if isinstance(surge, str):
        assert resolved[0] * 100 >= int(surge[:-1]) * replicas > (resolved[0] - 1) * 100
    assert 0 <= rm.max_unavailable(replicas, surge, unavailable) <= replicas


def _walk(replicas, surge, unavailable, old_size, healthy, seed_unready):
    """Run reconcile steps like rolloutRolling until nothing changes; check the invariants on the way."""
    old = {"name": "old", "replicas": old_size, "available": max(0, old_size - seed_unready), "created": 1.0}
    new = {"name": "new", "replicas": 0, "available": 0, "created": 2.0}
    ceiling = replicas + rm.max_surge(replicas, surge, unavailable)
    floor = rm.min_available(replicas, surge, unavailable)
    for _ in range(4 * (old_size + replicas) + 10):
        before_total = old["replicas"] + new["replicas"]
        grown = rm.reconcile_new_replica_set(replicas, surge, unavailable, new["replicas"], [old["replicas"]])
        if grown != new["replicas"]:
            # Scaling up never pushes the total above replicas + maxSurge (unless it already was).
            assert grown + old["replicas"] <= max(ceiling, before_total)
            new["replicas"] = grown
        else:
            available_before = old["available"] + new["available"]
            (shrunk,) = rm.reconcile_old_replica_sets(replicas, surge, unavailable, new, [old])
            assert 0 <= shrunk <= old["replicas"]
            if shrunk == old["replicas"]:
                return old, new
            # Old pods removed are unavailable ones first, then only down to minAvailable.
            removed_available = max(0, (old["replicas"] - shrunk) - (old["replicas"] - old["available"]))
            assert available_before - removed_available >= min(floor, available_before)
            old["replicas"] = shrunk
        old["available"] = min(old["available"], old["replicas"])
        new["available"] = new["replicas"] if healthy else 0
    raise AssertionError("the rollout did not settle")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 30), int_or_percent, int_or_percent, st.integers(0, 5))
def test_healthy_rolling_update_completes(replicas, surge, unavailable, seed_unready):
    old, new = _walk(replicas, surge, unavailable, replicas, True, min(seed_unready, replicas))
    assert (old["replicas"], new["replicas"]) == (0, replicas)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 30), int_or_percent, int_or_percent)
def test_broken_rolling_update_stalls_at_min_available(replicas, surge, unavailable):
    old, new = _walk(replicas, surge, unavailable, replicas, False, 0)
    resolved_surge = rm.max_surge(replicas, surge, unavailable)
    assert old["replicas"] == rm.min_available(replicas, surge, unavailable)
    assert new["replicas"] == min(replicas, replicas + resolved_surge - old["replicas"])


def _rs(i: int, size: int, old_replicas: int, ceiling: int) -> dict:
    return {"name": f"rs-{i}", "replicas": size, "available": 0, "created": float(i),
            "desired_replicas": str(old_replicas), "max_replicas": str(ceiling)}


@st.composite
def scaling_event(draw):
    old_replicas = draw(st.integers(1, 40))
    surge = draw(st.integers(0, 5))
    ceiling = old_replicas + surge
    count = draw(st.integers(2, 4))
    sizes = draw(st.lists(st.integers(1, ceiling), min_size=count, max_size=count).filter(lambda s: sum(s) <= ceiling))
    rss = [_rs(i, size, old_replicas, ceiling) for i, size in enumerate(sizes)]
    return draw(st.integers(0, 80)), surge, rss


@settings(max_examples=300, deadline=None)
@given(scaling_event())
# four RSs of 1 shrunk to 1 + 1 surge: every fraction rounds to 0 (0.5 away from zero is 1),
# the largest takes the whole leftover of -2 and is clamped at 0, leaving 3 (sync.go scale)
@example((1, 1, [_rs(i, 1, 3, 4) for i in range(4)]))
def test_proportional_scale_hands_out_exactly_the_allowed_size(event):
    """The total is replicas + maxSurge, except where Kubernetes' scale() clamps the largest
    RS at 0 when the leftover would make it negative: then that RS is 0 and the rest of the
    leftover is dropped, so the total stays above the allowed size."""
    replicas, surge, rss = event
    new_size, old_sizes = rm.proportional_scale(replicas, surge, 0, rss[-1], rss[:-1])
    sizes = [*old_sizes, new_size]
    allowed = replicas + rm.max_surge(replicas, surge, 0) if replicas else 0
    assert all(size >= 0 for size in sizes)
    if sum(sizes) != allowed:
        writes, proportional = rm.scale_targets(replicas, surge, 0, rss[-1], rss[:-1])
        largest_size = writes[0][1]
        assert proportional and largest_size == 0 and sum(sizes) > allowed


def _pod(i, node, phase, ready, age):
    # Distinct creation times and UIDs: no two pods are equal, so the order is total.
    # Instants are the engine's milliseconds: `age` seconds plus i ms.
    age = age * 1000 + i
    return {"name": f"p{i}", "node": node, "phase": phase, "ready": ready,
            "ready_since": 1_000_000 - age if ready else None,
            "restarts": i % 3, "created": 900_000 - age, "uid": f"{i:04d}"}


pods_st = st.lists(
    st.tuples(st.sampled_from(["", "n1", "n2", "n3"]), st.sampled_from(["Pending", "Unknown", "Running"]),
              st.booleans(), st.integers(1, 800)),
    min_size=1, max_size=12,
).map(lambda specs: [_pod(i, *spec) for i, spec in enumerate(specs)])


@settings(max_examples=200, deadline=None)
@given(pods_st, st.integers(0, 14), st.randoms(use_true_random=False))
def test_pods_to_delete_prefers_unscheduled_and_ignores_input_order(pods, count, rnd):
    victims = pr.pods_to_delete(pods, count, now=1_000_000)
    assert len(victims) == min(count, len(pods)) and len(set(victims)) == len(victims)
    by_name = {p["name"]: p for p in pods}
    assert all(name in by_name for name in victims)
    if count < len(pods):
        # A scheduled pod is only chosen once every unscheduled one is.
        spared_unscheduled = [p for p in pods if not p["node"] and p["name"] not in victims]
        assert not spared_unscheduled or all(not by_name[name]["node"] for name in victims)
        shuffled = list(pods)
        rnd.shuffle(shuffled)
        assert pr.pods_to_delete(shuffled, count, now=1_000_000) == victims


# Few distinct values, so that ties, equal times in one age bucket and repeated UIDs
# (where the pairwise comparison is not a consistent order) all come up.
tie_heavy_pod_st = st.fixed_dictionaries({
    "node": st.sampled_from(["", "n1"]), "phase": st.just("Running"),
    "ready": st.booleans(), "ready_since": st.sampled_from([None, 990_000, 991_000, 999_000, 200_000]),
    "restarts": st.integers(0, 2), "created": st.sampled_from([None, 100_000, 101_000, 900_000, 999_500]),
    "uid": st.sampled_from(["a", "b", "c", "d", "e", "f"]), "rank": st.integers(0, 1),
    "deletion_cost": st.sampled_from([None, "5"]),
})


_READY_POD = {"node": "n1", "phase": "Running", "ready": True, "created": 100_000, "rank": 0,
              "deletion_cost": None}


@settings(max_examples=400, deadline=None)
@given(st.lists(tie_heavy_pod_st, min_size=1, max_size=12), st.sampled_from([None, 1_000_000]))
# two pods ready at the same time (the tie falls through to restarts) and one ready at
# another time of the same age bucket (ordered by UID): no consistent order exists
@example([{**_READY_POD, "ready_since": since, "uid": uid, "restarts": restarts}
          for since, uid, restarts in [(990_000, "a", 0), (990_000, "b", 2), (991_000, "c", 0)]],
         1_000_000)
def test_deletion_order_is_the_pairwise_sort_by_less(specs, now):
    """The key sort gives exactly the order a stable sort by the pairwise `less` gives."""
    pods = [{**spec, "name": f"p{i}", "now": now} for i, spec in enumerate(specs)]

    def compare(a, b):
        if pr.less(a, b, a["rank"], b["rank"], now):
            return -1
        return 1 if pr.less(b, a, b["rank"], a["rank"], now) else 0
    expected = [p["name"] for p in sorted(pods, key=functools.cmp_to_key(compare))]
    assert pr.deletion_order(pods) == expected
