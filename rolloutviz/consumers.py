"""The live stream of one simulation over a WebSocket: a snapshot, then the deltas as published.

The consumer owns no time and serialises nothing per tick: it forwards the delta text the
clock prepared. It remembers the last seq it sent; a delta it did not get (the channel layer
drops messages to a full channel) shows up as a gap, and the client gets a fresh snapshot.
"""
from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from rolloutviz import protocol
from rolloutviz.models import Simulation
from rolloutviz.services import live

CLOSE_NOT_FOUND = 4404


class SimulationConsumer(AsyncWebsocketConsumer):
    """`/ws/simulations/<id>/`: one viewer of one simulation."""

    async def connect(self) -> None:
        self.simulation_id = int(self.scope["url_route"]["kwargs"]["simulation_id"])
        self.group = protocol.group_name(self.simulation_id)
        self.last_seq: int | None = None
        await self.accept()
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
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
        """Forward one prepared delta, or re-sync if deltas were missed."""
        if self.last_seq is None or event["seq"] <= self.last_seq:
            return  # already part of the snapshot this viewer has
        if event["seq"] > self.last_seq + 1:
            await self.send_snapshot()
            return
        self.last_seq = event["seq"]
        await self.send(text_data=event["text"])

    async def simulation_resync(self, event: dict) -> None:
        """The state was replaced (reset): send a fresh snapshot."""
        await self.send_snapshot()

    async def simulation_gone(self, event: dict) -> None:
        """The simulation was deleted."""
        await self.refuse_missing()
