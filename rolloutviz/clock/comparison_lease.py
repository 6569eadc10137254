"""The lease of a comparison: one holder at a time steps its members and runs its commands.

The claim lives on the Comparison row (``lease_owner``, ``lease_expires``), taken and given up
with conditional UPDATEs as a simulation's clock lease is (`rolloutviz.clock.lease`). Its holder
is either a clock host driving a running comparison, or a request stepping a paused one or
running a command on it. Giving the lease up is refused while commands wait (`release_if_idle`),
so a command queued just before its holder let go is never left behind.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from rolloutviz.clock.lease import lease_seconds
from rolloutviz.models import Comparison, ComparisonCommand


@dataclass(frozen=True)
class GroupClock:
    """What a comparison's clock needs to know after taking or renewing its lease."""

    running: bool
    speed: float
    tick: float


def _free(owner: str, now) -> Q:
    return Q(lease_owner="") | Q(lease_owner=owner) | Q(lease_expires__isnull=True) | Q(lease_expires__lt=now)


def _state(comparison_id: int) -> GroupClock | None:
    row = Comparison.objects.filter(pk=comparison_id).values("running", "speed", "tick").first()
    return GroupClock(**row) if row else None


def claimable_comparison_ids(owner: str) -> list[int]:
    """Running comparisons whose lease is free, expired or ``owner``'s, in id order."""
    rows = Comparison.objects.filter(_free(owner, timezone.now()), running=True).order_by("id")
    return list(rows.values_list("id", flat=True))


def acquire(comparison_id: int, owner: str, *, running: bool | None = None) -> GroupClock | None:
    """Take the lease if it is free, expired or ours (and, ``running`` given, the clock is in that state)."""
    now = timezone.now()
    rows = Comparison.objects.filter(_free(owner, now), pk=comparison_id)
    if running is not None:
        rows = rows.filter(running=running)
    taken = rows.update(lease_owner=owner, lease_expires=now + timedelta(seconds=lease_seconds()))
    return _state(comparison_id) if taken else None


def renew(comparison_id: int, owner: str) -> GroupClock | None:
    """Extend our lease; None when it is no longer ours (or the comparison is gone)."""
    renewed = Comparison.objects.filter(pk=comparison_id, lease_owner=owner).update(
        lease_expires=timezone.now() + timedelta(seconds=lease_seconds()))
    return _state(comparison_id) if renewed else None


def release_if_idle(comparison_id: int, owner: str) -> bool:
    """Give our lease up unless a command waits (then the holder runs it first); True when given up.

    One statement: a command queued before it is seen, one queued after finds the lease free."""
    waiting = ComparisonCommand.objects.filter(comparison=OuterRef("pk"), done=False)
    released = (Comparison.objects.filter(pk=comparison_id, lease_owner=owner).exclude(Exists(waiting))
                .update(lease_owner="", lease_expires=None))
    return bool(released) or not Comparison.objects.filter(pk=comparison_id, lease_owner=owner).exists()


def release(comparison_id: int, owner: str) -> None:
    """Give our lease up whatever waits (it expires by itself otherwise)."""
    Comparison.objects.filter(pk=comparison_id, lease_owner=owner).update(lease_owner="", lease_expires=None)


def release_all(owner: str) -> None:
    """Give up every comparison lease ``owner`` holds (a clock host shutting down)."""
    Comparison.objects.filter(lease_owner=owner).update(lease_owner="", lease_expires=None)
