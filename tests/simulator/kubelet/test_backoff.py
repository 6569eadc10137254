"""Crash-loop and image-pull back-off as the kubelet counts it (flowcontrol.Backoff, no jitter).

The module works in the engine's integer milliseconds; the tables below are in seconds, as
Kubernetes states them, and S converts."""
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
S = 1000   # milliseconds per second


def restart_waits(run_seconds: list[int]) -> list[int]:
    """Waits (s) before each restart when the container runs run_seconds[i] then exits."""
    rb = RestartBackoff()
    waits = []
    started = 0
    for run in run_seconds:
        finished = started + run * S
        wait = rb.check(KEY, finished, finished)
        if wait:
            assert rb.check(KEY, finished, finished + wait - 1) > 0  # still in back-off 1 ms before
            assert rb.check(KEY, finished, finished + wait) == 0
        assert wait % S == 0
        waits.append(wait // S)
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
    assert rb.release_at(KEY, 5 * S) == 5 * S
    assert rb.check(KEY, 5 * S, 5 * S) == 0
    assert rb.delay(KEY) == 10 * S
    assert rb.release_at(KEY, 6 * S) == 16 * S
    assert rb.check(KEY, 6 * S, 9 * S) == 7 * S


@pytest.mark.parametrize(
    "delay, text",
    [(10, "10s"), (20, "20s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"), (0, "0s"), (3600, "1h0m0s"),
     (1.5, "1.5s"), (61, "1m1s")],
    ids=["10s", "20s", "1m20s", "2m40s", "5m0s", "zero", "an hour", "fraction", "1m1s"],
)
def test_go_duration(delay, text):
    assert go_duration(delay) == text


def test_messages():
    assert crash_loop_message(20 * S, "app", "web-abc", "default", "1234") == (
        "back-off 20s restarting failed container=app pod=web-abc_default(1234)")
    assert crash_loop_message(300 * S, "app", "web-abc", "default", "1234") == (
        "back-off 5m0s restarting failed container=app pod=web-abc_default(1234)")
    assert crash_loop_event_message("app", "web-abc", "default", "1234") == (
        "Back-off restarting failed container app in pod web-abc_default(1234)")
    assert image_pull_backoff_message("nginx:1.161") == 'Back-off pulling image "nginx:1.161"'


def pull_attempts(fail_until: int, horizon: int, resync: int = 1):
    """Times (s) of pulls when the kubelet tries every `resync` s and pulls fail before
    `fail_until`."""
    pb = ImagePullBackoff()
    key = pull_key("uid-1", "nginx:1.161")
    pulls, t = [], 0
    while t <= horizon * S:
        if not pb.in_backoff(key, t):
            pulls.append(t // S)
            if t >= fail_until * S:
                break  # pulled: the container starts
            pb.failed(key, t)
        t += resync * S
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
        assert pb.failed(key, t * S) > 0
    assert pb.delay(key) == 80 * S
    assert pb.release_at(key) == 150 * S
    assert pb.failed(key, (70 + 601) * S) == 10 * S  # forgotten: starts again at 10 s
    assert not pb.in_backoff(key, (70 + 601 + 10) * S)


def test_gc_drops_only_expired_entries():
    rb = RestartBackoff()
    rb.check("a", 0, 0)
    rb.check("b", 500 * S, 500 * S)
    rb.gc(700 * S)
    assert rb.delay("a") == 0 and rb.delay("b") == 10 * S


@pytest.mark.parametrize("cls", [Backoff, RestartBackoff, ImagePullBackoff], ids=lambda c: c.__name__)
def test_snapshot_round_trip_has_same_future(cls):
    live = cls()
    for t in (0, 10, 30):
        live.next("k", t * S, t * S)
    restored = cls.from_dict(json.loads(json.dumps(live.to_dict())))
    assert restored == live
    for t in (31, 69, 70, 71):
        assert restored.in_backoff_since("k", 30 * S, t * S) == live.in_backoff_since("k", 30 * S, t * S)
    assert restored.next("k", 80 * S, 80 * S) == live.next("k", 80 * S, 80 * S) == 80 * S


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=80, deadline=None)
@given(runs=st.lists(st.integers(0, 900 * S), min_size=1, max_size=12), split=st.integers(0, 12))
def test_restart_backoff_bounds_and_restore(runs, split):
    live, waits_live, waits_copy = RestartBackoff(), [], []
    copy = None
    started = 0
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
        assert 0 <= wait <= 300 * S
        if run > 600 * S:
            assert wait == 0
    assert waits_copy == waits_live[split:]
