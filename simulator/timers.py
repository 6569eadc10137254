"""The simulated clock's timer queue: work is done when it is due, never by scanning."""
from __future__ import annotations

import datetime
import heapq
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
    """A heap of (due time, sequence, action, key) entries.

    Entries are plain data so the queue can be snapshotted.  Cancelling is done by the
    owner: a handler checks that the timer it receives is still the one it expects.
    """

    __slots__ = ("_heap", "_seq", "_pending")

    def __init__(self) -> None:
        self._heap: list[list] = []
        self._seq = 0
        self._pending: dict[tuple, int] = {}

    def __len__(self) -> int:
        return len(self._heap)

    def schedule(self, due: float, action: str, key: str) -> float:
        """Run `action` for `key` at simulated time `due` (kept to whole microseconds, so
        sums like 13.4 + 1.2 do not drift)."""
        due = round(due, 6)
        self._seq += 1
        heapq.heappush(self._heap, [due, self._seq, action, key])
        entry = (due, action, key)
        self._pending[entry] = self._pending.get(entry, 0) + 1
        return due

    def schedule_once(self, due: float, action: str, key: str) -> None:
        """Like schedule(), unless the very same timer is already pending."""
        if (round(due, 6), action, key) not in self._pending:
            self.schedule(due, action, key)

    def next_due(self) -> float | None:
        """Time of the earliest pending timer, or None."""
        return self._heap[0][0] if self._heap else None

    def pop(self) -> tuple[float, str, str]:
        """Remove and return the earliest timer as (due, action, key)."""
        due, _, action, key = heapq.heappop(self._heap)
        entry = (due, action, key)
        left = self._pending[entry] - 1
        if left:
            self._pending[entry] = left
        else:
            del self._pending[entry]
        return due, action, key

    def to_state(self) -> dict:
        return {"heap": [list(e) for e in self._heap], "seq": self._seq}

    @classmethod
    def from_state(cls, state: dict) -> "TimerQueue":
        q = cls()
        q._heap = [list(e) for e in state["heap"]]
        heapq.heapify(q._heap)
        q._seq = state["seq"]
        for due, _, action, key in q._heap:
            q._pending[(due, action, key)] = q._pending.get((due, action, key), 0) + 1
        return q
