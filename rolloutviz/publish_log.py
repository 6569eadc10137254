"""When each delta was handed to the channel layer, for a benchmark to read (off unless set).

With the setting ``STREAM_PUBLISH_LOG`` (a file path), every publishing process appends a line
``<simulation id> <seq> <wall time>`` for each delta it sends to a group, just before sending it;
`python -m rolloutviz.bench fanout` reads the file to tell how long a delta took from publication
to its first and last viewer. The wall time is kept here only: the delta's text (stored,
replayed, compared byte for byte) never carries it.
"""
from __future__ import annotations

import time

from django.conf import settings

from rolloutviz import protocol


def note(simulation_id: int, messages: list[dict]) -> None:
    """Append the publication time of each delta in ``messages`` (nothing unless the setting is set)."""
    path = settings.STREAM_PUBLISH_LOG
    if not path:
        return
    now = time.time()
    lines = "".join(f"{simulation_id} {m['seq']} {now:.6f}\n"
                    for m in messages if m.get("type") == protocol.LAYER_DELTA)
    if lines:
        with open(path, "a") as log:  # one write of a few short lines: appends from several processes do not mix
            log.write(lines)


def read(path: str) -> dict[tuple[int, int], float]:
    """(simulation id, seq) -> the earliest time it was published, from a file `note` wrote."""
    published: dict[tuple[int, int], float] = {}
    try:
        with open(path) as log:
            for line in log:
                sim, seq, at = line.split()
                key = (int(sim), int(seq))
                published[key] = min(float(at), published.get(key, float("inf")))
    except FileNotFoundError:  # a server without the setting (an older checkout)
        pass
    return published
