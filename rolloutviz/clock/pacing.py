"""Pacing arithmetic: which simulation step is due at which wall-clock moment, and how well a clock keeps up."""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Pacer:
    """When each step is due: step k after the anchor is due at ``start + k * tick / speed``."""

    start: float  # wall time (loop clock) of the anchor
    speed: float  # sim-seconds per wall-second
    tick: float  # sim-seconds per step
    done: int = 0  # steps taken since the anchor

    @property
    def interval(self) -> float:
        """Wall seconds between two steps."""
        return self.tick / self.speed

    def due(self, now: float) -> int:
        """How many steps should have been taken by ``now`` and were not yet."""
        # The small epsilon keeps a step due exactly at its deadline despite float rounding.
        return max(0, math.floor((now - self.start) / self.interval + 1e-9) - self.done)

    def next_at(self) -> float:
        """Wall time the next step is due."""
        return self.start + (self.done + 1) * self.interval


@dataclass
class Keeping:
    """How well a clock keeps pace: steps taken against steps due, over the last ``window`` seconds."""

    window: float = 5.0
    samples: list = field(default_factory=list)  # (wall time, steps taken, steps given up)

    def add(self, now: float, taken: int, given_up: int) -> None:
        """One batch: ``taken`` steps done, ``given_up`` due ones dropped because the batch fell behind."""
        self.samples.append((now, taken, given_up))
        self.samples = [s for s in self.samples if s[0] > now - self.window]

    def effective(self, now: float) -> float | None:
        """The fraction of the chosen speed achieved lately; None while on pace (at least 95 %)."""
        recent = [s for s in self.samples if s[0] > now - self.window]
        taken = sum(s[1] for s in recent)
        due = taken + sum(s[2] for s in recent)
        if not due or taken >= 0.95 * due:
            return None
        return taken / due

    def reset(self) -> None:
        """Forget the history (the speed changed, or the clock restarted after a stall)."""
        self.samples.clear()
