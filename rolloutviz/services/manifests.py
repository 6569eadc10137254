"""Manifest input: the cheap checks before an apply, and the "what will change" diff.

Parsing is the simulator's own (`simulator.api.yaml_source`): one YAML pipeline for the whole
product, with its size cap, alias/depth pre-scan and line map.
"""
from __future__ import annotations

import difflib

import yaml

from rolloutviz.services.errors import InvalidInput, TooLarge
from simulator.api.apply import prepare
from simulator.api.yaml_source import MAX_MANIFEST_BYTES, Manifest, load_manifests
from simulator.errors import ValidationError
from simulator.objects import copy_data

# kind -> (the resource name kubectl prints, the cluster's kind key)
_KINDS = {
    "Deployment": ("deployment.apps", "deployment"),
    "ReplicaSet": ("replicaset.apps", "replicaset"),
}


def manifest_load(*, yaml_text) -> list[Manifest]:
    """Parse the YAML of an apply or a diff, refusing oversized, malformed or empty input.

    Raises ``TooLarge`` over the size cap, ``simulator.ValidationError`` (with lines) for
    YAML problems, ``InvalidInput`` when the text is not a string or holds no object.
    """
    if not isinstance(yaml_text, str):
        raise InvalidInput("yaml: must be a string", field="yaml")
    try:
        manifests = load_manifests(yaml_text)
    except ValidationError as exc:
        if len(yaml_text.encode("utf-8", "surrogatepass")) > MAX_MANIFEST_BYTES:
            raise TooLarge(exc.errors[0].message, line=exc.errors[0].line) from None
        raise
    if not manifests:
        raise InvalidInput("error: no objects passed to apply")
    return manifests


def spec_diff(*, manifest: Manifest, resource: str, name: str, running: dict | None) -> str:
    """Unified diff of a running object's spec against the spec applying ``manifest`` stores.

    The stored spec is what the simulated API server would keep: `kubectl apply`'s three-way
    merge with the running object, then defaulting and validation (an invalid edit raises
    `ValidationError` with lines). ``running`` is None for an object the apply would create.
    """
    live_object = None
    if running is not None:
        live_object = {k: v for k, v in running.items() if k != "status"}
    stored, _ = prepare(manifest, live_object)
    old_text = _dump(running.get("spec") or {}) if running is not None else ""
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        _dump(stored.get("spec") or {}).splitlines(keepends=True),
        fromfile=f"{resource}/{name} (running)" if running is not None else "/dev/null",
        tofile=f"{resource}/{name} (edited)",
    )
    return "".join(lines)


def diff_targets(manifests: list[Manifest]) -> list[tuple[Manifest, str, str, str]]:
    """``(manifest, resource, cluster kind key, name)`` for each document a spec diff covers."""
    targets = []
    for manifest in manifests:
        kind = manifest.obj.get("kind")
        name = (manifest.obj.get("metadata") or {}).get("name")
        if kind in _KINDS and isinstance(name, str) and name:
            targets.append((manifest, *_KINDS[kind], name))
    return targets


def _dump(spec: dict) -> str:
    return yaml.safe_dump(spec, sort_keys=True, default_flow_style=False)


def manifest_diff(*, simulation_id: int, yaml_text) -> str:
    """What applying ``yaml_text`` would change: a unified diff per object's spec ("" if none)."""
    from rolloutviz.services import commands  # commands imports this module

    parsed = manifest_load(yaml_text=yaml_text)
    targets = diff_targets(parsed)
    running = commands.read(simulation_id, running_objects, [(key, name) for _, _, key, name in targets])
    return "".join(spec_diff(manifest=manifest, resource=resource, name=name, running=found)
                   for (manifest, resource, _, name), found in zip(targets, running))


def running_objects(cluster, keys: list[tuple[str, str]]) -> list[dict | None]:
    """A copy of the running object of each (cluster kind key, name) (apply's merge may change
    what it is given), or None where there is none."""
    found = []
    for key, name in keys:
        try:
            found.append(copy_data(cluster.get(key, name)))
        except KeyError:
            found.append(None)
    return found
