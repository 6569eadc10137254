"""Built-in demos: one per seed tutorial, each a ready manifest plus the tutorial's steps.

A step is data the page shows and can perform: its title, an English explanation of what
the tutorial teaches there, the kubectl line the tutorial types, and the API command that
does the same (`apply` with YAML, a command of `/api/simulations/<id>/commands/<name>`, or
`kubectl` for a read-only view).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    """One step of a tutorial and the command that performs it."""

    title: str
    explanation: str
    kubectl: str
    command: str
    args: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"title": self.title, "explanation": self.explanation, "kubectl": self.kubectl,
                "command": self.command, "args": dict(self.args)}


@dataclass(frozen=True)
class Demo:
    """A seed tutorial made runnable: the first manifest and the steps after it."""

    key: str
    title: str
    description: str
    source: str
    manifest: str
    steps: tuple[Step, ...]

    def as_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "description": self.description,
                "source": self.source, "manifest": self.manifest,
                "steps": [step.as_dict() for step in self.steps]}


def apply_step(title: str, explanation: str, yaml_text: str,
               kubectl: str = "kubectl apply -f deployment.yaml") -> Step:
    """A step that applies ``yaml_text``, as the tutorial's edit-and-apply does."""
    return Step(title, explanation, kubectl, "apply", {"yaml": yaml_text})


def _registry() -> dict[str, Demo]:
    from rolloutviz.demos import (
        hellok8s,
        k8s_in_action,
        nginx_docs,
        replicaset_practice,
        zero_downtime,
    )

    demos = [hellok8s.DEMO, nginx_docs.DEMO, replicaset_practice.DEMO, k8s_in_action.DEMO,
             zero_downtime.DEMO]
    return {demo.key: demo for demo in demos}


def all_demos() -> list[Demo]:
    """Every built-in demo, in the order of the seed tutorials."""
    return list(_registry().values())


def get_demo(key: str) -> Demo | None:
    """The demo called ``key``, or None."""
    return _registry().get(key)
