"""The lesson's position: which tutorial step the presenter shows, stored on the simulation and
told to every page watching it, so a reload or a viewer who joins late sees the same step."""
from __future__ import annotations

import json

from rolloutviz import demos, protocol
from rolloutviz.models import Simulation
from rolloutviz.services import live
from rolloutviz.services.errors import InvalidInput, NotFound


def _steps(sim: Simulation) -> int:
    demo = demos.get_demo(sim.demo) if sim.demo else None
    return len(demo.steps) if demo else 0


def _answer(sim: Simulation) -> dict:
    return {"step": sim.lesson_step, "steps": _steps(sim)}


def lesson_get(*, simulation_id: int) -> dict:
    """``{"step", "steps"}``: the current step (0-based) and how many the tutorial has (0: none)."""
    sim = Simulation.objects.filter(pk=simulation_id).first()
    if sim is None:
        raise NotFound(f"simulation {simulation_id} not found")
    return _answer(sim)


def lesson_set(*, simulation_id: int, step) -> dict:
    """Move the lesson to ``step`` (0-based, within the tutorial's steps) and tell every viewer.

    Checked before anything is written: an integer (not a bool), in range, on a simulation made
    from a demo with steps. Returns what `lesson_get` returns.
    """
    sim = Simulation.objects.filter(pk=simulation_id).first()
    if sim is None:
        raise NotFound(f"simulation {simulation_id} not found")
    steps = _steps(sim)
    if step is None:
        raise InvalidInput("step: Required value", field="step")
    if type(step) is not int:
        raise InvalidInput(f"step: Invalid value: {json.dumps(step)}: must be an integer", field="step")
    if steps == 0:
        raise InvalidInput("step: Forbidden: this simulation has no tutorial (it was not made from a demo)",
                           field="step")
    if not 0 <= step < steps:
        raise InvalidInput(f"step: Invalid value: {step}: must be between 0 and {steps - 1} "
                           f"(the tutorial has {steps} steps)", field="step")
    Simulation.objects.filter(pk=simulation_id).update(lesson_step=step)
    live.publish(simulation_id, [protocol.layer_lesson(simulation_id=simulation_id, step=step, steps=steps)])
    return {"step": step, "steps": steps}
