"""What-if before applying: a prediction of what an edited manifest would do to a simulation,
and its check, the same manifest run on a private copy of the simulation's cluster.

The prediction is read on the simulation's live copy where it lives (`live.read`: a few
milliseconds, no copy), together with a snapshot of it when a check is asked for. The check
runs as a job of its own in the worker pool, routed apart from the simulation (`runner.side_lane`),
so it never holds up the simulation's clock or anyone's stream; the pool's heavy-job rule
moves other simulations off its worker while it computes. It is bounded in simulated time
(the prediction's end plus a margin) and in wall time (``WHATIF_WALL_SECONDS``), records
nothing, publishes nothing and counts toward no cap. Nothing of the simulation changes.
"""
from __future__ import annotations

from django.conf import settings

from rolloutviz import runner
from rolloutviz.models import Simulation
from rolloutviz.services import live
from rolloutviz.services.errors import InvalidInput, NotFound
from rolloutviz.services.manifests import manifest_load
from simulator import whatif as engine_whatif

DEFAULT_WALL_SECONDS = 5.0


def wall_seconds() -> float:
    """Wall-time bound of one check (setting ``WHATIF_WALL_SECONDS``; kept well under the
    worker pool's job deadline)."""
    return float(getattr(settings, "WHATIF_WALL_SECONDS", DEFAULT_WALL_SECONDS))


def whatif(*, simulation_id: int, yaml_text, run: bool = True) -> dict:
    """``{"prediction": {"deployments": [...]}, "run": {...} | None}`` for applying
    ``yaml_text`` now (shapes in docs/contracts.md), waiting for the check in this thread.

    The text is checked as an apply checks it: ``TooLarge``, ``InvalidInput``, and the
    simulator's ``ValidationError`` with every field and line (nothing is run then);
    `NotFound` for an unknown simulation. ``run`` False skips the check.
    """
    answer, pending = prediction(simulation_id=simulation_id, yaml_text=yaml_text, run=run)
    if pending is not None:
        answer["run"] = runner.run(runner.side_lane(simulation_id), checked, **pending)
    return answer


def prediction(*, simulation_id: int, yaml_text, run: bool) -> tuple[dict, dict | None]:
    """The answer without its check (``"run": None``) and, when ``run``, the check's arguments
    for `checked` (the server awaits it with `check_async`); errors as `whatif`."""
    if not isinstance(run, bool):
        raise InvalidInput("run: must be true or false", field="run")
    manifest_load(yaml_text=yaml_text)
    try:
        predicted_now, state = live.read(simulation_id=simulation_id, view=predicted, args=(yaml_text, run))
    except Simulation.DoesNotExist:
        raise NotFound(f"simulation {simulation_id} not found") from None
    pending = None
    if run:
        pending = {"state": state, "yaml_text": yaml_text, "prediction": predicted_now,
                   "wall_seconds": wall_seconds()}
    return {"prediction": predicted_now, "run": None}, pending


async def check_async(simulation_id: int, pending: dict) -> dict:
    """The check awaited from the event loop: it holds no thread while it runs in the pool."""
    return await runner.run_async(runner.side_lane(simulation_id), checked, **pending)


def predicted(reader, yaml_text: str, with_state: bool) -> tuple[dict, dict | None]:
    """The prediction on the live copy, and a snapshot of it for the check (a module-level
    view: it runs where the copy lives)."""
    cluster = reader.cluster
    prediction = cluster.predict(yaml_text)
    return prediction, (cluster.snapshot() if with_state else None)


def checked(*, state: dict, yaml_text: str, prediction: dict, wall_seconds: float) -> dict:
    """The check, run in whichever worker the pool picks (a module-level job)."""
    return engine_whatif.check(state, yaml_text, prediction, wall_seconds=wall_seconds)
