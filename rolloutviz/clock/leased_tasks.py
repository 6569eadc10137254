"""One asyncio task per leased thing: the scan, start and stop loop the simulations' clocks and
the comparisons' clocks share (each says how to drive one of its things: `_drive`)."""
from __future__ import annotations

import asyncio
import logging

from rolloutviz.runner import faults


class LeasedTasks:
    """Scans for things whose lease is free (``driver.claimable``), takes each (``driver.acquire``)
    and drives it in a task of its own (``_drive``) until cancelled; then gives every lease up.

    ``driver`` needs ``owner``, ``claimable()``, ``acquire(id)`` and ``release_all()``; ``name``
    says what is scanned, in log lines and faults (e.g. "clock", "comparison clock")."""

    name = "leased tasks"

    def __init__(self, driver, *, scan_interval: float, renew_interval: float, max_batch: int,
                 logger: logging.Logger) -> None:
        self.driver = driver
        self.scan_interval = scan_interval
        self.renew_interval = renew_interval
        self.max_batch = max_batch  # at most this many steps per batch; more backlog is given up
        self.logger = logger
        self.tasks: dict[int, asyncio.Task] = {}

    @property
    def owner(self) -> str:
        return self.driver.owner

    async def run(self) -> None:
        """Scan and drive until cancelled; then give every lease up."""
        try:
            while True:
                try:
                    await self.scan()
                    faults.clear(f"{self.name} scan", self.logger)
                except Exception as error:  # e.g. the database briefly unavailable: try again next scan
                    faults.report(f"{self.name} scan", error, self.logger)
                await asyncio.sleep(self.scan_interval)
        finally:
            await self.stop()

    async def scan(self) -> None:
        """Start a driving task for each thing whose lease we can take."""
        for key in await self.driver.claimable():
            task = self.tasks.get(key)
            if task is not None and not task.done():
                continue
            state = await self.driver.acquire(key)
            if state is not None:
                self.logger.info("%s %s: driving %s at %s", self.name, self.owner, key, state)
                self.tasks[key] = asyncio.create_task(self._drive(key, state))

    async def stop(self) -> None:
        """Cancel every driving task and release every lease we hold.

        All of them, not only those with a task: a lease taken by an `acquire` whose answer
        the cancellation cut off is ours too.
        """
        tasks = [t for t in self.tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await asyncio.shield(self.driver.release_all())
        except Exception:
            self.logger.exception("releasing the %s leases of %s failed", self.name, self.owner)
        self.tasks.clear()

    async def _drive(self, key: int, state) -> None:
        raise NotImplementedError
