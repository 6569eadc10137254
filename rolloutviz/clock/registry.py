"""The clock registry: one asyncio task per simulation this process holds the lease for.

It does not care where it runs (inside Daphne or in `manage.py runclock`): it scans for
running simulations, takes the free leases, and paces each simulation's steps so that
``speed`` sim-seconds pass per wall-second. Steps run where the simulation lives (a worker
process, `rolloutviz.runner`), one time slice per batch, so a heavy simulation falls behind
alone and says so (the delta's ``clock.effective``); the lease and watching queries run in
threads of their own, never in the one thread Django's sync views share.

A batch that fails (database full or read-only, a worker lost, a step raising) makes the
simulation's viewers see "stalled: <reason>"; the clock tries again with back-off and the
viewers see it live again with the next delta. A simulation nobody watches for
``IDLE_STOP_SECONDS`` has its clock stopped, with a clock delta saying why.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from rolloutviz import protocol, runner
from rolloutviz.clock import lease
from rolloutviz.clock.lease import ClockState
from rolloutviz.clock.leased_tasks import LeasedTasks
from rolloutviz.clock.pacing import Keeping, Pacer
from rolloutviz.models import Simulation
from rolloutviz.runner import faults
from rolloutviz.services import live, watching

logger = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 5.0  # how often a driving clock asks whether anybody still watches


def _watched(simulation_id: int) -> bool:
    row = Simulation.objects.filter(pk=simulation_id).values("last_watched", "created").first()
    return row is None or not watching.unwatched_since(row["last_watched"], row["created"])


def _stop_idle(simulation_id: int) -> None:
    minutes = watching.idle_stop_seconds() / 60
    live.set_clock(simulation_id=simulation_id, running=False, reason=f"stopped: nobody watching for {minutes:g} min")


@dataclass
class DatabaseDriver:
    """The registry's access to the database and the simulations, as ``owner`` of the leases it takes."""

    owner: str = field(default_factory=lease.process_identity)

    async def claimable(self) -> list[int]:
        return await runner.in_thread(lease.claimable_simulation_ids)(self.owner)

    async def acquire(self, simulation_id: int) -> ClockState | None:
        return await runner.in_thread(lease.acquire)(simulation_id, self.owner)

    async def renew(self, simulation_id: int) -> ClockState | None:
        return await runner.in_thread(lease.renew)(simulation_id, self.owner)

    async def release(self, simulation_id: int) -> None:
        await runner.in_thread(lease.release)(simulation_id, self.owner)

    async def release_all(self) -> None:
        await runner.in_thread(lease.release_all)(self.owner)

    async def advance(self, simulation_id: int, steps: int, effective: float | None = None) -> ClockState | None:
        return await live.advance_async(simulation_id=simulation_id, steps=steps, lease_owner=self.owner,
                                        effective=effective)

    async def watched(self, simulation_id: int) -> bool:
        return await runner.in_thread(_watched)(simulation_id)

    async def stop_idle(self, simulation_id: int) -> None:
        await runner.in_thread(_stop_idle)(simulation_id)

    async def status(self, simulation_id: int, state: str, reason: str = "") -> None:
        await live.publish_async(simulation_id, [protocol.layer_status(simulation_id=simulation_id, state=state,
                                                                       reason=reason)])


class ClockRegistry(LeasedTasks):
    """Advances every running simulation whose lease this process holds."""

    name = "clock"

    def __init__(
        self,
        driver: DatabaseDriver | None = None,
        *,
        scan_interval: float = 0.5,
        renew_interval: float = 1.0,
        max_batch: int = 10,
        retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0),
    ) -> None:
        super().__init__(driver or DatabaseDriver(), scan_interval=scan_interval, renew_interval=renew_interval,
                         max_batch=max_batch, logger=logger)
        self.retry_delays = retry_delays  # waits after consecutive failures (the last repeats)

    def _retry_delay(self, failures: int) -> float:
        return self.retry_delays[min(failures, len(self.retry_delays)) - 1]

    async def _drive(self, simulation_id: int, state: ClockState) -> None:
        loop = asyncio.get_running_loop()
        pacer = Pacer(start=loop.time(), speed=state.speed, tick=state.tick)
        keeping = Keeping()
        renewed = idle_checked = loop.time()
        failures = 0
        told = None  # the stall reason the viewers were told
        first_batch = True
        what = f"simulation {simulation_id}"
        try:
            while state is not None and state.running and state.speed > 0:
                now = loop.time()
                worked = False  # a batch or a renewal went through the database in this round
                try:
                    due = pacer.due(now)
                    if due:
                        steps = min(due, self.max_batch)
                        state = await self.driver.advance(simulation_id, steps, keeping.effective(now))
                        if state is None:
                            break
                        worked = True
                        pacer.done += state.done
                        behind = pacer.due(loop.time())
                        if first_batch:  # it included starting up (a worker loading the simulation): not a pace
                            first_batch, behind = False, self.max_batch + 1
                        else:
                            keeping.add(now, state.done, behind if behind > self.max_batch else 0)
                        if behind > self.max_batch:  # overloaded: run slower rather than build a backlog
                            pacer = Pacer(start=loop.time(), speed=pacer.speed, tick=pacer.tick)
                        renewed = now
                    elif now - renewed >= self.renew_interval:
                        state = await self.driver.renew(simulation_id)
                        renewed, worked = now, True
                    if state is not None and now - idle_checked >= IDLE_CHECK_SECONDS:
                        idle_checked = now
                        if not await self.driver.watched(simulation_id):
                            logger.info("clock of %s stopped: nobody watching", what)
                            await self.driver.stop_idle(simulation_id)
                            break
                except Simulation.DoesNotExist:
                    break
                except Exception as error:
                    failures += 1
                    reason = faults.report(what, error, logger)
                    if reason != told:
                        told = reason
                        await self._stalled(simulation_id, reason)
                    await asyncio.sleep(self._retry_delay(failures))
                    pacer = Pacer(start=loop.time(), speed=pacer.speed, tick=pacer.tick)
                    keeping.reset()
                    first_batch = True
                    continue
                if failures and worked:
                    failures, told = 0, None
                    faults.clear(what, logger)
                    await self._stalled(simulation_id, None)
                if state is None:
                    break
                if (state.speed, state.tick) != (pacer.speed, pacer.tick):
                    pacer = Pacer(start=loop.time(), speed=state.speed, tick=state.tick)
                    keeping.reset()
                wake = min(pacer.next_at(), renewed + self.renew_interval)
                await asyncio.sleep(max(0.0, wake - loop.time()))
        finally:
            await asyncio.shield(self._release(simulation_id))

    async def _stalled(self, simulation_id: int, reason: str | None) -> None:
        """Tell the simulation's viewers it stalled (with why), or, ``reason`` None, that it is live again."""
        state = protocol.STALLED if reason else protocol.LIVE
        try:
            await self.driver.status(simulation_id, state, reason or "")
        except Exception:  # the layer itself may be away: its consumers say so on their own
            logger.debug("status of simulation %s not published", simulation_id, exc_info=True)

    async def _release(self, simulation_id: int) -> None:
        try:
            await self.driver.release(simulation_id)
        except Exception:  # the lease expires by itself
            logger.debug("releasing the lease of simulation %s failed", simulation_id, exc_info=True)
