"""Starting the clock registry inside the web server process (CLOCK_MODE=inprocess).

Daphne has no ASGI lifespan, so the registry starts lazily: `start_with_server` (called when
the ASGI application is imported) schedules it on Daphne's event loop, which runs it as soon
as the server starts, with or without any request; `ensure_started` (called by the live
stream's consumer) covers any other ASGI server. One registry per process and event loop.
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
    """Whether this process should advance simulations itself."""
    return getattr(settings, "CLOCK_MODE", "inprocess") == "inprocess"


def ensure_started() -> None:
    """Start this process's clock registry on the running event loop, once."""
    if not enabled():
        return
    loop = asyncio.get_running_loop()
    task = _running.get(loop)
    if task is None or task.done():
        registry = ClockRegistry()
        logger.info("clock registry %s started in-process", registry.owner)
        _running[loop] = loop.create_task(registry.run())


def start_with_server() -> None:
    """Under Daphne, start the registry when its event loop starts running."""
    server = sys.modules.get("daphne.server")
    if not enabled() or server is None:
        return
    server.twisted_loop.call_soon(ensure_started)
