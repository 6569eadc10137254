"""Ready-made variants of a simulation's Deployment for a comparison: maxSurge 1, 25 %, Recreate,
without readiness probes, or as it runs. Each is the running manifest's text with that one change
(the other documents kept), which the person may edit further before comparing."""
from __future__ import annotations

import copy

import yaml

from rolloutviz.models import Deployment
from simulator.api.yaml_source import load_manifests


def _rolling(surge, unavailable):
    def change(deployment: dict) -> None:
        deployment.setdefault("spec", {})["strategy"] = {
            "type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    return change


def _recreate(deployment: dict) -> None:
    deployment.setdefault("spec", {})["strategy"] = {"type": "Recreate"}


def _no_readiness_probe(deployment: dict) -> None:
    pod = (deployment.get("spec") or {}).get("template", {}).get("spec") or {}
    for container in pod.get("containers") or []:
        container.pop("readinessProbe", None)


def _as_is(deployment: dict) -> None:
    return None


# key -> (label, the change to the Deployment document)
PRESETS = {
    "as-is": ("as it runs", _as_is),
    "max-surge-1": ("maxSurge 1, maxUnavailable 0", _rolling(1, 0)),
    "max-surge-25": ("maxSurge 25 %, maxUnavailable 25 %", _rolling("25%", "25%")),
    "recreate": ("Recreate", _recreate),
    "no-readiness-probe": ("no readiness probe", _no_readiness_probe),
}


def preset_yaml(manifest_text: str, preset: str) -> str:
    """``manifest_text`` with ``preset``'s change made to its (first) Deployment document."""
    documents = [copy.deepcopy(m.obj) for m in load_manifests(manifest_text)]
    deployment = next(d for d in documents if d.get("kind") == "Deployment")
    PRESETS[preset][1](deployment)
    return yaml.safe_dump_all(documents, sort_keys=False)


def variants_of(*, simulation_id: int) -> list[dict]:
    """``[{"preset", "label", "yaml"}]``: every preset made from the simulation's first Deployment's
    running manifest (none without a Deployment)."""
    row = Deployment.objects.filter(simulation_id=simulation_id).exclude(manifest="").order_by("name").first()
    if row is None:
        return []
    return [{"preset": key, "label": label, "yaml": preset_yaml(row.manifest, key)}
            for key, (label, _) in PRESETS.items()]
