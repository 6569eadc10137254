"""Running the clock registry inside the Daphne process (CLOCK_MODE=inprocess).

Daphne has no ASGI lifespan events, so `start_with_server` (called when the ASGI application
is imported) schedules the registry on Daphne's event loop, which starts it as soon as the
server runs, with or without any request; and a shutdown trigger cancels it, which releases
its leases so a restarted server goes on at once. Where the application is imported without
Daphne serving it (tests, management commands), nothing starts.
"""
from __future__ import annotations

import asyncio
import logging
import sys

from django.conf import settings

from rolloutviz.clock.registry import ClockRegistry

logger = logging.getLogger(__name__)

_running: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


def enabled() -> bool:
    """Whether this server process should advance simulations itself."""
    return getattr(settings, "CLOCK_MODE", "inprocess") == "inprocess"


def ensure_started() -> None:
    """Start a clock registry on the running event loop, once per loop."""
    loop = asyncio.get_running_loop()
    task = _running.get(loop)
    if task is None or task.done():
        registry = ClockRegistry()
        logger.info("clock registry %s started in-process", registry.owner)
        _running[loop] = loop.create_task(registry.run())


def stop_all():
    """Cancel every registry of this process; they release their leases on the way out."""
    tasks = [task for task in _running.values() if not task.done()]
    for task in tasks:
        task.cancel()
    return asyncio.gather(*tasks, return_exceptions=True) if tasks else None


def start_with_server() -> None:
    """Under Daphne, run the registry for as long as its event loop (and reactor) runs."""
    server = sys.modules.get("daphne.server")
    if not enabled() or server is None:
        return
    from twisted.internet import defer, reactor

    server.twisted_loop.call_soon(ensure_started)

    def before_shutdown():
        stopping = stop_all()
        return defer.Deferred.fromFuture(stopping) if stopping is not None else None

    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
