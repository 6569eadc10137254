"""The timer queue: due-time order, FIFO at one instant, schedule_once, snapshots."""
import pytest

from simulator.timers import TimerQueue, rfc3339


def drain(q: TimerQueue) -> list:
    out = []
    while q.next_due() is not None:
        out.append(q.pop())
    return out


@pytest.mark.parametrize("scheduled, expected", [
    pytest.param([(2.0, "kubelet", "a"), (1.0, "kubelet", "b")],
                 [(1.0, "kubelet", "b"), (2.0, "kubelet", "a")], id="earliest-first"),
    pytest.param([(1.0, "kubelet", "a"), (1.0, "evict", "b"), (1.0, "kubelet", "c")],
                 [(1.0, "kubelet", "a"), (1.0, "evict", "b"), (1.0, "kubelet", "c")],
                 id="same-instant-in-scheduling-order"),
    pytest.param([(13.4 + 1.2, "kubelet", "a"), (14.6, "kubelet", "b")],
                 [(14.6, "kubelet", "a"), (14.6, "kubelet", "b")], id="microsecond-rounding"),
    pytest.param([(1.0, "kubelet", "a"), (1.0, "kubelet", "a")],
                 [(1.0, "kubelet", "a"), (1.0, "kubelet", "a")], id="plain-duplicates-kept"),
])
def test_order(scheduled, expected):
    q = TimerQueue()
    for timer in scheduled:
        q.schedule(*timer)
    assert drain(q) == expected


def test_schedule_once_skips_a_pending_twin_until_it_has_fired():
    q = TimerQueue()
    q.schedule_once(5.0, "deployment", "web")
    q.schedule_once(5.0, "deployment", "web")
    q.schedule_once(6.0, "deployment", "web")
    assert drain(q) == [(5.0, "deployment", "web"), (6.0, "deployment", "web")]
    q.schedule_once(5.0, "deployment", "web")
    assert drain(q) == [(5.0, "deployment", "web")]


def test_a_timer_scheduled_for_the_instant_being_run_runs_in_the_same_pass():
    q = TimerQueue()
    q.schedule(1.0, "kubelet", "a")
    q.schedule(2.0, "kubelet", "c")
    assert q.pop() == (1.0, "kubelet", "a")
    q.schedule(1.0, "kubelet", "b")
    assert drain(q) == [(1.0, "kubelet", "b"), (2.0, "kubelet", "c")]


def test_restored_queue_has_the_same_future():
    q = TimerQueue()
    for i, due in enumerate([3.0, 1.0, 2.0, 1.0, 3.0]):
        q.schedule(due, "kubelet", f"p{i}")
    q.schedule_once(2.0, "deployment", "web")
    q.pop()
    restored = TimerQueue.from_state(q.to_state())
    assert restored.to_state() == q.to_state()
    restored.schedule_once(2.0, "deployment", "web")   # still pending: not added twice
    assert drain(restored) == drain(q)


def test_a_snapshot_without_once_treats_every_pending_timer_as_once():
    """Snapshots written before schedule_once timers were kept apart."""
    q = TimerQueue.from_state({"heap": [[4.0, 2, "deployment", "web"], [1.0, 1, "kubelet", "p"]],
                               "seq": 2})
    q.schedule_once(4.0, "deployment", "web")
    assert drain(q) == [(1.0, "kubelet", "p"), (4.0, "deployment", "web")]


@pytest.mark.parametrize("t, expected", [
    pytest.param(None, None, id="unset"),
    pytest.param(0.0, "2026-01-01T00:00:00Z", id="epoch"),
    pytest.param(61.999, "2026-01-01T00:01:01Z", id="whole-seconds"),
])
def test_rfc3339(t, expected):
    assert rfc3339(t) == expected
