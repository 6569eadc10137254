"""The live stream of one simulation over a WebSocket: a snapshot, then the deltas as published.

The consumer owns no time and serialises nothing per tick: it forwards the delta text the
clock prepared, in seq order. Deltas can come from two processes (the clock's, and the one a
command reached), so one may overtake another: a delta after a gap waits up to
`GAP_GRACE_SECONDS` for the missing ones; if they never come (the channel layer drops
messages to a full channel), the client gets a fresh snapshot instead.
"""
from __future__ import annotations

import asyncio
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from rolloutviz import protocol
from rolloutviz.models import Simulation
from rolloutviz.services import live

CLOSE_NOT_FOUND = 4404
GAP_GRACE_SECONDS = 0.5


class SimulationConsumer(AsyncWebsocketConsumer):
    """`/ws/simulations/<id>/`: one viewer of one simulation."""

    async def connect(self) -> None:
        self.simulation_id = int(self.scope["url_route"]["kwargs"]["simulation_id"])
        self.group = protocol.group_name(self.simulation_id)
        self.last_seq: int | None = None
        self.pending: dict[int, str] = {}  # deltas that arrived ahead of a missing one
        self.gap_timer: asyncio.Task | None = None
        await self.accept()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        if self.gap_timer is not None:
            self.gap_timer.cancel()
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def send_snapshot(self) -> None:
        """Send the current full state (on connect, on request, after a gap or a reset)."""
        try:
            seq, text = await database_sync_to_async(live.snapshot_text)(simulation_id=self.simulation_id)
        except Simulation.DoesNotExist:
            await self.refuse_missing()
            return
        self.last_seq = seq
        await self.send(text_data=text)
        self.pending = {n: t for n, t in self.pending.items() if n > seq}
        await self.send_pending()

    async def send_pending(self) -> None:
        """Forward the waiting deltas that now follow on; stop waiting once none is missing."""
        while self.last_seq is not None and self.last_seq + 1 in self.pending:
            self.last_seq += 1
            await self.send(text_data=self.pending.pop(self.last_seq))
        if not self.pending and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None
        elif self.pending and self.gap_timer is None:
            self.gap_timer = asyncio.create_task(self.resync_after_grace())

    async def resync_after_grace(self) -> None:
        await asyncio.sleep(GAP_GRACE_SECONDS)
        self.gap_timer = None
        await self.send_snapshot()

    async def refuse_missing(self) -> None:
        message = protocol.error_message(
            code=protocol.NOT_FOUND, message=f'simulation "{self.simulation_id}" not found'
        )
        await self.send(text_data=protocol.encode(message))
        await self.close(code=CLOSE_NOT_FOUND)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "resync":
            await self.send_snapshot()
            return
        error = protocol.error_message(
            code=protocol.BAD_REQUEST, message='expected {"type": "resync"}; commands go over HTTP'
        )
        await self.send(text_data=protocol.encode(error))

    async def simulation_delta(self, event: dict) -> None:
        """Forward one prepared delta in seq order (see the module docstring for gaps)."""
        if self.last_seq is None or event["seq"] <= self.last_seq:
            return  # already part of the snapshot this viewer has
        self.pending[event["seq"]] = event["text"]
        await self.send_pending()

    async def simulation_resync(self, event: dict) -> None:
        """The state was replaced (reset): send a fresh snapshot."""
        await self.send_snapshot()

    async def simulation_gone(self, event: dict) -> None:
        """The simulation was deleted."""
        await self.refuse_missing()
