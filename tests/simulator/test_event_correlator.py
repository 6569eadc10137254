"""client-go's event correlator: LRU caches, aggregation, the spam filter, one per source."""
import pytest

from simulator import Cluster
from simulator.event_correlator import (AGGREGATE_MAX_EVENTS, CACHE_SIZE, COMBINED_PREFIX,
                                        SPAM_BURST, EventCorrelator)


class _Obj:
    """Stands in for a Pod: its name, UID and the involvedObject memo slot render uses."""
    def __init__(self, name):
        self.name, self.uid = name, f"uid-{name}"
        self.rendered_involved = None


def _record(store, obj, reason="Started", message="Started container app",
            component="kubelet", host="node-1", field_path="spec.containers{app}"):
    return store.record_event("Pod", obj, "Normal", reason, message, component, host,
                              field_path)


def _correlate(correlator, uid="uid-p", message="Started container app", now=0,
               reason="Started"):
    """One event through the correlator at `now` (the engine's milliseconds)."""
    return correlator.correlate(uid, "Normal", reason, "spec.containers{app}", message, now)


def test_caches_forget_the_least_recently_used_entry():
    """groupcache/lru as client-go uses it: a Get or Add makes the entry the newest, and an
    Add beyond the size drops the oldest, in each of the three caches."""
    correlator = EventCorrelator()
    for i in range(CACHE_SIZE):
        _correlate(correlator, uid=f"uid-{i}")
    _correlate(correlator, uid="uid-0")      # a hit: the oldest becomes the newest ...
    _correlate(correlator, uid="uid-new")
    for cache in (correlator.aggregates, correlator.logged, correlator.spam):
        uids = [k if type(k) is str else k[0] for k in cache]
        assert len(uids) == CACHE_SIZE
        assert "uid-1" not in uids                   # ... so the next oldest went
        assert uids[-2:] == ["uid-0", "uid-new"]     # most recently used last


def test_a_repeat_finds_its_event_log_entry():
    correlator = EventCorrelator()
    _, logged, _ = _correlate(correlator)
    logged[0] = "p.1"   # the store names the event it writes
    assert _correlate(correlator, now=5_000)[1] is logged
    assert _correlate(correlator, message="Started container other")[1] is not logged


@pytest.mark.parametrize("gap, allowed", [
    pytest.param(0, [True] * SPAM_BURST + [False, False], id="burst-then-dropped"),
    pytest.param(300_000, [True] * (SPAM_BURST + 2), id="one-token-per-5-minutes"),
    pytest.param(299_999, [True] * SPAM_BURST + [False, True], id="a-millisecond-short"),
])
def test_spam_filter(gap, allowed):
    correlator = EventCorrelator()
    now, out = 0, []
    for i in range(SPAM_BURST + 2):
        out.append(_correlate(correlator, now=now)[2])
        if i >= SPAM_BURST - 1:
            now += gap
    assert out == allowed


def test_aggregation_window_lapses_after_ten_minutes():
    correlator = EventCorrelator()
    messages = [_correlate(correlator, "uid-web-abc", f"Created pod: p{i}", i * 1000,
                           "SuccessfulCreate")[0] for i in range(10)]
    assert messages[:9] == [f"Created pod: p{i}" for i in range(9)]
    assert messages[9] == COMBINED_PREFIX + "Created pod: p9"
    assert _correlate(correlator, "uid-web-abc", "Created pod: late", (9 + 601) * 1000,
                      "SuccessfulCreate")[0] == "Created pod: late"


def test_a_busy_spam_bucket_is_not_forgotten_among_many_other_objects():
    """The ReplicaSet controller's bucket for one ReplicaSet is used on every pod it creates;
    thousands of its events about other objects in between must not evict it."""
    store = Cluster(seed=1)._s
    rs = _Obj("web-abc")
    written = 0
    for i in range(3 * CACHE_SIZE):
        ev = _record(store, rs, "SuccessfulCreate", f"Created pod: web-abc-{i}",
                     "replicaset-controller", None, None)
        written += ev is not None
        _record(store, _Obj(f"other-{i}"), "SuccessfulCreate", "Created pod: x",
                "replicaset-controller", None, None)
    assert written == SPAM_BURST


def test_each_source_has_its_own_correlator():
    """Every kubelet runs its own broadcaster: one node's writes do not use up another's
    bucket for the same object."""
    store = Cluster(seed=1)._s
    pod = _Obj("web-abc-x1")
    for i in range(SPAM_BURST):
        _record(store, pod, "Unhealthy", f"Readiness probe failed: {i}", host="node-1")
    assert _record(store, pod, "Unhealthy", "again", host="node-1") is None   # dropped
    assert _record(store, pod, "Unhealthy", "again", host="node-2")["count"] == 1


def test_similar_events_ignore_the_field_path():
    """client-go's aggregate key is object, type and reason: messages about two containers
    of one pod count towards the same group."""
    store = Cluster(seed=1)._s
    pod = _Obj("web-abc-x1")
    events = [_record(store, pod, message=f"Started container c{i}",
                      field_path=f"spec.containers{{c{i}}}") for i in range(AGGREGATE_MAX_EVENTS)]
    assert [e["message"].startswith(COMBINED_PREFIX) for e in events] == [False] * 9 + [True]


def test_correlator_state_round_trips():
    correlator = EventCorrelator()
    _correlate(correlator, now=1_000)
    restored = EventCorrelator.from_state(correlator.to_state())
    assert restored.to_state() == correlator.to_state()
