"""The live stream of one simulation over a WebSocket: a snapshot, then the deltas as published.

The consumer owns no time and serialises nothing per tick: it forwards the delta text the
clock prepared, in seq order. Deltas can come from two processes (the clock's, and the one a
command reached), so one may overtake another: a delta after a gap waits up to
`GAP_GRACE_SECONDS` for the missing ones; if they never come (the channel layer drops
messages to a full channel), the client gets a fresh snapshot instead.

Per socket at most one snapshot is in flight: resync requests that arrive meanwhile are
answered by it, and deltas wait behind it. A client's resync requests are answered at most
once per `RESYNC_MIN_SECONDS`, and not at all when nothing was sent since the last snapshot,
so a flood of them from a socket that never reads costs one snapshot. Snapshots are built
where the simulation lives (a worker process) and shared by every viewer asking at once. The
consumer does no database or simulation work on the event loop. When the channel layer goes
away (Redis down), it tells its own client "stalled" and, once the layer answers again, sends
a fresh snapshot.
"""
from __future__ import annotations

import asyncio
import json
import logging

from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from rolloutviz import permissions, protocol, runner
from rolloutviz.models import Simulation
from rolloutviz.permissions import Role
from rolloutviz.runner import faults, tail
from rolloutviz.services import live, watching

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
GAP_GRACE_SECONDS = 0.5
MAX_PENDING = 2000  # deltas kept behind a snapshot in flight; beyond, the snapshot supersedes them
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)  # waits between tries after a failure (the last repeats)
RESYNC_MIN_SECONDS = 1.0  # a client's resync requests coalesce into one snapshot per this long
WATCH_MARK_SECONDS = 60.0  # an open socket tells `watching` it is there this often
PRESENCE_SECONDS = 10.0  # a viewer's page tells the presenters it is there this often
VIEW_MIN_SECONDS = 0.1  # a presenter's view goes out at most this often (the latest one wins)


def _retry_delay(failures: int) -> float:
    return RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1] if failures else 0.0


class SharedSnapshots:
    """Snapshot texts shared by the viewers of one simulation in this process.

    A request joins the build that has not started yet, or queues one behind the build
    running now (whose state may predate the request), so at most two builds per simulation
    are ever pending, whatever the number of viewers.
    """

    def __init__(self) -> None:
        self.queued: dict[tuple, asyncio.Task] = {}
        self.running: dict[tuple, asyncio.Task] = {}

    async def get(self, simulation_id: int) -> tuple[int, str]:
        key = (asyncio.get_running_loop(), simulation_id)
        task = self.queued.get(key)
        if task is None:
            task = self.queued[key] = asyncio.ensure_future(self._build(key))
        return await asyncio.shield(task)

    async def _build(self, key: tuple) -> tuple[int, str]:
        earlier = self.running.get(key)
        if earlier is not None:
            await asyncio.wait([earlier])
        me = self.queued.pop(key)
        self.running[key] = me
        try:
            return await live.snapshot_text_async(simulation_id=key[1])
        finally:
            if self.running.get(key) is me:
                del self.running[key]


snapshots = SharedSnapshots()


class _WatchedLayer:
    """The consumer's channel layer, whose `receive` outlives the layer going away (e.g. Redis restarting)."""

    def __init__(self, layer, consumer: "SimulationConsumer") -> None:
        self.layer, self.consumer = layer, consumer

    def __getattr__(self, name):
        return getattr(self.layer, name)

    async def receive(self, channel: str) -> dict:
        failures = 0
        while True:
            try:
                if failures:  # the layer may have restarted empty: join the groups again first
                    for group in self.consumer.groups:
                        await self.layer.group_add(group, channel)
                    await self.consumer.layer_back()
                    failures = 0
                return await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                failures += 1
                await self.consumer.layer_lost(error)
                await asyncio.sleep(_retry_delay(failures))


class SimulationConsumer(AsyncWebsocketConsumer):
    """`/ws/simulations/<id>/`: one viewer of one simulation."""

    @property
    def channel_layer(self):
        return self._layer

    @channel_layer.setter
    def channel_layer(self, layer) -> None:
        self._layer = _WatchedLayer(layer, self) if layer is not None else None

    async def dispatch(self, message: dict) -> None:
        """As Channels dispatches, without its per-message hop to the thread Django's sync views share:
        this consumer does no database work on the event loop."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.simulation_id = int(self.scope["url_route"]["kwargs"]["simulation_id"])
        self.group = protocol.group_name(self.simulation_id)
        self.role = await runner.in_thread(self.current_role)()
        if self.role is None:  # a stranger learns nothing, not even whether it exists
            await self.accept()
            await self.refuse_missing()
            return
        self.presenting = self.role >= Role.OWNER
        # presenters hear who watches; everyone else tells them now and then
        self.groups = [self.group] + ([protocol.presenters_group(self.simulation_id)] if self.presenting else [])
        self.audience: dict[str, float] = {}  # (presenters) viewer channel -> loop time last heard
        self.told_audience = 0  # (presenters) the count last told (none yet: nothing to say)
        self.view_out: asyncio.Task | None = None  # (presenters) the throttled view on its way
        self.next_view: dict | None = None
        self.last_seq: int | None = None
        self.pending: dict[int, str] = {}  # deltas that arrived ahead of a missing one, or behind a snapshot
        self.gap_timer: asyncio.Task | None = None
        self.snapshotting: asyncio.Task | None = None
        self.stalled: str | None = None  # the reason this client was last told, while stalled
        self.snapshot_sent_at = float("-inf")  # loop time of the last snapshot sent
        self.sent_since_snapshot = 0  # deltas sent after it
        self.asked: asyncio.Task | None = None  # a client's resync, held back to coalesce
        self.watched = False
        await self.accept()
        try:
            for group in self.groups:
                await self.channel_layer.group_add(group, self.channel_name)
        except Exception as error:  # the layer is away: its receive loop retries and joins
            await self.layer_lost(error)
        self.request_snapshot()
        self.marker = asyncio.ensure_future(self.keep_marking_watched())
        self.presence = asyncio.ensure_future(self.keep_presence())

    def current_role(self) -> Role | None:
        """The viewer's role now (`permissions`, the same rules as HTTP): the session's, or a ``?token=``'s."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = query.get("token", [None])[0]
        try:
            who = permissions.principal(session=self.scope.get("session"), user=self.scope.get("user"), bearer=token)
        except permissions.Unauthorized:
            return None
        return permissions.role_by_id(who, self.simulation_id)[1]

    async def check_role(self) -> None:
        """Close the socket if the viewer lost their role (a revoked link)."""
        self.role = await runner.in_thread(self.current_role)()
        if self.role is None:
            await self.refuse_missing()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "marker"):  # refused at connect: nothing was started
            return
        for task in (self.gap_timer, self.snapshotting, self.asked, self.marker, self.presence, self.view_out):
            if task is not None:
                task.cancel()
        if self.watched:
            tail.current().unwatch(self.simulation_id)
        try:
            if not self.presenting:
                await self.channel_layer.group_send(protocol.presenters_group(self.simulation_id),
                                                    protocol.layer_presence(channel=self.channel_name, here=False))
            for group in self.groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        except Exception:  # the layer is away; it forgets the channel by itself
            pass

    # ------------------------------------------------------------ snapshots

    def request_snapshot(self) -> None:
        """Send the current full state (on connect, on request, after a gap or a reset), unless one is on its way."""
        if self.snapshotting is None or self.snapshotting.done():
            self.snapshotting = asyncio.ensure_future(self.send_snapshot())

    async def send_snapshot(self) -> None:
        failures = 0
        while True:
            try:
                seq, text = await snapshots.get(self.simulation_id)
                break
            except Simulation.DoesNotExist:
                await self.refuse_missing()
                return
            except Exception as error:  # e.g. a worker lost, the database away: say so, try again
                failures += 1
                await self.tell_stalled(faults.reason(error))
                await asyncio.sleep(_retry_delay(failures))
        self.last_seq = seq
        self.stalled = None
        self.snapshot_sent_at, self.sent_since_snapshot = asyncio.get_running_loop().time(), 0
        await self.send(text_data=text)
        if not self.watched:
            self.watched = True
            tail.current().watch(self.simulation_id, seq)
        self.pending = {n: t for n, t in self.pending.items() if n > seq}
        self.snapshotting = None
        await self.send_pending()

    async def send_pending(self) -> None:
        """Forward the waiting deltas that now follow on; stop waiting once none is missing."""
        while self.last_seq is not None and self.last_seq + 1 in self.pending:
            self.last_seq += 1
            await self.send(text_data=self.pending.pop(self.last_seq))
            self.stalled = None
            self.sent_since_snapshot += 1
        if not self.pending and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None
        elif self.pending and self.gap_timer is None:
            self.gap_timer = asyncio.ensure_future(self.resync_after_grace())

    async def client_resync(self) -> None:
        """The client asked for a snapshot: one per `RESYNC_MIN_SECONDS`, and only if something was sent since the last."""
        if self.asked is not None:
            return  # one is already held back: this request joins it
        wait = self.snapshot_sent_at + RESYNC_MIN_SECONDS - asyncio.get_running_loop().time()
        self.asked = asyncio.ensure_future(self._answer_resync(max(0.0, wait)))

    async def _answer_resync(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self.asked = None
        if self.sent_since_snapshot or self.last_seq is None:
            self.request_snapshot()

    async def resync_after_grace(self) -> None:
        await asyncio.sleep(GAP_GRACE_SECONDS)
        self.gap_timer = None
        self.request_snapshot()

    async def refuse_missing(self) -> None:
        message = protocol.error_message(
            code=protocol.NOT_FOUND, message=f'simulation "{self.simulation_id}" not found'
        )
        await self.send(text_data=protocol.encode(message))
        await self.close(code=CLOSE_NOT_FOUND)

    # ------------------------------------------------------------ health

    async def tell_stalled(self, reason: str) -> None:
        """Tell this client the stream is stalled (once per reason)."""
        if self.stalled != reason:
            self.stalled = reason
            status = protocol.status_message(sim=self.simulation_id, state=protocol.STALLED, reason=reason)
            await self.send(text_data=protocol.encode(status))

    async def layer_lost(self, error: Exception) -> None:
        """The channel layer failed: this client hears nothing more until it is back."""
        reason = faults.report("channel layer", error, logger)
        await self.tell_stalled(reason)

    async def layer_back(self) -> None:
        """The channel layer answers again: whatever was missed comes as a fresh snapshot."""
        faults.clear("channel layer", logger)
        self.request_snapshot()

    async def keep_marking_watched(self) -> None:
        """An open socket counts as watching: the simulation's clock does not stop for lack of viewers.
        Each round also checks the viewer's role again, in case a revocation's message was lost."""
        first = True
        while True:
            try:
                if not first:
                    await self.check_role()
                await runner.in_thread(watching.mark_watched)(self.simulation_id)
            except Exception:  # the database may be away for a while; the next mark will do
                logger.debug("marking simulation %s watched failed", self.simulation_id, exc_info=True)
            first = False
            await asyncio.sleep(WATCH_MARK_SECONDS)

    # ------------------------------------------------------------ presenter mode

    async def keep_presence(self) -> None:
        """A viewer's page says it is here now and then; a presenter's page counts who said so lately."""
        while True:
            try:
                if self.presenting:
                    await self.tell_audience()
                else:
                    await self.channel_layer.group_send(protocol.presenters_group(self.simulation_id),
                                                        protocol.layer_presence(channel=self.channel_name, here=True))
            except Exception:  # the layer is away: the next round will do
                logger.debug("presence of simulation %s failed", self.simulation_id, exc_info=True)
            await asyncio.sleep(PRESENCE_SECONDS)

    async def tell_audience(self) -> None:
        """Tell the presenter how many pages watch, when that changed (silent ones drop out)."""
        now = asyncio.get_running_loop().time()
        self.audience = {c: seen for c, seen in self.audience.items() if now - seen < 2.5 * PRESENCE_SECONDS}
        if len(self.audience) != self.told_audience:
            self.told_audience = len(self.audience)
            await self.send(text_data=protocol.encode(
                protocol.audience_message(sim=self.simulation_id, viewers=self.told_audience)))

    async def simulation_presence(self, event: dict) -> None:
        """(Presenters) a viewer's page is here, or gone."""
        if event["here"]:
            self.audience[event["channel"]] = asyncio.get_running_loop().time()
        else:
            self.audience.pop(event["channel"], None)
        await self.tell_audience()

    async def present(self, view) -> None:
        """(Presenters) pass the page's view on to the pages that follow it, at most every `VIEW_MIN_SECONDS`."""
        view = protocol.clean_view(view)
        if view is None:
            await self.send(text_data=protocol.encode(protocol.error_message(
                code=protocol.BAD_REQUEST, message="view: expected {start, span, follow, selected}")))
            return
        self.next_view = view
        if self.view_out is None or self.view_out.done():
            self.view_out = asyncio.ensure_future(self._send_views())

    async def _send_views(self) -> None:
        while self.next_view is not None:
            view, self.next_view = self.next_view, None
            await self.channel_layer.group_send(self.group, protocol.layer_view(
                simulation_id=self.simulation_id, view=view, sender=self.channel_name))
            await asyncio.sleep(VIEW_MIN_SECONDS)

    async def simulation_view(self, event: dict) -> None:
        """The presenter's view: pass it on (the presenter's own page excepted)."""
        if event["sender"] != self.channel_name:
            await self.send(text_data=event["text"])

    # ------------------------------------------------------------ messages

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "resync":
            await self.client_resync()
            return
        if kind == "view" and self.presenting:
            await self.present(message.get("view"))
            return
        expected = '{"type": "resync"} or, from a presenter, {"type": "view", ...}' if self.presenting else (
            '{"type": "resync"}')
        error = protocol.error_message(code=protocol.BAD_REQUEST, message=f"expected {expected}; commands go over HTTP")
        await self.send(text_data=protocol.encode(error))

    async def simulation_delta(self, event: dict) -> None:
        """Forward one prepared delta in seq order (see the module docstring for gaps)."""
        if self.last_seq is not None and event["seq"] <= self.last_seq:
            return  # already part of the snapshot this viewer has, or a duplicate
        if len(self.pending) < MAX_PENDING:
            self.pending[event["seq"]] = event["text"]
        if self.snapshotting is None:
            await self.send_pending()

    async def simulation_resync(self, event: dict) -> None:
        """The state was replaced (reset): send a fresh snapshot."""
        self.request_snapshot()

    async def simulation_status(self, event: dict) -> None:
        """The simulation stalled (or is live again): pass it on."""
        status = protocol.decode(event["text"])
        self.stalled = status.get("reason") if status.get("state") == protocol.STALLED else None
        await self.send(text_data=event["text"])

    async def simulation_revoked(self, event: dict) -> None:
        """A link of this simulation was revoked: viewers who came through it are shown out."""
        await self.check_role()

    async def simulation_gone(self, event: dict) -> None:
        """The simulation was deleted."""
        await self.refuse_missing()
