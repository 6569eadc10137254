"""The tail: changes committed by other processes reach this process's viewers on the in-memory layer.

With the in-memory channel layer a delta published by another process (a `manage.py kubectl`,
a second server) never reaches this process's viewers. For every simulation with a viewer here,
the tail reads ``Simulation.seq`` a few times a second; a gap between it and the last seq
published here that is still open at the next look is filled from the stored TickRecords, in
order (viewers drop duplicates by seq). With Redis every process's publications reach every
viewer already, so the tail does not run (`needed`).
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db.models import TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from rolloutviz import protocol
from rolloutviz.models import Simulation, TickRecord

logger = logging.getLogger(__name__)

INTERVAL = 0.25  # seconds between two looks; a gap is filled at the second look that still sees it
MAX_FILL = 500  # a larger gap is answered with a resync (one snapshot) instead of every delta

_published: dict[int, int] = {}  # simulation id -> highest seq published from this process


def note_published(simulation_id: int, messages: list[dict]) -> None:
    """Remember the highest seq published from this process (called by every publisher)."""
    seqs = [m["seq"] for m in messages if isinstance(m.get("seq"), int)]
    if seqs:
        _published[simulation_id] = max(_published.get(simulation_id, 0), *seqs)


def needed() -> bool:
    """Whether this process tails the database (setting ``LIVE_TAIL``: "auto" = with the in-memory layer)."""
    configured = getattr(settings, "LIVE_TAIL", "auto")
    if configured == "auto":
        return isinstance(get_channel_layer(), InMemoryChannelLayer)
    return bool(configured)


def _rows(ids: list[int]) -> dict[int, int]:
    return dict(Simulation.objects.filter(pk__in=ids).values_list("id", "seq"))


def _missing(simulation_id: int, after: int, upto: int) -> list[tuple[int, str | None, str | None, str]]:
    """(seq, wire version, cause, the delta's stored text) of each stored delta in (``after``, ``upto``], in order.

    The text as stored, never decoded here: decoding and encoding a large delta again would hold up
    every other viewer of this process.
    """
    rows = TickRecord.objects.filter(simulation_id=simulation_id, seq__gt=after, seq__lte=upto).order_by("seq")
    return list(rows.values_list("seq", KT("payload__v"), KT("payload__cause"), Cast("payload", TextField())))


def fill_messages(simulation_id: int, stored: list[tuple[int, str | None, str | None, str]]) -> list[dict]:
    """The layer messages that replay stored deltas, as `_missing` reads them, their text as stored
    (a reset's delta is followed by a resync; a delta in the first wire's shape, from before the
    compact form, is a resync instead)."""
    messages = []
    for seq, version, cause, text in stored:
        if int(version or 1) < protocol.VERSION:
            messages.append(protocol.layer_resync(simulation_id=simulation_id, seq=seq))
            continue
        messages.append(protocol.layer_delta(simulation_id=simulation_id, seq=seq, text=text))
        if cause == "reset":
            messages.append(protocol.layer_resync(simulation_id=simulation_id, seq=seq))
    return messages


class Tail:
    """Fills this process's viewers in on what other processes committed."""

    def __init__(self) -> None:
        self.viewers: Counter[int] = Counter()
        self.seen: dict[int, int] = {}  # row seq at the previous look

    def watch(self, simulation_id: int, seq: int) -> None:
        """A viewer here is at ``seq`` of this simulation."""
        self.viewers[simulation_id] += 1
        _published[simulation_id] = max(_published.get(simulation_id, 0), seq)

    def unwatch(self, simulation_id: int) -> None:
        self.viewers[simulation_id] -= 1
        if self.viewers[simulation_id] <= 0:
            del self.viewers[simulation_id]
            self.seen.pop(simulation_id, None)

    async def run(self) -> None:
        """Look every `INTERVAL` seconds until cancelled."""
        from rolloutviz import runner

        while True:
            await asyncio.sleep(INTERVAL)
            if not self.viewers:
                continue
            try:
                rows = await runner.in_thread(_rows)(list(self.viewers))
                for simulation_id in list(self.viewers):
                    await self._fill(simulation_id, rows.get(simulation_id))
            except Exception:  # the database may be briefly away: look again
                logger.debug("tail look failed", exc_info=True)

    async def _fill(self, simulation_id: int, seq: int | None) -> None:
        from rolloutviz import runner
        from rolloutviz.services import live

        if seq is None:
            await live.publish_async(simulation_id, [protocol.layer_gone(simulation_id=simulation_id)])
            return
        known, before = _published.get(simulation_id, 0), self.seen.get(simulation_id, 0)
        self.seen[simulation_id] = seq
        if before <= known or seq <= known:
            return  # no gap, or one that may still be closing by itself
        if seq - known > MAX_FILL:
            await live.publish_async(simulation_id, [protocol.layer_resync(simulation_id=simulation_id, seq=seq)])
            return
        stored = await runner.in_thread(_missing)(simulation_id, known, seq)
        await live.publish_async(simulation_id, fill_messages(simulation_id, stored))


_tail = Tail()


def current() -> Tail:
    """This process's tail (it only runs where `needed`; registering viewers costs nothing)."""
    return _tail
