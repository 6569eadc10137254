"""Why the controllers do what they do, read for the page: each Deployment's latest
explanation, the running countdowns and the learner's notes, and what the Services' clients
get, at the simulation's current instant (all from the simulator; nothing here decides
anything)."""
from __future__ import annotations

import weakref

from rolloutviz.models import Simulation
from rolloutviz.services import live, rewind, shared_reads
from rolloutviz.services.errors import NotFound


SHARED_KEY = ("explanations",)  # what `shared_reads` files the answer now under: every viewer polls it


def explanations(*, simulation_id: int, seq: int | None = None) -> dict:
    """``{"t", "deployments": {name: explanation | None}, "countdowns": [...], "notes": [...],
    "services": [name], "traffic": {service: {"rate", "path", "port", "sent", "ok", "failed",
    "answers", "errors"}}}``
    (shapes in docs/contracts.md: Cluster.explanation, countdowns, notes); `NotFound`. With ``seq``:
    as it was at that past seq (`rewind.read_at`)."""
    if seq is not None:
        return rewind.read_at(simulation_id, seq, explained)
    try:
        return shared_reads.answer(simulation_id, SHARED_KEY,
                                   lambda: live.read(simulation_id=simulation_id, view=explained))
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None


async def explanations_async(*, simulation_id: int) -> dict:
    """`explanations` now, awaited on the event loop (no thread waits for the worker)."""
    try:
        return await live.read_async(simulation_id=simulation_id, view=explained)
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None


# the last answer per live copy, with the seq it is for: every viewer of a simulation polls this
# about once a second, so it is computed once per seq, not once per viewer (it visits every pod)
_answers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def explained(reader) -> dict:
    """The answer, read on the live copy (a module-level view: it runs where the copy lives;
    ``reader`` is `live.read`'s `Reader`, whose ``cluster`` answers the engine's questions).
    Shared by every caller at the same seq: nobody may change it."""
    cluster = reader.cluster
    kept = _answers.get(cluster)
    if kept is not None and kept[0] == reader.seq:
        return kept[1]
    answer = {"t": cluster.now,
              "deployments": {name: cluster.explanation(name) for name in reader.mirror.names("Deployment")},
              "countdowns": cluster.countdowns(), "notes": cluster.notes(),
              "services": [s["metadata"]["name"] for s in cluster.list("service")],
              "traffic": {service: {**client, **cluster.traffic(service)}
                          for service, client in cluster.traffic_clients().items()}}
    _answers[cluster] = (reader.seq, answer)
    return answer
