"""This process's viewers of each simulation, fed from one channel-layer membership per simulation.

A viewer (a socket's consumer) needs no channel of its own: the hub of its event loop joins the
simulation's group once, with one channel, when the first local viewer arrives, and hands every
message of the group to each local viewer in turn. So a class of 500 connecting at once makes one
``group_add`` per process (not 500, each taking a Redis connection from the pool: the pool ran
dry at 100), a delta costs the channel layer one message per process (not per viewer: the
in-memory layer's expiry scan ran over every viewer's channel on every send), and a viewer that
does not read delays nobody (its consumer holds or drops its own backlog).

The hub also does, per simulation, what used to be done per viewer: marking the simulation
watched (so its clock goes on) and telling the presenters how many watch — each hub announces
its own count of viewers to the group now and then, and every hub adds up the counts it heard.
When the channel layer fails (Redis away), the hub tells its viewers, tries again with back-off,
joins its groups again and has every viewer re-synced.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
import weakref

from channels.layers import get_channel_layer

from rolloutviz import protocol, runner
from rolloutviz.runner import faults
from rolloutviz.services import watching

logger = logging.getLogger(__name__)

RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)  # waits between tries after a failure (the last repeats)
WATCH_MARK_SECONDS = 60.0  # a simulation with viewers here is marked watched (and its group joined again) this often
AUDIENCE_SECONDS = 10.0  # each hub announces how many watch here this often; counts older than 2.5 x expire
AUDIENCE_MIN_SECONDS = 0.5  # a changed count goes out at most this often


def retry_delay(failures: int) -> float:
    """The wait before the next try after ``failures`` failures in a row."""
    return RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1] if failures else 0.0


class Hub:
    """The viewers of one event loop: joins groups for them and hands them their messages."""

    def __init__(self) -> None:
        self.id = uuid.uuid4().hex
        self.viewers: dict[int, set] = {}  # simulation id -> its viewers here
        self.channel: str | None = None
        self.receiving: asyncio.Task | None = None
        self.lost = False  # the channel layer failed: groups are joined again when it answers
        self.heard: dict[int, dict[str, tuple[int, float]]] = {}  # sim -> hub -> (viewers, loop time)
        self.chores: dict[int, asyncio.Task] = {}  # sim -> its marking and announcing task
        self.announce_soon: dict[int, asyncio.Task] = {}

    # ------------------------------------------------------------ viewers

    async def join(self, simulation_id: int, viewer) -> None:
        """``viewer`` watches ``simulation_id``: from now on it gets that simulation's messages."""
        first = not self.viewers.get(simulation_id)
        self.viewers.setdefault(simulation_id, set()).add(viewer)
        if self.receiving is None or self.receiving.done():
            self.receiving = asyncio.ensure_future(self._receive())
        if first:
            self.chores[simulation_id] = asyncio.ensure_future(self._chores(simulation_id))
            try:
                await self._layer().group_add(protocol.group_name(simulation_id), await self._channel())
            except Exception as error:  # the receive loop joins it again once the layer answers
                self.lost = True
                await viewer.layer_lost(error)
        self.count_changed(simulation_id)

    async def leave(self, simulation_id: int, viewer) -> None:
        """``viewer`` is gone; the group is left with the simulation's last viewer here."""
        viewers = self.viewers.get(simulation_id)
        if viewers is None or viewer not in viewers:
            return
        viewers.discard(viewer)
        if viewers:
            self.count_changed(simulation_id)
            return
        del self.viewers[simulation_id]
        for tasks in (self.chores, self.announce_soon):
            task = tasks.pop(simulation_id, None)
            if task is not None:
                task.cancel()
        self.heard.pop(simulation_id, None)
        try:
            await self.announce(simulation_id)
            await self._layer().group_discard(protocol.group_name(simulation_id), await self._channel())
        except Exception:  # the layer is away; it forgets the channel by itself
            pass

    # ------------------------------------------------------------ messages from the group

    async def _receive(self) -> None:
        failures = 0
        while True:
            try:
                if self.lost:
                    await self._join_again()
                    failures = 0
                message = await self._layer().receive(await self._channel())
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                self.lost = True
                reason = faults.report("channel layer", error, logger)
                for viewer in self._all_viewers():
                    await _safely(viewer.tell_stalled(reason))
                await asyncio.sleep(retry_delay(failures))
                continue
            await self.deliver(message)

    async def _join_again(self) -> None:
        """The layer may have restarted empty: join every group again, then re-sync every viewer."""
        for simulation_id in list(self.viewers):
            await self._layer().group_add(protocol.group_name(simulation_id), await self._channel())
        self.lost = False
        faults.clear("channel layer", logger)
        for viewer in self._all_viewers():
            viewer.request_snapshot()

    async def deliver(self, message: dict) -> None:
        """Hand a group message to each local viewer of its simulation, one after the other."""
        simulation_id = message.get("sim")
        if message.get("type") == protocol.LAYER_AUDIENCE:
            self.heard_count(message)
            return
        handler = message.get("type", "").replace(".", "_")
        for viewer in list(self.viewers.get(simulation_id, ())):
            method = getattr(viewer, handler, None)
            if method is not None:
                await _safely(method(message))

    # ------------------------------------------------------------ per simulation

    async def _chores(self, simulation_id: int) -> None:
        """Mark the simulation watched (and join its group again) every minute; announce this hub's
        count every `AUDIENCE_SECONDS`."""
        marked, first = float("-inf"), True
        while True:
            now = asyncio.get_running_loop().time()
            if now - marked >= WATCH_MARK_SECONDS:
                marked = now
                try:
                    await runner.in_thread(watching.mark_watched)(simulation_id)
                    if not first and not self.lost:  # channels-redis lets a membership lapse after a day
                        await self._layer().group_add(protocol.group_name(simulation_id), await self._channel())
                except Exception:  # the database or the layer may be away for a while; the next round will do
                    logger.debug("watching simulation %s failed", simulation_id, exc_info=True)
                first = False
            await _safely(self.announce(simulation_id))
            await asyncio.sleep(AUDIENCE_SECONDS)

    def count_changed(self, simulation_id: int) -> None:
        """Announce this hub's new count soon (changes in a burst of arrivals go out together)."""
        if simulation_id not in self.announce_soon or self.announce_soon[simulation_id].done():
            self.announce_soon[simulation_id] = asyncio.ensure_future(self._announce_later(simulation_id))

    async def _announce_later(self, simulation_id: int) -> None:
        await asyncio.sleep(AUDIENCE_MIN_SECONDS)
        await _safely(self.announce(simulation_id))

    async def announce(self, simulation_id: int) -> None:
        """Tell every hub how many pages watch the simulation here (its presenters not counted)."""
        viewers = sum(1 for v in self.viewers.get(simulation_id, ()) if not v.presenting)
        await self._layer().group_send(protocol.group_name(simulation_id), protocol.layer_audience(
            simulation_id=simulation_id, hub=self.id, viewers=viewers))

    def heard_count(self, message: dict) -> None:
        """Another hub's (or this one's) count: the presenters here hear the new total."""
        simulation_id = message["sim"]
        if simulation_id not in self.viewers:
            return
        now = asyncio.get_running_loop().time()
        counts = self.heard.setdefault(simulation_id, {})
        counts[message["hub"]] = (message["viewers"], now)
        for hub, (_, at) in list(counts.items()):
            if now - at > 2.5 * AUDIENCE_SECONDS:
                del counts[hub]
        total = sum(viewers for viewers, _ in counts.values())
        for viewer in self.viewers.get(simulation_id, ()):
            if viewer.presenting:
                viewer.tell_audience(total)

    async def send_view(self, simulation_id: int, view: dict, sender: str) -> None:
        """A presenter's view, for every page of the simulation that follows it."""
        await self._layer().group_send(protocol.group_name(simulation_id),
                                       protocol.layer_view(simulation_id=simulation_id, view=view, sender=sender))

    # ------------------------------------------------------------ plumbing

    def _layer(self):
        return get_channel_layer()

    async def _channel(self) -> str:
        if self.channel is None:
            self.channel = await self._layer().new_channel()
        return self.channel

    def _all_viewers(self) -> list:
        return [viewer for viewers in list(self.viewers.values()) for viewer in list(viewers)]


async def _safely(awaitable) -> None:
    """Await a viewer's handler; one viewer's failure is logged and the others go on."""
    try:
        await awaitable
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("a viewer's handler failed")


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def current() -> Hub:
    """The hub of the running event loop (one per server process; tests run several loops)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
