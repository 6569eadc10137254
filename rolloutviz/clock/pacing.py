"""Pacing arithmetic: which simulation step is due at which wall-clock moment."""
from __future__ import annotations

import math
from dataclasses import dataclass


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
