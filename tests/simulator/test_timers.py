"""The simulated clock: whole milliseconds, the timer queue (due order, FIFO at one instant,
schedule_once, snapshots) and RFC 3339 rendering."""
import pytest

from simulator.timers import TimerQueue, ms, rfc3339


def drain(q: TimerQueue) -> list:
    out = []
    while q.next_due() is not None:
        out.append(q.pop())
    return out


@pytest.mark.parametrize("scheduled, expected", [
    pytest.param([(2000, "kubelet", "a"), (1000, "kubelet", "b")],
                 [(1000, "kubelet", "b"), (2000, "kubelet", "a")], id="earliest-first"),
    pytest.param([(1000, "kubelet", "a"), (1000, "evict", "b"), (1000, "kubelet", "c")],
                 [(1000, "kubelet", "a"), (1000, "evict", "b"), (1000, "kubelet", "c")],
                 id="same-instant-in-scheduling-order"),
    pytest.param([(ms(13.4) + ms(1.2), "kubelet", "a"), (ms(14.6), "kubelet", "b")],
                 [(14600, "kubelet", "a"), (14600, "kubelet", "b")], id="sums-of-seconds-are-exact"),
    pytest.param([(1000, "kubelet", "a"), (1000, "kubelet", "a")],
                 [(1000, "kubelet", "a"), (1000, "kubelet", "a")], id="plain-duplicates-kept"),
])
def test_order(scheduled, expected):
    q = TimerQueue()
    for timer in scheduled:
        q.schedule(*timer)
    assert drain(q) == expected


@pytest.mark.parametrize("due", [1.5, 1000.0, None, "1000"], ids=["float", "whole float", "none", "text"])
def test_a_due_time_that_is_not_whole_milliseconds_is_refused(due):
    with pytest.raises(TypeError, match="whole milliseconds"):
        TimerQueue().schedule(due, "kubelet", "a")


@pytest.mark.parametrize("seconds, expected", [
    (0.1, 100), (0.3, 300), (2.5, 2500), (13.4, 13400), (1e-3, 1), (0.0004, 0), (7, 7000)])
def test_ms(seconds, expected):
    assert ms(seconds) == expected


def test_schedule_once_skips_a_pending_twin_until_it_has_fired():
    q = TimerQueue()
    q.schedule_once(5000, "deployment", "web")
    q.schedule_once(5000, "deployment", "web")
    q.schedule_once(6000, "deployment", "web")
    assert drain(q) == [(5000, "deployment", "web"), (6000, "deployment", "web")]
    q.schedule_once(5000, "deployment", "web")
    assert drain(q) == [(5000, "deployment", "web")]


def test_a_timer_scheduled_for_the_instant_being_run_runs_in_the_same_pass():
    q = TimerQueue()
    q.schedule(1000, "kubelet", "a")
    q.schedule(2000, "kubelet", "c")
    assert q.pop() == (1000, "kubelet", "a")
    q.schedule(1000, "kubelet", "b")
    assert drain(q) == [(1000, "kubelet", "b"), (2000, "kubelet", "c")]


def test_restored_queue_has_the_same_future():
    q = TimerQueue()
    for i, due in enumerate([3000, 1000, 2000, 1000, 3000]):
        q.schedule(due, "kubelet", f"p{i}")
    q.schedule_once(2000, "deployment", "web")
    q.pop()
    restored = TimerQueue.from_state(q.to_state())
    assert restored.to_state() == q.to_state()
    restored.schedule_once(2000, "deployment", "web")   # still pending: not added twice
    assert drain(restored) == drain(q)


@pytest.mark.parametrize("t, expected", [
    pytest.param(None, None, id="unset"),
    pytest.param(0, "2026-01-01T00:00:00Z", id="epoch"),
    pytest.param(61_999, "2026-01-01T00:01:01Z", id="whole-seconds"),
    pytest.param(2**63 * 1000, "9999-12-31T23:59:59Z", id="beyond-year-9999"),
])
def test_rfc3339(t, expected):
    assert rfc3339(t) == expected
