"""The commands by the names the API and the demos use (``scale``, ``set-image``, ``undo``,
…): each name's allowed and required arguments, and the service it runs."""
from __future__ import annotations

from typing import Callable

from rolloutviz.services import commands, kubectl, simulations
from rolloutviz.services.errors import InvalidInput, NotFound


def _clock(sid: int, args: dict) -> dict:
    return simulations.clock_set(simulation_id=sid, running=args.get("running"),
                                 speed=args.get("speed"))


def _reset(sid: int, args: dict) -> dict:
    return {"seq": simulations.simulation_reset(simulation_id=sid)}


# name -> (allowed argument names, required argument names, the call)
COMMANDS: dict[str, tuple[set, set, Callable[[int, dict], object]]] = {
    "scale": ({"deployment", "replicas"}, {"deployment", "replicas"},
              lambda sid, a: commands.deployment_scale(simulation_id=sid, **a)),
    "set-image": ({"deployment", "container", "image"}, {"deployment", "container", "image"},
                  lambda sid, a: commands.deployment_set_image(simulation_id=sid, **a)),
    "undo": ({"deployment", "to_revision"}, {"deployment"},
             lambda sid, a: commands.deployment_rollback(simulation_id=sid, **a)),
    "pause": ({"deployment"}, {"deployment"},
              lambda sid, a: commands.deployment_pause(simulation_id=sid, **a)),
    "resume": ({"deployment"}, {"deployment"},
               lambda sid, a: commands.deployment_resume(simulation_id=sid, **a)),
    "restart": ({"deployment"}, {"deployment"},
                lambda sid, a: commands.deployment_restart(simulation_id=sid, **a)),
    "delete-pod": ({"pod", "deployment"}, set(),
                   lambda sid, a: commands.pod_delete(simulation_id=sid, **a)),
    "node": ({"node", "ready"}, {"node", "ready"},
             lambda sid, a: commands.node_set_ready(simulation_id=sid, **a)),
    "traffic": ({"service", "rate", "path", "port"}, {"service", "rate"},
                lambda sid, a: commands.service_traffic(simulation_id=sid, **a)),
    "clock": ({"running", "speed"}, set(), _clock),
    "step": ({"count"}, set(), lambda sid, a: simulations.clock_step(simulation_id=sid, **a)),
    "reset": (set(), set(), _reset),
}


def run_named_command(*, simulation_id: int, name: str, args: dict):
    """Run the command called ``name`` with ``args`` (checked against its argument names;
    a null value counts as not given)."""
    args = checked_arguments(name, args)
    return COMMANDS[name][2](simulation_id, args)


def checked_arguments(name: str, args: dict) -> dict:
    """``args`` of the command ``name`` without its nulls, once its argument names are checked
    (`NotFound` for an unknown command, `InvalidInput` for an unknown or missing argument)."""
    if name not in COMMANDS:
        raise NotFound(f'unknown command "{name}"; one of {", ".join(sorted(COMMANDS))}')
    allowed, required, _ = COMMANDS[name]
    args = {k: v for k, v in args.items() if v is not None}  # null means "not given"
    for key in sorted(set(args) - allowed):
        raise InvalidInput(f"{key}: unknown field", field=key)
    for key in sorted(required - set(args)):
        raise InvalidInput(f"{key}: Required value", field=key)
    return args


def run_demo_step(*, simulation_id: int, command: str, args: dict):
    """Perform one demo step: ``apply`` (its YAML), ``kubectl`` (a text view) or a command."""
    if command == "apply":
        return commands.manifest_apply(simulation_id=simulation_id, yaml_text=args.get("yaml"))
    if command == "kubectl":
        return kubectl.kubectl_view(simulation_id=simulation_id, args=args.get("args", ""))
    return run_named_command(simulation_id=simulation_id, name=command, args=args)


# names whose refusal the page can ask about before it shows a preview -> the Cluster command
CHECKED = {"undo": "rollout_undo", "pause": "rollout_pause", "resume": "rollout_resume",
           "restart": "rollout_restart"}


def named_command_refusal(*, simulation_id: int, name: str, args: dict) -> str | None:
    """What the command called ``name`` (one of `CHECKED`) would be refused with now, or None."""
    args = checked_arguments(name, args)
    if name not in CHECKED:
        raise NotFound(f'no check for command "{name}"; one of {", ".join(sorted(CHECKED))}')
    return commands.command_refusal(simulation_id=simulation_id, command=CHECKED[name], **args)
