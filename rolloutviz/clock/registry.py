"""The clock registry: one asyncio task per simulation this process holds the lease for.

It does not care where it runs (inside Daphne or in `manage.py runclock`): it scans for
running simulations, takes the free leases, and paces each simulation's steps so that
``speed`` sim-seconds pass per wall-second. All database work goes through a driver
(`DatabaseDriver`: the lease functions and `live.advance`), run in worker threads.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from channels.db import database_sync_to_async

from rolloutviz.clock import lease
from rolloutviz.clock.lease import ClockState
from rolloutviz.clock.pacing import Pacer
from rolloutviz.models import Simulation
from rolloutviz.services import live

logger = logging.getLogger(__name__)


@dataclass
class DatabaseDriver:
    """The registry's access to the database, as ``owner`` of the leases it takes."""

    owner: str = field(default_factory=lease.process_identity)

    async def claimable(self) -> list[int]:
        return await database_sync_to_async(lease.claimable_simulation_ids)(self.owner)

    async def acquire(self, simulation_id: int) -> ClockState | None:
        return await database_sync_to_async(lease.acquire)(simulation_id, self.owner)

    async def renew(self, simulation_id: int) -> ClockState | None:
        return await database_sync_to_async(lease.renew)(simulation_id, self.owner)

    async def release(self, simulation_id: int) -> None:
        await database_sync_to_async(lease.release)(simulation_id, self.owner)

    async def release_all(self) -> None:
        await database_sync_to_async(lease.release_all)(self.owner)

    async def advance(self, simulation_id: int, steps: int) -> ClockState | None:
        return await database_sync_to_async(live.advance)(
            simulation_id=simulation_id, steps=steps, lease_owner=self.owner
        )


class ClockRegistry:
    """Advances every running simulation whose lease this process holds."""

    def __init__(
        self,
        driver: DatabaseDriver | None = None,
        *,
        scan_interval: float = 0.5,
        renew_interval: float = 1.0,
        max_batch: int = 10,
        retry_after: float = 5.0,
    ) -> None:
        self.driver = driver or DatabaseDriver()
        self.scan_interval = scan_interval
        self.renew_interval = renew_interval
        self.max_batch = max_batch  # at most this many steps per write; more backlog is dropped
        self.retry_after = retry_after
        self.tasks: dict[int, asyncio.Task] = {}
        self._failed_until: dict[int, float] = {}

    @property
    def owner(self) -> str:
        return self.driver.owner

    async def run(self) -> None:
        """Scan and drive until cancelled; then give every lease up."""
        try:
            while True:
                try:
                    await self.scan()
                except Exception:  # e.g. the database briefly unavailable: try again next scan
                    logger.exception("clock scan failed")
                await asyncio.sleep(self.scan_interval)
        finally:
            await self.stop()

    async def scan(self) -> None:
        """Start a driving task for each running simulation whose lease we can take."""
        now = asyncio.get_running_loop().time()
        for simulation_id in await self.driver.claimable():
            task = self.tasks.get(simulation_id)
            if (task is not None and not task.done()) or self._failed_until.get(simulation_id, 0) > now:
                continue
            state = await self.driver.acquire(simulation_id)
            if state is not None:
                logger.info("clock %s: driving simulation %s from seq %s", self.owner, simulation_id, state.seq)
                self.tasks[simulation_id] = asyncio.create_task(self._drive(simulation_id, state))

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
            logger.exception("releasing the leases of %s failed", self.owner)
        self.tasks.clear()

    async def _drive(self, simulation_id: int, state: ClockState) -> None:
        loop = asyncio.get_running_loop()
        pacer = Pacer(start=loop.time(), speed=state.speed, tick=state.tick)
        renewed = loop.time()
        try:
            while state is not None and state.running and state.speed > 0:
                now = loop.time()
                due = pacer.due(now)
                if due:
                    steps = min(due, self.max_batch)
                    state = await self.driver.advance(simulation_id, steps)
                    pacer.done += steps
                    if due > steps:  # overloaded: run slower rather than build a backlog
                        pacer = Pacer(start=loop.time(), speed=pacer.speed, tick=pacer.tick)
                    renewed = now
                elif now - renewed >= self.renew_interval:
                    state = await self.driver.renew(simulation_id)
                    renewed = now
                if state is None:
                    break
                if (state.speed, state.tick) != (pacer.speed, pacer.tick):
                    pacer = Pacer(start=loop.time(), speed=state.speed, tick=state.tick)
                wake = min(pacer.next_at(), renewed + self.renew_interval)
                await asyncio.sleep(max(0.0, wake - loop.time()))
        except Simulation.DoesNotExist:
            pass
        except Exception:
            logger.exception("clock of simulation %s failed; retrying in %ss", simulation_id, self.retry_after)
            self._failed_until[simulation_id] = loop.time() + self.retry_after
        finally:
            await asyncio.shield(self.driver.release(simulation_id))
