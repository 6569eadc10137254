"""Running this server process's background parts on Daphne's event loop.

They are: the pool of simulation workers (always, unless ``SIM_WORKERS`` is 0), the database
tail (with the in-memory channel layer) and the clock registries of simulations and of
comparisons (CLOCK_MODE=inprocess). Daphne has no ASGI lifespan events, so `start_with_server` (called when the ASGI application is
imported) schedules them on Daphne's event loop, which starts them as soon as the server
runs, with or without any request; a shutdown trigger stops them, which releases the clock's
leases (so a restarted server goes on at once) and stops the workers. Where the application
is imported without Daphne serving it (tests, management commands), nothing starts.
"""
from __future__ import annotations

import asyncio
import logging
import sys

from django.conf import settings

from rolloutviz import runner
from rolloutviz.clock.comparison_registry import ComparisonRegistry
from rolloutviz.clock.registry import ClockRegistry
from rolloutviz.runner import tail
from rolloutviz.services import live

logger = logging.getLogger(__name__)

_running: dict[asyncio.AbstractEventLoop, list[asyncio.Task]] = {}


def enabled() -> bool:
    """Whether this server process should advance simulations itself."""
    return getattr(settings, "CLOCK_MODE", "inprocess") == "inprocess"


def ensure_started() -> None:
    """Start the workers, the tail and the clock registry on the running event loop, once per loop."""
    loop = asyncio.get_running_loop()
    if any(not task.done() for task in _running.get(loop, ())):
        return
    runner.start(loop=loop, publish=live.publish_async)
    tasks = []
    if tail.needed():
        tasks.append(loop.create_task(tail.current().run()))
    if enabled():
        registry = ClockRegistry()
        logger.info("clock registry %s started in-process", registry.owner)
        tasks.append(loop.create_task(registry.run()))
        tasks.append(loop.create_task(ComparisonRegistry().run()))
    _running[loop] = tasks


async def stop_all() -> None:
    """Cancel the registries (they release their leases on the way out) and the tails, then stop the workers."""
    tasks = [task for tasks in _running.values() for task in tasks if not task.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    _running.clear()
    runner.stop()


def start_with_server() -> None:
    """Under Daphne, run the background parts for as long as its event loop (and reactor) runs."""
    server = sys.modules.get("daphne.server")
    if server is None:
        return
    from twisted.internet import defer, reactor

    server.twisted_loop.call_soon(ensure_started)

    def before_shutdown():
        return defer.Deferred.fromFuture(asyncio.ensure_future(stop_all(), loop=server.twisted_loop))

    reactor.addSystemEventTrigger("before", "shutdown", before_shutdown)
