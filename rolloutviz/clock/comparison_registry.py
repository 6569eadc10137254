"""The comparisons' clocks: one asyncio task per playing comparison whose lease this process holds.

It runs beside the simulations' `ClockRegistry` (inside Daphne or in `manage.py runclock`). Each
task paces its comparison as a simulation's clock is paced (`Pacer`), and each batch steps every
member by the same ticks (`comparison_clock.lockstep_steps`: to one target time), the members in
parallel where they live (`runner`); between two batches it runs the commands sent to the
comparison, so each lands on every member at one instant. The lease is renewed before every batch,
so a pause, a speed change or a takeover counts from the next batch; a comparison none of whose
members anybody watches for ``IDLE_STOP_SECONDS`` is paused.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from rolloutviz import runner
from rolloutviz.clock import comparison_lease, lease
from rolloutviz.clock.comparison_lease import GroupClock
from rolloutviz.clock.leased_tasks import LeasedTasks
from rolloutviz.clock.pacing import Pacer
from rolloutviz.clock.registry import IDLE_CHECK_SECONDS
from rolloutviz.models import Comparison, Simulation
from rolloutviz.runner import faults
from rolloutviz.services import comparison_clock, live, watching
from rolloutviz.services.comparison_members import member_times

logger = logging.getLogger(__name__)


def _anyone_watching(comparison_id: int) -> bool:
    rows = Simulation.objects.filter(comparison_member__comparison_id=comparison_id).values_list("last_watched", "created")
    return any(not watching.unwatched_since(last, created) for last, created in rows)


def _stop_idle(comparison_id: int) -> None:
    Comparison.objects.filter(pk=comparison_id).update(running=False)


async def _advance(simulation_id: int, steps: int) -> None:
    """``steps`` ticks of one member, in as many time slices as it takes."""
    while steps > 0:
        state = await live.advance_async(simulation_id=simulation_id, steps=steps, lease_owner=None)
        if state is None or state.done < 1:
            raise RuntimeError(f"simulation {simulation_id} did not advance")
        steps -= state.done


@dataclass
class ComparisonDriver:
    """The registry's access to the database and the members, as ``owner`` of the leases it takes."""

    owner: str = field(default_factory=lease.process_identity)

    async def claimable(self) -> list[int]:
        return await runner.in_thread(comparison_lease.claimable_comparison_ids)(self.owner)

    async def acquire(self, comparison_id: int) -> GroupClock | None:
        return await runner.in_thread(comparison_lease.acquire)(comparison_id, self.owner, running=True)

    async def renew(self, comparison_id: int) -> GroupClock | None:
        return await runner.in_thread(comparison_lease.renew)(comparison_id, self.owner)

    async def drain(self, comparison_id: int) -> int:
        return await runner.in_thread(comparison_clock.drain)(comparison_id, self.owner)

    async def step(self, comparison_id: int, tick: float, steps: int) -> None:
        """Every member to one target time ``steps`` ticks on, the members in parallel where they live
        (awaited, holding no thread: a heavy member slows its comparison only)."""
        times = await runner.in_thread(member_times)(comparison_id)
        counts = comparison_clock.lockstep_steps(times, tick, steps) if times else {}
        heartbeat = asyncio.create_task(self._keep_lease(comparison_id))  # a heavy member's batch outlasts a lease
        try:
            await asyncio.gather(*(_advance(sid, count) for sid, count in counts.items() if count > 0))
        finally:
            heartbeat.cancel()

    async def _keep_lease(self, comparison_id: int) -> None:
        while True:
            await asyncio.sleep(lease.lease_seconds() / 3)
            await self.renew(comparison_id)

    async def watched(self, comparison_id: int) -> bool:
        return await runner.in_thread(_anyone_watching)(comparison_id)

    async def stop_idle(self, comparison_id: int) -> None:
        await runner.in_thread(_stop_idle)(comparison_id)

    async def let_go(self, comparison_id: int) -> None:
        await runner.in_thread(comparison_clock.let_go)(comparison_id, self.owner)

    async def release_all(self) -> None:
        await runner.in_thread(comparison_lease.release_all)(self.owner)


class ComparisonRegistry(LeasedTasks):
    """Plays every comparison whose lease this process holds."""

    name = "comparison clock"

    def __init__(self, driver: ComparisonDriver | None = None, *, scan_interval: float = 0.5,
                 renew_interval: float = 1.0, max_batch: int = 10, retry_delay: float = 1.0) -> None:
        super().__init__(driver or ComparisonDriver(), scan_interval=scan_interval, renew_interval=renew_interval,
                         max_batch=max_batch, logger=logger)
        self.retry_delay = retry_delay

    async def _drive(self, comparison_id: int, state: GroupClock) -> None:
        loop = asyncio.get_running_loop()
        pacer = Pacer(start=loop.time(), speed=state.speed, tick=state.tick)
        renewed = idle_checked = loop.time()
        what = f"comparison {comparison_id}"
        try:
            while state is not None and state.running and state.speed > 0:
                try:
                    await self.driver.drain(comparison_id)
                    now = loop.time()
                    due = pacer.due(now)
                    if due or now - renewed >= self.renew_interval:
                        state, renewed = await self.driver.renew(comparison_id), now
                        if state is None or not state.running:
                            break
                    if due:
                        steps = min(due, self.max_batch)
                        await self.driver.step(comparison_id, state.tick, steps)
                        pacer.done += steps
                        if pacer.due(loop.time()) > self.max_batch:  # overloaded: slower, not a backlog
                            pacer = Pacer(start=loop.time(), speed=pacer.speed, tick=pacer.tick)
                    if now - idle_checked >= IDLE_CHECK_SECONDS:
                        idle_checked = now
                        if not await self.driver.watched(comparison_id):
                            logger.info("clock of %s stopped: nobody watching", what)
                            await self.driver.stop_idle(comparison_id)
                            break
                    faults.clear(what, logger)
                except Exception as error:  # a member's step failed: the next batch catches it up
                    faults.report(what, error, logger)
                    await asyncio.sleep(self.retry_delay)
                    pacer = Pacer(start=loop.time(), speed=pacer.speed, tick=pacer.tick)
                    continue
                if (state.speed, state.tick) != (pacer.speed, pacer.tick):
                    pacer = Pacer(start=loop.time(), speed=state.speed, tick=state.tick)
                wake = min(pacer.next_at(), renewed + self.renew_interval)
                await asyncio.sleep(max(0.0, wake - loop.time()))
        finally:
            try:
                await asyncio.shield(self.driver.let_go(comparison_id))
            except Exception:  # the lease expires by itself
                logger.debug("letting go of %s failed", what, exc_info=True)
