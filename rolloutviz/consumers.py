"""The live stream of one simulation over a WebSocket: a snapshot, then the deltas as published.

The consumer owns no time and serialises nothing per tick: it forwards the delta text the clock
prepared, in seq order. It has no channel of its own: this process's hub (`rolloutviz.hub`) is in
the simulation's group and hands it the group's messages. Deltas can come from two processes (the
clock's, and the one a command reached), so one may overtake another: a delta after a gap waits
up to `GAP_GRACE_SECONDS` for the missing ones; if they never come, the client gets a fresh
snapshot instead.

A socket that does not keep up delays nobody: Daphne's Twisted transport tells the consumer when
its buffer is full (`SocketFlow`); deltas then wait here, up to ``STREAM_BACKLOG_DELTAS`` of them
and ``STREAM_BACKLOG_BYTES`` (settings), and past that they are dropped and the client gets one
fresh snapshot once its socket drains. Per socket at most one snapshot is in flight: resync requests that arrive
meanwhile are answered by it, and deltas wait behind it. A client's resync requests are answered
at most once per `RESYNC_MIN_SECONDS`, and not at all when nothing was sent since the last
snapshot, so a flood of them from a socket that never reads costs one snapshot. Snapshots are
built where the simulation lives (a worker process) and shared by every viewer asking at once.
The consumer does no database or simulation work on the event loop.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import socket
import uuid
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth

from rolloutviz import hub, permissions, protocol, runner
from rolloutviz.models import Simulation
from rolloutviz.permissions import Role
from rolloutviz.runner import faults, tail
from rolloutviz.services import live

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
GAP_GRACE_SECONDS = 0.5
RESYNC_MIN_SECONDS = 1.0  # a client's resync requests coalesce into one snapshot per this long
ROLE_CHECK_SECONDS = 60.0  # an open socket checks its viewer's role again this often
VIEW_MIN_SECONDS = 0.1  # a presenter's view goes out at most this often (the latest one wins)


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


class SocketFlow:
    """Whether a socket's client keeps up, as Daphne's Twisted transport sees it.

    The transport pauses its streaming producer when its send buffer is full and resumes it once
    the buffer drained. Daphne's HTTP channel registered itself as that producer before the
    connection became a WebSocket; this taps in front of it, passing every call on. Without
    Daphne (a test's communicator) the socket always flows.
    """

    def __init__(self, on_resume) -> None:
        self.paused = False
        self.on_resume = on_resume
        self.transport = None
        self.inner = None  # the producer tapped (Daphne's HTTP channel), called as before

    def attach(self, send) -> None:
        """Tap the transport behind the ASGI ``send`` callable, if it is Daphne's."""
        transport = getattr(_twisted_protocol(send), "transport", None)
        if transport is None or not hasattr(transport, "registerProducer"):
            return
        if transport.producer is None:
            transport.registerProducer(self, True)
        elif transport.streamingProducer:
            self.inner, transport.producer = transport.producer, self
        else:
            return
        self.transport = transport
        self.paused = bool(getattr(transport, "producerPaused", False))
        _bound_send_buffer(transport)

    def detach(self) -> None:
        """Put the transport's producer back as it was."""
        transport, self.transport = self.transport, None
        if transport is not None and transport.producer is self:
            if self.inner is not None:
                transport.producer = self.inner
            else:
                transport.unregisterProducer()

    def pauseProducing(self) -> None:  # noqa: N802 - Twisted's IPushProducer
        if self.inner is not None:
            self.inner.pauseProducing()
        self.paused = True

    def resumeProducing(self) -> None:  # noqa: N802
        if self.inner is not None:
            self.inner.resumeProducing()
        self.paused = False
        self.on_resume()

    def stopProducing(self) -> None:  # noqa: N802
        if self.inner is not None:
            self.inner.stopProducing()
        self.paused = True


def _bound_send_buffer(transport) -> None:
    """Give the socket a fixed kernel send buffer (``STREAM_SOCKET_SEND_BUFFER``; 0: the kernel's own).

    Linux grows a socket's send buffer up to 4 MB by itself, even for a client that reads nothing:
    500 such sockets could hold 2 GB, and a client that stopped reading went unnoticed for
    megabytes. A fixed buffer lets the transport see it soon (`SocketFlow` pauses)."""
    size = settings.STREAM_SOCKET_SEND_BUFFER
    handle = getattr(transport, "getHandle", lambda: None)()
    if size and isinstance(handle, socket.socket):
        try:
            handle.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
        except OSError:  # a closed socket: nothing to bound
            pass


def _twisted_protocol(send):
    """The Twisted protocol behind Daphne's ASGI send callable, through Channels' session wrapper.

    Daphne gives an application ``partial(server.handle_reply, protocol)``; Channels' session
    middleware wraps it in a bound method whose object keeps it as ``real_send``."""
    for _ in range(8):
        if isinstance(send, functools.partial):
            found = [arg for arg in send.args if hasattr(arg, "registerProducer") and hasattr(arg, "transport")]
            return found[0] if found else None
        send = getattr(getattr(send, "__self__", None), "real_send", None)
        if send is None:
            return None
    return None


class SimulationConsumer(AsyncWebsocketConsumer):
    """`/ws/simulations/<id>/`: one viewer of one simulation."""

    channel_layer_alias = None  # no channel of its own: the hub of its process feeds it

    async def dispatch(self, message: dict) -> None:
        """As Channels dispatches, without its per-message hop to the thread Django's sync views share:
        this consumer does no database work on the event loop."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.simulation_id = int(self.scope["url_route"]["kwargs"]["simulation_id"])
        self.id = uuid.uuid4().hex
        # Accepted before the role check (a stranger is then closed as for a missing simulation):
        # a class connecting at once queues its checks, and Daphne refuses a handshake not
        # accepted within 5 s with a 403.
        await self.accept()
        self.role = await runner.in_thread(self.current_role)()
        if self.role is None:  # a stranger learns nothing, not even whether it exists
            await self.refuse_missing()
            return
        self.presenting = self.role >= Role.OWNER
        self.told_audience = 0  # (presenters) the count last told (none yet: nothing to say)
        self.view_out: asyncio.Task | None = None  # (presenters) the throttled view on its way
        self.next_view: dict | None = None
        self.last_seq: int | None = None
        self.pending: dict[int, str] = {}  # deltas that arrived ahead of a missing one, or while it cannot send
        self.pending_bytes = 0
        self.behind = False  # deltas were dropped while the socket was full: a snapshot is due
        self.gap_timer: asyncio.Task | None = None
        self.snapshotting: asyncio.Task | None = None
        self.stalled: str | None = None  # the reason this client was last told, while stalled
        self.snapshot_sent_at = float("-inf")  # loop time of the last snapshot sent
        self.sent_since_snapshot = 0  # deltas sent after it
        self.asked: asyncio.Task | None = None  # a client's resync, held back to coalesce
        self.watched = False
        self.flow = SocketFlow(self.resumed)
        self.hub = hub.current()
        self.flow.attach(self.base_send)
        self.checking = asyncio.ensure_future(self.keep_checking_role())
        await self.hub.join(self.simulation_id, self)
        self.request_snapshot()

    def current_role(self) -> Role | None:
        """The viewer's role now (`permissions`, the same rules as HTTP): the session's, or a ``?token=``'s."""
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = query.get("token", [None])[0]
        session = self.scope.get("session")
        # (looked up here, in a pool thread after accepting: see rolloutviz/asgi.py)
        user = auth.get_user(SimpleNamespace(session=session)) if session is not None and token is None else None
        try:
            who = permissions.principal(session=session, user=user, bearer=token)
        except permissions.Unauthorized:
            return None
        return permissions.role_by_id(who, self.simulation_id)[1]

    async def check_role(self) -> None:
        """Close the socket if the viewer lost their role (a revoked link)."""
        self.role = await runner.in_thread(self.current_role)()
        if self.role is None:
            await self.refuse_missing()

    async def keep_checking_role(self) -> None:
        """Check the viewer's role again now and then, in case a revocation's message was lost
        (spread out: a class that connected together does not query together)."""
        while True:
            await asyncio.sleep(ROLE_CHECK_SECONDS * random.uniform(0.8, 1.2))
            try:
                await self.check_role()
            except Exception:  # the database may be away for a while; the next round will do
                logger.debug("checking a viewer of simulation %s failed", self.simulation_id, exc_info=True)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "hub"):  # refused at connect: nothing was started
            return
        self.flow.detach()
        for task in (self.gap_timer, self.snapshotting, self.asked, self.checking, self.view_out):
            if task is not None:
                task.cancel()
        if self.watched:
            tail.current().unwatch(self.simulation_id)
        await self.hub.leave(self.simulation_id, self)

    async def close(self, code=None, reason=None) -> None:
        if hasattr(self, "flow"):
            self.flow.detach()
        await super().close(code=code, reason=reason)

    # ------------------------------------------------------------ snapshots

    def request_snapshot(self) -> None:
        """Send the current full state (on connect, on request, after a gap, a reset or falling behind),
        unless one is on its way."""
        if self.snapshotting is None or self.snapshotting.done():
            self.behind = False
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
                await asyncio.sleep(hub.retry_delay(failures))
        self.last_seq = seq
        self.stalled = None
        self.snapshot_sent_at, self.sent_since_snapshot = asyncio.get_running_loop().time(), 0
        await self.send(text_data=text)
        if not self.watched:
            self.watched = True
            tail.current().watch(self.simulation_id, seq)
        self.keep_pending(lambda n: n > seq)
        self.snapshotting = None
        if self.behind and not self.flow.paused:  # it fell behind again while this one was built
            self.request_snapshot()
            return
        await self.send_pending()

    def keep_pending(self, keep) -> None:
        self.pending = {n: t for n, t in self.pending.items() if keep(n)}
        self.pending_bytes = sum(map(len, self.pending.values()))

    async def send_pending(self) -> None:
        """Forward the waiting deltas that now follow on, while the socket takes them; stop waiting
        once none is missing."""
        while self.last_seq is not None and self.last_seq + 1 in self.pending and not self.flow.paused:
            self.last_seq += 1
            text = self.pending.pop(self.last_seq)
            self.pending_bytes -= len(text)
            await self.send(text_data=text)
            self.stalled = None
            self.sent_since_snapshot += 1
        missing = self.pending and self.last_seq is not None and self.last_seq + 1 not in self.pending
        if not missing and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None
        elif missing and self.gap_timer is None:
            self.gap_timer = asyncio.ensure_future(self.resync_after_grace())

    def resumed(self) -> None:
        """The socket drained: send what waited (or, if deltas were dropped meanwhile, a snapshot)."""
        if self.behind:
            self.request_snapshot()
        elif self.snapshotting is None and self.pending:
            asyncio.ensure_future(self.send_pending())

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
        await self.tell_stalled(faults.report("channel layer", error, logger))

    # ------------------------------------------------------------ presenter mode

    def tell_audience(self, viewers: int) -> None:
        """(Presenters) how many pages watch, when that changed."""
        if viewers != self.told_audience:
            self.told_audience = viewers
            asyncio.ensure_future(self.send(text_data=protocol.encode(
                protocol.audience_message(sim=self.simulation_id, viewers=viewers))))

    async def present(self, view) -> None:
        """(Presenters) pass the page's view on to the pages that follow it, at most every `VIEW_MIN_SECONDS`."""
        view = protocol.clean_view(view)
        if view is None:
            await self.send(text_data=protocol.encode(protocol.error_message(
                code=protocol.BAD_REQUEST, message="view: expected {start, span, follow, selected, rewound, playing, playback_speed}")))
            return
        self.next_view = view
        if self.view_out is None or self.view_out.done():
            self.view_out = asyncio.ensure_future(self._send_views())

    async def _send_views(self) -> None:
        while self.next_view is not None:
            view, self.next_view = self.next_view, None
            try:
                await self.hub.send_view(self.simulation_id, view, sender=self.id)
            except Exception:  # the layer is away: the next view will do
                logger.debug("presenting simulation %s failed", self.simulation_id, exc_info=True)
            await asyncio.sleep(VIEW_MIN_SECONDS)

    async def simulation_view(self, event: dict) -> None:
        """The presenter's view: pass it on (the presenter's own page excepted)."""
        if event["sender"] != self.id:
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
        """Forward one prepared delta in seq order (see the module docstring for gaps and slow sockets)."""
        seq, text = event["seq"], event["text"]
        if (self.last_seq is not None and seq <= self.last_seq) or seq in self.pending or self.behind:
            return  # already sent or waiting, or superseded by the snapshot due
        if self.pending and (len(self.pending) >= settings.STREAM_BACKLOG_DELTAS
                             or self.pending_bytes + len(text) > settings.STREAM_BACKLOG_BYTES):
            # (behind by more than the backlog; one delta bigger than it alone still goes out)
            self.keep_pending(lambda n: False)  # too far behind: a fresh snapshot instead, once it drains
            if self.flow.paused or self.snapshotting is not None:
                self.behind = True
            else:
                self.request_snapshot()
            return
        self.pending[seq] = text
        self.pending_bytes += len(text)
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

    async def simulation_lesson(self, event: dict) -> None:
        """The presenter moved the tutorial to another step: pass it on."""
        await self.send(text_data=event["text"])

    async def simulation_revoked(self, event: dict) -> None:
        """A link of this simulation was revoked: viewers who came through it are shown out."""
        await self.check_role()

    async def simulation_gone(self, event: dict) -> None:
        """The simulation was deleted."""
        await self.refuse_missing()
