"""The simulated clock: integer milliseconds, their RFC 3339 rendering, and the timer queue
that runs work when it is due, never by scanning.

Inside the engine every instant and every duration is a whole number of milliseconds
since 2026-01-01T00:00:00Z, so two instants are equal exactly when they are the same
instant: a due time cannot sit a rounding error past the clock. Seconds (floats) appear
only at the edges: the public `Cluster.now`/`tick`, the spec fields that are seconds
(converted with `ms`), and what an image behaviour answers for an uptime.
"""
from __future__ import annotations

import datetime
import heapq
from collections import deque
from functools import lru_cache

EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
MS_PER_SECOND = 1000


def ms(seconds: float) -> int:
    """Seconds (a spec field, an image behaviour's time) as whole milliseconds."""
    return round(seconds * MS_PER_SECOND)


def seconds(milliseconds: int) -> float:
    """Milliseconds as the seconds the public API speaks."""
    return milliseconds / MS_PER_SECOND


# the last second RFC 3339 can write (metav1.Time cannot marshal a later year): a pod with
# a grace period of 2^63-1 s would otherwise have a deletionTimestamp no one can render
_LAST_SECOND = int((datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)
                    - EPOCH).total_seconds())


@lru_cache(maxsize=4096)
def _rfc3339_second(second: int) -> str:
    return (EPOCH + datetime.timedelta(seconds=min(second, _LAST_SECOND))).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


# renders stamp the same few instants over and over (a step's time, a pod's creation):
# looking the exact instant up first saves the call for the whole second
@lru_cache(maxsize=4096)
def rfc3339(t: int | None) -> str | None:
    """Render an instant (ms) as Kubernetes prints metav1.Time: whole seconds, UTC."""
    if t is None:
        return None
    return _rfc3339_second(t // MS_PER_SECOND)


class TimerQueue:
    """Timers as (due instant, action, key), run in due order and, at the same instant, in
    the order they were scheduled.

    Many timers fall due at the same instant (every pod created in one tick wakes one
    sandbox-second later), so a heap holds only the distinct due instants and each has a
    FIFO bucket of its timers. Entries are plain data so the queue can be snapshotted.
    Cancelling is done by the owner: a handler checks that the timer it receives is still
    the one it expects.
    """

    __slots__ = ("_dues", "_buckets", "_seq", "_once")

    def __init__(self) -> None:
        self._dues: list[int] = []          # heap of the due instants that have a bucket
        self._buckets: dict[int, deque] = {}  # due -> [(seq, action, key, once)], FIFO
        self._seq = 0
        self._once: set[tuple] = set()        # pending schedule_once() timers

    def schedule(self, due: int, action: str, key: str, *, _once: bool = False) -> int:
        """Run `action` for `key` at instant `due` (ms, an int: a float here is a unit
        mistake, refused before it can turn into a rounding spin)."""
        if type(due) is not int:
            raise TypeError(f"timer {action} {key!r}: due must be whole milliseconds, got {due!r}")
        self._seq += 1
        self._add(due, self._seq, action, key, _once)
        return due

    def _add(self, due: int, seq: int, action: str, key: str, once: bool) -> None:
        bucket = self._buckets.get(due)
        if bucket is None:
            bucket = self._buckets[due] = deque()
            heapq.heappush(self._dues, due)
        bucket.append((seq, action, key, once))

    def schedule_once(self, due: int, action: str, key: str) -> None:
        """Like schedule(), unless the very same timer is already pending from an earlier
        schedule_once()."""
        entry = (due, action, key)
        if entry not in self._once:
            self._once.add(entry)
            self.schedule(due, action, key, _once=True)

    def next_due(self) -> int | None:
        """The earliest pending due instant, or None."""
        return self._dues[0] if self._dues else None

    def pop(self) -> tuple[int, str, str]:
        """Remove and return the earliest timer as (due, action, key)."""
        due = self._dues[0]
        bucket = self._buckets[due]
        _, action, key, once = bucket.popleft()
        if not bucket:
            heapq.heappop(self._dues)
            del self._buckets[due]
        if once:
            self._once.discard((due, action, key))
        return due, action, key

    def to_state(self) -> dict:
        entries = [[due, seq, action, key]
                   for due in sorted(self._dues) for seq, action, key, _ in self._buckets[due]]
        return {"heap": entries, "seq": self._seq, "once": [list(e) for e in sorted(self._once)]}

    @classmethod
    def from_state(cls, state: dict) -> "TimerQueue":
        q = cls()
        once = {tuple(e) for e in state["once"]}
        for due, seq, action, key in sorted(state["heap"], key=lambda e: (e[0], e[1])):
            q._add(due, seq, action, key, (due, action, key) in once)
        q._seq = state["seq"]
        q._once = once
        return q
