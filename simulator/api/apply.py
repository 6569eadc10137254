"""`kubectl apply`: create an object, or three-way merge the manifest into the live one
(last-applied-configuration, live object, new manifest) so that fields set by other
commands survive unless the manifest sets them."""
from __future__ import annotations

import copy
import json

from simulator.api import validation
from simulator.api.yaml_source import Manifest

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# fields whose strategic-merge patch strategy is retainKeys: keys the manifest leaves out go
RETAIN_KEYS = (("spec", "strategy"),)


def last_applied_text(manifest: dict) -> str:
    """The annotation kubectl stores: the manifest as applied, compact JSON, newline-ended."""
    clean = copy.deepcopy(manifest)
    annotations = (clean.get("metadata") or {}).get("annotations")
    if annotations:
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            del clean["metadata"]["annotations"]
    return json.dumps(clean, sort_keys=True, separators=(",", ":")) + "\n"


def three_way_merge(original: dict | None, modified: dict, current: dict) -> dict:
    """Apply (modified − original deletions) + modified onto current.

    Maps merge key by key; lists and scalars are replaced by the manifest's value; a key
    the previous manifest had and the new one dropped is removed; keys neither manifest
    mentions keep their live value."""
    result = copy.deepcopy(current)
    _delete_dropped(original or {}, modified, result)
    _overlay(modified, result)
    for path in RETAIN_KEYS:
        _retain_keys(modified, result, path)
    return result


def _delete_dropped(original: dict, modified: dict, result: dict) -> None:
    for key, old in original.items():
        if key not in modified:
            result.pop(key, None)
        elif isinstance(old, dict) and isinstance(modified[key], dict) and isinstance(result.get(key), dict):
            _delete_dropped(old, modified[key], result[key])


def _overlay(modified: dict, result: dict) -> None:
    for key, value in modified.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            _overlay(value, result[key])
        else:
            result[key] = copy.deepcopy(value)


def _retain_keys(modified: dict, result: dict, path: tuple[str, ...]) -> None:
    for key in path[:-1]:
        modified, result = modified.get(key), result.get(key)
        if not isinstance(modified, dict) or not isinstance(result, dict):
            return
    wanted, live = modified.get(path[-1]), result.get(path[-1])
    if isinstance(wanted, dict) and isinstance(live, dict):
        for key in [k for k in live if k not in wanted]:
            del live[key]


def applied(manifest: Manifest, live: dict | None) -> dict:
    """What kubectl apply has the server store, before decoding and defaulting: the manifest
    with its last-applied-configuration annotation (a create), or that merged into the
    live object (`kubectl get -o yaml` shape) by the three-way merge."""
    if live is None:
        obj = copy.deepcopy(manifest.obj)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict) or not isinstance(meta.get("annotations") or {}, dict):
            return obj   # unreadable metadata: decoding reports it
        meta["annotations"] = meta.get("annotations") or {}
    else:
        original_text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
        original = json.loads(original_text) if original_text else None
        obj = three_way_merge(original, manifest.obj, live)
        obj["metadata"].setdefault("annotations", {})
    obj["metadata"]["annotations"][LAST_APPLIED] = last_applied_text(manifest.obj)
    return obj


def prepare(manifest: Manifest, live: dict | None) -> tuple[dict, str]:
    """The object the API server would store for this apply, and kubectl's verb.

    `live` is the stored object (kubectl get -o yaml shape without status) or None.
    Raises ValidationError with every problem and its line."""
    obj = applied(manifest, live)
    if live is None:
        return validation.admit(Manifest(obj, manifest.lines)), "created"
    stored = validation.admit(Manifest(obj, manifest.lines), old=live)
    verb = "unchanged" if _same(stored, live) else "configured"
    return stored, verb


def _same(a: dict, b: dict) -> bool:
    meta_a, meta_b = a.get("metadata") or {}, b.get("metadata") or {}
    return a.get("spec") == b.get("spec") and all(
        (meta_a.get(k) or {}) == (meta_b.get(k) or {}) for k in ("labels", "annotations"))
