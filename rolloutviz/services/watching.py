"""Who is watching: a simulation nobody watches stops its clock after a while.

Watching means an open WebSocket, an open API watch, or an API request lately. Each of those
calls `mark_watched`; it writes ``Simulation.last_watched`` at most once per
`WRITE_EVERY_SECONDS` per simulation and process, so a class of viewers costs the database
one small UPDATE now and then, not one per request.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from rolloutviz.models import Simulation

WRITE_EVERY_SECONDS = 15.0

_written: dict[int, float] = {}
_guard = threading.Lock()


def idle_stop_seconds() -> float:
    """How long a running clock goes on with nobody watching (setting ``IDLE_STOP_SECONDS``; 0: never stops)."""
    return float(getattr(settings, "IDLE_STOP_SECONDS", 600))


def mark_watched(simulation_id: int) -> None:
    """Note that someone is watching ``simulation_id`` now (throttled; never raises for a missing row)."""
    now = time.monotonic()
    with _guard:
        if now - _written.get(simulation_id, -WRITE_EVERY_SECONDS) < WRITE_EVERY_SECONDS:
            return
        _written[simulation_id] = now
    Simulation.objects.filter(pk=simulation_id).update(last_watched=timezone.now())


def unwatched_since(last_watched: datetime | None, created: datetime, now: datetime | None = None) -> bool:
    """Whether a simulation last watched at ``last_watched`` (never: since ``created``) has gone unwatched too long."""
    limit = idle_stop_seconds()
    if limit <= 0:
        return False
    now = now or timezone.now()
    # the throttle may hold a watcher's mark back for WRITE_EVERY_SECONDS
    return now - (last_watched or created) > timedelta(seconds=limit + WRITE_EVERY_SECONDS)
