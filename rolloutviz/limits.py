"""The one limiter: how much one person may ask of the server, checked before any work.

Who is counted is a list of *subjects* (`subjects`): the browser session (``session:<key>``)
and, with ``LIMIT_PER_ADDRESS``, the client's address (``address:<ip>``, see `client_address`),
since dropping a cookie makes a new session but not a new address. Every check refuses when
any subject is over its limit. An address has its own, higher limits: a class behind one NAT
shares one. Rates are counted in Django's cache (LocMem: one count per process; the Redis
cache when ``REDIS_URL`` is set: one count for all processes) with one ``incr`` per subject
and request; the running cap is one indexed COUNT of the owner's rows.

Settings (0 turns a limit off):

``LIMIT_COMMANDS_PER_SECOND``   state-changing API calls (apply, commands, delete) per session
``LIMIT_CREATIONS_PER_MINUTE``  simulations created per session
``LIMIT_WHATIF_PER_MINUTE``     what-if predictions (each may run a check) per session
``LIMIT_RUNNING_PER_SESSION``   simulations of one owner whose clocks run at the same time
``LIMIT_PER_ADDRESS``           count per client address too (on/off)
``LIMIT_LOGINS_PER_MINUTE``     login attempts (the admin's form, `rolloutviz.admin_site`)
``LIMIT_ADDRESS_COMMANDS_PER_SECOND``, ``…_CREATIONS_PER_MINUTE``, ``…_LOGINS_PER_MINUTE``  per address
``LIMIT_EXEMPT_ADDRESSES``      addresses/networks never counted per address (default: loopback)
``TRUSTED_PROXIES``             peers whose ``X-Forwarded-For`` names the client (default: none)
"""
from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from rolloutviz.models import Comparison, ComparisonMember, Simulation
from rolloutviz.services.errors import ServiceError

logger = logging.getLogger(__name__)

# The running cap frees when one of the owner's clocks stops, which no window predicts.
RUNNING_RETRY_AFTER = 30
# Wall-clock seconds: the windows are the same in every process (tests pin it to one instant).
clock = time.time


SESSION = "session:"
ADDRESS = "address:"


@dataclass(frozen=True)
class Rate:
    """A number of requests per fixed window of ``window`` seconds: ``setting`` per session,
    ``address_setting`` per client address."""

    name: str
    setting: str
    default: int
    address_setting: str
    address_default: int
    window: int
    what: str  # how the refusal names the counted requests

    def limit(self, subject: str = SESSION) -> int:
        """The limit for one subject (``session:…`` or ``address:…``)."""
        if subject.startswith(ADDRESS):
            return int(getattr(settings, self.address_setting, self.address_default))
        return int(getattr(settings, self.setting, self.default))


COMMANDS = Rate("commands", "LIMIT_COMMANDS_PER_SECOND", 20,
                "LIMIT_ADDRESS_COMMANDS_PER_SECOND", 200, 1, "state-changing requests")
CREATIONS = Rate("creations", "LIMIT_CREATIONS_PER_MINUTE", 30,
                 "LIMIT_ADDRESS_CREATIONS_PER_MINUTE", 120, 60, "new simulations")
WHATIF = Rate("whatif", "LIMIT_WHATIF_PER_MINUTE", 120,
              "LIMIT_ADDRESS_WHATIF_PER_MINUTE", 1200, 60, "what-if predictions")
LOGINS = Rate("logins", "LIMIT_LOGINS_PER_MINUTE", 10,
              "LIMIT_ADDRESS_LOGINS_PER_MINUTE", 60, 60, "login attempts")


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


@lru_cache(maxsize=16)
def _networks(entries: tuple[str, ...]) -> tuple:
    """Parsed address/network entries of a setting (a bare address is a one-address network)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _parse(address: str):
    """An address as `ipaddress` reads it (IPv4-mapped IPv6 as IPv4), or None when it is not one."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip


def _listed(address, setting: str) -> bool:
    """Whether a parsed address falls in one of the networks of the list setting ``setting``."""
    return address is not None and any(
        address in network for network in _networks(tuple(getattr(settings, setting, ()))))


def client_address(request) -> str:
    """The address of whoever sent the request, as far as it can be trusted.

    The connection's peer, unless that peer is one of ``TRUSTED_PROXIES``: then the proxies'
    ``X-Forwarded-For`` is read from the right (each proxy appends the peer it saw), skipping
    trusted proxies, and the first other address is the client. Everything left of it was
    written by the client and is never believed; a hop that is not an address ends the reading
    (the proxy nearest the client is then all we know). Empty when the peer is unknown (a Unix
    socket).
    """
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return ""
    nearest = peer
    if _listed(peer, "TRUSTED_PROXIES"):
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _parse(hop)
            if address is None:
                break
            nearest = address
            if not _listed(address, "TRUSTED_PROXIES"):
                break
    return str(nearest)


def subjects(request) -> list[str]:
    """Whom a request counts against: its session, and its client address unless that is exempt."""
    return [f"{SESSION}{session_key(request)}", *address_subjects(request)]


def address_subjects(request) -> list[str]:
    """The client address a request counts against (none when exempt or when addresses are not
    counted); a request without a session (a bearer token's) names its other subject itself."""
    if getattr(settings, "LIMIT_PER_ADDRESS", False):
        address = client_address(request)
        if address and not _listed(ipaddress.ip_address(address), "LIMIT_EXEMPT_ADDRESSES"):
            return [f"{ADDRESS}{address}"]
    return []


def charge(rate: Rate, who: list[str]) -> None:
    """Count one request against ``rate`` for every subject in ``who``; `Limited` when one is over."""
    now = clock()
    start = int(now // rate.window) * rate.window
    retry_after = max(1, math.ceil(start + rate.window - now))
    per = {1: "second", 60: "minute"}.get(rate.window, f"{rate.window} seconds")
    for subject in who:
        limit = rate.limit(subject)
        if limit <= 0:
            continue
        count = _count(f"limits:{rate.name}:{subject}:{start}", rate.window)
        if count > limit:
            source = " from this network address (shared by everyone behind it)" if subject.startswith(ADDRESS) else ""
            raise Limited(f"too many {rate.what}{source}: at most {limit} per {per}; "
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


def check_running_comparison(comparison: Comparison) -> None:
    """Refuse to play a comparison when its owner would then run more simulations than
    `check_running` allows: its running simulations and the members of its playing comparisons count."""
    limit = int(getattr(settings, "LIMIT_RUNNING_PER_SESSION", 10))
    if limit <= 0 or not comparison.owner_session or comparison.running:
        return
    session = comparison.owner_session
    running = (Simulation.objects.filter(owner_session=session, running=True).count()
               + ComparisonMember.objects.filter(comparison__owner_session=session, comparison__running=True).count())
    if running + comparison.members.count() > limit:
        raise Limited(f"at most {limit} simulations of one session may run at once (a comparison runs each of "
                      "its members): pause some first", RUNNING_RETRY_AFTER)


def login_refused(request) -> HttpResponse | None:
    """Count a login attempt (a POST) against `LOGINS`; the 429 to answer when over, else None.
    Every login form (the admin's, the presenters') goes through this."""
    if request.method != "POST":
        return None
    try:
        charge(LOGINS, subjects(request))
    except Limited as refusal:
        response = HttpResponse(refusal.message, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(refusal.retry_after)
        return response
    return None
