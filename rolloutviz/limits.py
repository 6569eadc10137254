"""The one limiter: how much one person may ask of the server, checked before any work.

Who is counted is a list of *subjects*, today only the browser session (``session:<key>``);
the classroom work adds an address subject (``address:<ip>``) in `subjects`, and every check
refuses when any subject is over. Rates are counted in Django's cache (LocMem: one count per
process; the Redis cache when ``REDIS_URL`` is set: one count for all processes) with one
``incr`` per subject and request; the running cap is one indexed COUNT of the owner's rows.

Settings (0 turns a limit off):

``LIMIT_COMMANDS_PER_SECOND``   state-changing API calls (apply, commands, delete) per subject
``LIMIT_CREATIONS_PER_MINUTE``  simulations created per subject
``LIMIT_RUNNING_PER_SESSION``   simulations of one owner whose clocks run at the same time
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from rolloutviz.models import Simulation
from rolloutviz.services.errors import ServiceError

logger = logging.getLogger(__name__)

# The running cap frees when one of the owner's clocks stops, which no window predicts.
RUNNING_RETRY_AFTER = 30
# Wall-clock seconds: the windows are the same in every process (tests pin it to one instant).
clock = time.time


@dataclass(frozen=True)
class Rate:
    """A number of requests per fixed window of ``window`` seconds, read from ``setting``."""

    name: str
    setting: str
    default: int
    window: int
    what: str  # how the refusal names the counted requests

    def limit(self) -> int:
        return int(getattr(settings, self.setting, self.default))


COMMANDS = Rate("commands", "LIMIT_COMMANDS_PER_SECOND", 20, 1, "state-changing requests")
CREATIONS = Rate("creations", "LIMIT_CREATIONS_PER_MINUTE", 30, 60, "new simulations")


class Limited(ServiceError):
    """Over a limit: answered 429 with ``Retry-After`` (seconds)."""

    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message, field=None)
        self.retry_after = retry_after


def session_key(request) -> str:
    """The request's session key, creating the session when it has none (or a stale one)."""
    session = request.session
    # Reading the session loads it, which drops a cookie's key that names no stored session,
    # so nobody is counted under (or owns things with) a key they made up.
    session.get("_")
    if session.session_key is None:
        session.create()
    return session.session_key


def subjects(request) -> list[str]:
    """Whom a request counts against (the classroom work adds the client's address here)."""
    return [f"session:{session_key(request)}"]


def charge(rate: Rate, who: list[str]) -> None:
    """Count one request against ``rate`` for every subject in ``who``; `Limited` when one is over."""
    limit = rate.limit()
    if limit <= 0:
        return
    now = clock()
    start = int(now // rate.window) * rate.window
    retry_after = max(1, math.ceil(start + rate.window - now))
    per = {1: "second", 60: "minute"}.get(rate.window, f"{rate.window} seconds")
    for subject in who:
        count = _count(f"limits:{rate.name}:{subject}:{start}", rate.window)
        if count > limit:
            raise Limited(f"too many {rate.what}: at most {limit} per {per}; "
                          f"try again in {retry_after} s", retry_after)


def _count(key: str, window: int) -> int:
    """This window's count after adding one; 0 when the cache cannot be reached (fail open:
    the limiter protects the server, it must not take it down with the cache)."""
    try:
        cache.add(key, 0, timeout=window + 1)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(key, 1, timeout=window + 1)
            return 1
    except Exception:  # noqa: BLE001 - any cache backend's connection error
        logger.warning("limiter: cache unavailable, %s not counted", key, exc_info=True)
        return 0


def check_running(sim: Simulation) -> None:
    """Refuse to start ``sim``'s clock when its owner already has the maximum running.

    Operator-owned simulations (no owner session: the CLI, ``load_demos``) are not capped.
    """
    limit = int(getattr(settings, "LIMIT_RUNNING_PER_SESSION", 10))
    if limit <= 0 or not sim.owner_session or sim.running:
        return
    running = (Simulation.objects.filter(owner_session=sim.owner_session, running=True)
               .exclude(pk=sim.pk).count())
    if running >= limit:
        raise Limited(f"at most {limit} simulations of one session may run at once: "
                      "pause one of them first", RUNNING_RETRY_AFTER)
