"""`manage.py runclock`: advance running simulations from a process of its own.

For the multi-process setup: the Daphne processes run with CLOCK_MODE=external and only
serve; this process takes the clock leases and computes the steps in its own pool of worker
processes (``SIM_WORKERS``). Running two of them is safe (the leases decide), and one takes
over if the other dies.
"""
from __future__ import annotations

import asyncio
import signal

from django.core.management.base import BaseCommand

from rolloutviz import runner
from rolloutviz.clock.comparison_registry import ComparisonRegistry
from rolloutviz.clock.registry import ClockRegistry
from rolloutviz.services import live


class Command(BaseCommand):
    help = "Run the simulation and comparison clocks (one lease each) until interrupted."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--scan-interval", type=float, default=0.5,
                            help="seconds between looks for running simulations (default 0.5)")

    def handle(self, *args, scan_interval: float, **options) -> None:
        asyncio.run(self._run(scan_interval))

    async def _run(self, scan_interval: float) -> None:
        runner.start(loop=asyncio.get_running_loop(), publish=live.publish_async)
        registry = ClockRegistry(scan_interval=scan_interval)
        self.stdout.write(f"clock host {registry.owner}: advancing running simulations")
        comparisons = ComparisonRegistry(scan_interval=scan_interval)
        task = asyncio.ensure_future(asyncio.gather(registry.run(), comparisons.run()))
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass  # the registry released its leases on the way out
        finally:
            runner.stop()
        self.stdout.write("clock host stopped")
