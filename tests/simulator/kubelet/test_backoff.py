"""Crash-loop and image-pull back-off as the kubelet counts it (flowcontrol.Backoff, no jitter)."""
import json

import pytest

from simulator.kubelet.backoff import (
    Backoff,
    ImagePullBackoff,
    RestartBackoff,
    crash_loop_event_message,
    crash_loop_message,
    go_duration,
    image_pull_backoff_message,
    pull_key,
    restart_key,
)

KEY = restart_key("web-7c5ddbdf54-abcde", "default", "uid-1", "app")


def restart_waits(run_seconds: list[float]) -> list[float]:
    """Waits before each restart when the container runs run_seconds[i] then exits."""
    rb = RestartBackoff()
    waits = []
    started = 0.0
    for run in run_seconds:
        finished = started + run
        wait = rb.check(KEY, finished, finished)
        if wait:
            assert rb.check(KEY, finished, finished + wait - 1) > 0  # still in back-off a second before
            assert rb.check(KEY, finished, finished + wait) == 0.0
        waits.append(wait)
        started = finished + wait
    return waits


@pytest.mark.parametrize(
    "runs, expected",
    [
        ([0] * 8, [0, 10, 20, 40, 80, 160, 300, 300]),
        ([5] * 5, [0, 10, 20, 40, 80]),
        # ran 601 s after the last restart: the entry expired, restart at once, start over at 10 s
        ([0, 0, 0, 601, 0], [0, 10, 20, 0, 10]),
        # 599 s is not enough to be considered stable
        ([0, 0, 0, 599, 0], [0, 10, 20, 40, 80]),
    ],
    ids=["exits-at-once: 0,10,20,40,80,160,300,300", "runs 5s each", "reset after 600s healthy",
         "599s healthy does not reset"],
)
def test_restart_waits(runs, expected):
    assert restart_waits(runs) == expected


def test_restart_release_at_and_delay():
    rb = RestartBackoff()
    assert rb.release_at(KEY, 5.0) == 5.0
    assert rb.check(KEY, 5.0, 5.0) == 0.0
    assert rb.delay(KEY) == 10
    assert rb.release_at(KEY, 6.0) == 16.0
    assert rb.check(KEY, 6.0, 9.0) == 7.0


@pytest.mark.parametrize(
    "delay, text",
    [(10, "10s"), (20, "20s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"), (0, "0s"), (3600, "1h0m0s"),
     (1.5, "1.5s"), (61, "1m1s")],
    ids=["10s", "20s", "1m20s", "2m40s", "5m0s", "zero", "an hour", "fraction", "1m1s"],
)
def test_go_duration(delay, text):
    assert go_duration(delay) == text


def test_messages():
    assert crash_loop_message(20, "app", "web-abc", "default", "1234") == (
        "back-off 20s restarting failed container=app pod=web-abc_default(1234)")
    assert crash_loop_message(300, "app", "web-abc", "default", "1234") == (
        "back-off 5m0s restarting failed container=app pod=web-abc_default(1234)")
    assert crash_loop_event_message("app", "web-abc", "default", "1234") == (
        "Back-off restarting failed container app in pod web-abc_default(1234)")
    assert image_pull_backoff_message("nginx:1.161") == 'Back-off pulling image "nginx:1.161"'


def pull_attempts(fail_until: float, horizon: float, resync: float = 1.0):
    """Times of pulls when the kubelet tries every `resync` s and pulls fail before `fail_until`."""
    pb = ImagePullBackoff()
    key = pull_key("uid-1", "nginx:1.161")
    pulls, t = [], 0.0
    while t <= horizon:
        if not pb.in_backoff(key, t):
            pulls.append(t)
            if t >= fail_until:
                break  # pulled: the container starts
            pb.failed(key, t)
        t += resync
    return pulls


@pytest.mark.parametrize(
    "fail_until, horizon, expected",
    [
        (10_000, 700, [0, 10, 30, 70, 150, 310, 610]),
        (25, 100, [0, 10, 30]),
    ],
    ids=["always failing: windows 10,20,40,80,160,300,300", "succeeds on the third pull"],
)
def test_image_pull_backoff_windows(fail_until, horizon, expected):
    assert pull_attempts(fail_until, horizon) == expected


def test_image_pull_backoff_forgotten_after_600s():
    pb = ImagePullBackoff()
    key = pull_key("uid-1", "img")
    for t in (0, 10, 30, 70):
        assert pb.failed(key, t) > 0
    assert pb.delay(key) == 80
    assert pb.release_at(key) == 150
    assert pb.failed(key, 70 + 601) == 10  # forgotten: starts again at 10 s
    assert not pb.in_backoff(key, 70 + 601 + 10)


def test_gc_drops_only_expired_entries():
    rb = RestartBackoff()
    rb.check("a", 0, 0)
    rb.check("b", 500, 500)
    rb.gc(700)
    assert rb.delay("a") == 0 and rb.delay("b") == 10


@pytest.mark.parametrize("cls", [Backoff, RestartBackoff, ImagePullBackoff], ids=lambda c: c.__name__)
def test_snapshot_round_trip_has_same_future(cls):
    live = cls()
    for t in (0, 10, 30):
        live.next("k", t, t)
    restored = cls.from_dict(json.loads(json.dumps(live.to_dict())))
    assert restored == live
    for t in (31, 69, 70, 71):
        assert restored.in_backoff_since("k", 30, t) == live.in_backoff_since("k", 30, t)
    assert restored.next("k", 80, 80) == live.next("k", 80, 80) == 80


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=80, deadline=None)
@given(runs=st.lists(st.integers(0, 900), min_size=1, max_size=12), split=st.integers(0, 12))
def test_restart_backoff_bounds_and_restore(runs, split):
    live, waits_live, waits_copy = RestartBackoff(), [], []
    copy = None
    started = 0.0
    for i, run in enumerate(runs):
        if i == split:
            copy = RestartBackoff.from_dict(json.loads(json.dumps(live.to_dict())))
        finished = started + run
        wait = live.check(KEY, finished, finished)
        if copy is not None:
            waits_copy.append(copy.check(KEY, finished, finished))
            copy.check(KEY, finished, finished + wait)
        waits_live.append(wait)
        live.check(KEY, finished, finished + wait)  # the restart itself
        started = finished + wait
        # never more than the cap; a container that ran > 600 s restarts at once
        assert 0 <= wait <= 300
        if run > 600:
            assert wait == 0
    assert waits_copy == waits_live[split:]
