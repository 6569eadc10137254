"""The clock lease: a row-level claim that exactly one process advances a running simulation.

The claim lives on the Simulation row (``lease_owner``, ``lease_expires``). Each operation is
one conditional UPDATE, so two processes racing for a free or expired lease cannot both win.
The holder renews it with every step (`rolloutviz.services.live.advance` with ``lease_owner``)
and at least every second while idle; if the holder dies, the lease expires after
``CLOCK_LEASE_SECONDS`` and the next process to scan takes it over.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from rolloutviz.models import Simulation


@dataclass(frozen=True)
class ClockState:
    """What the clock needs to know after a step or a lease renewal."""

    seq: int
    t: float
    running: bool
    speed: float
    tick: float
    done: int = 0  # steps the change took (a clock's time slice may take fewer than asked)


def lease_seconds() -> float:
    """How long a clock lease lasts without renewal (setting ``CLOCK_LEASE_SECONDS``)."""
    return float(getattr(settings, "CLOCK_LEASE_SECONDS", 5.0))


def process_identity() -> str:
    """A lease owner name unique to this process (host, pid and a random part for pid reuse)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _free(owner: str, now) -> Q:
    return Q(lease_owner="") | Q(lease_owner=owner) | Q(lease_expires__isnull=True) | Q(lease_expires__lt=now)


def claimable_simulation_ids(owner: str) -> list[int]:
    """Running simulations whose lease is free, expired or ``owner``'s, in id order (a read only)."""
    rows = Simulation.objects.filter(_free(owner, timezone.now()), running=True).order_by("id")
    return list(rows.values_list("id", flat=True))


def _state(simulation_id: int) -> ClockState | None:
    row = Simulation.objects.filter(pk=simulation_id).values("seq", "sim_time", "running", "speed", "tick").first()
    if row is None:
        return None
    return ClockState(seq=row["seq"], t=row["sim_time"], running=row["running"], speed=row["speed"], tick=row["tick"])


def acquire(simulation_id: int, owner: str) -> ClockState | None:
    """Take the lease if the simulation is running and the lease is free, expired or already ours."""
    now = timezone.now()
    taken = (
        Simulation.objects.filter(_free(owner, now), pk=simulation_id, running=True)
        .update(lease_owner=owner, lease_expires=now + timedelta(seconds=lease_seconds()))
    )
    return _state(simulation_id) if taken else None


def renew(simulation_id: int, owner: str) -> ClockState | None:
    """Extend our lease; None if it is no longer ours or the simulation stopped running."""
    renewed = Simulation.objects.filter(pk=simulation_id, lease_owner=owner, running=True).update(
        lease_expires=timezone.now() + timedelta(seconds=lease_seconds())
    )
    return _state(simulation_id) if renewed else None


def release(simulation_id: int, owner: str) -> None:
    """Give the lease up (only if it is still ours), so another process may take it at once."""
    Simulation.objects.filter(pk=simulation_id, lease_owner=owner).update(lease_owner="", lease_expires=None)


def release_all(owner: str) -> None:
    """Give up every lease ``owner`` holds (a clock host shutting down)."""
    Simulation.objects.filter(lease_owner=owner).update(lease_owner="", lease_expires=None)
