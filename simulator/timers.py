"""The simulated clock's timer queue: work is done when it is due, never by scanning."""
from __future__ import annotations

import datetime
import heapq
from collections import deque
from functools import lru_cache

EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


@lru_cache(maxsize=4096)
def _rfc3339_second(second: int) -> str:
    return (EPOCH + datetime.timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


# renders stamp the same few instants over and over (a step's time, a pod's creation):
# looking the exact value up first saves the call for the whole second and its rounding
@lru_cache(maxsize=4096)
def rfc3339(t: float | None) -> str | None:
    """Render simulated seconds as Kubernetes prints metav1.Time (whole seconds, UTC)."""
    if t is None:
        return None
    return _rfc3339_second(int(t // 1))


class TimerQueue:
    """Timers as (due time, action, key), run in due-time order and, at the same due time,
    in the order they were scheduled.

    Many timers fall due at the same instant (every pod created in one tick wakes one
    sandbox-second later), so a heap holds only the distinct due times and each has a FIFO
    bucket of its timers. Entries are plain data so the queue can be snapshotted.
    Cancelling is done by the owner: a handler checks that the timer it receives is still
    the one it expects.
    """

    __slots__ = ("_dues", "_buckets", "_seq", "_once")

    def __init__(self) -> None:
        self._dues: list[float] = []          # heap of the due times that have a bucket
        self._buckets: dict[float, deque] = {}  # due -> [(seq, action, key, once)], FIFO
        self._seq = 0
        self._once: set[tuple] = set()          # pending schedule_once() timers

    def schedule(self, due: float, action: str, key: str, *, _once: bool = False) -> float:
        """Run `action` for `key` at simulated time `due` (kept to whole microseconds, so
        sums like 13.4 + 1.2 do not drift)."""
        due = round(due, 6)
        self._seq += 1
        self._add(due, self._seq, action, key, _once)
        return due

    def _add(self, due: float, seq: int, action: str, key: str, once: bool) -> None:
        bucket = self._buckets.get(due)
        if bucket is None:
            bucket = self._buckets[due] = deque()
            heapq.heappush(self._dues, due)
        bucket.append((seq, action, key, once))

    def schedule_once(self, due: float, action: str, key: str) -> None:
        """Like schedule(), unless the very same timer is already pending from an earlier
        schedule_once()."""
        entry = (round(due, 6), action, key)
        if entry not in self._once:
            self._once.add(entry)
            self.schedule(due, action, key, _once=True)

    def next_due(self) -> float | None:
        """Time of the earliest pending timer, or None."""
        return self._dues[0] if self._dues else None

    def pop(self) -> tuple[float, str, str]:
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
        # snapshots from before "once" was kept counted every timer for schedule_once()
        once = ({tuple(e) for e in state["once"]} if "once" in state
                else {(due, action, key) for due, _, action, key in state["heap"]})
        for due, seq, action, key in sorted(state["heap"], key=lambda e: (e[0], e[1])):
            q._add(due, seq, action, key, (due, action, key) in once)
        q._seq = state["seq"]
        q._once = once
        return q
