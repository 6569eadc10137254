"""How a command reads on the timeline, as people say it: ``set image nginx:1.16.1``,
``scale to 5``, ``rollout undo``, ``delete pod web-…`` (a marker's ``words``), instead of the
method name it is recorded under (``set_image``)."""
from __future__ import annotations

from typing import Callable

KUBECTL_PREFIX = "kubectl "


def _node(args: dict) -> str:
    return f"node {args.get('node_name', '')} {'up' if args.get('ready') else 'down'}"


def _traffic(args: dict) -> str:
    service, rate = args.get("service", ""), args.get("rate", 0)
    return f"send {rate:g}/s to {service}" if isinstance(rate, (int, float)) and rate else f"stop traffic to {service}"


def _undo(args: dict) -> str:
    revision = args.get("to_revision") or 0
    return f"rollout undo to revision {revision}" if revision else "rollout undo"


# Cluster command (its method name) -> its words, from the command's arguments
_WORDS: dict[str, Callable[[dict], str]] = {
    "apply": lambda args: "apply",
    "scale": lambda args: f"scale to {args.get('replicas')}",
    "set_image": lambda args: f"set image {args.get('image', '')}",
    "rollout_undo": _undo,
    "rollout_pause": lambda args: "pause",
    "rollout_resume": lambda args: "resume",
    "rollout_restart": lambda args: "rollout restart",
    "delete_pod": lambda args: f"delete pod {args.get('name', '')}",
    "set_node_ready": _node,
    "send_traffic": _traffic,
}


def command_words(command: str, args: dict, label: str = "") -> str:
    """The words for a command run with ``args``; a Kubernetes API write named by its ``label``
    (kubectl's ``Kubectl-Command``, e.g. "kubectl set image") reads without the "kubectl "."""
    if label:
        return label[len(KUBECTL_PREFIX):] if label.startswith(KUBECTL_PREFIX) else label
    words = _WORDS.get(command)
    return words(args) if words else command.replace("_", " ")


def clock_words(*, running: bool | None, speed: float | None) -> str:
    """The words for a clock change: ``play``, ``pause clock``, ``speed 10×`` (or both)."""
    parts = []
    if running is not None:
        parts.append("play" if running else "pause clock")
    if speed is not None:
        parts.append(f"speed {float(speed):g}×")
    return ", ".join(parts) or "clock"
