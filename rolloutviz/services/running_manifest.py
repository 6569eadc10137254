"""The editor's YAML for each Deployment: the text last applied, kept in step with what later
commands (set image, scale, rollout undo/restart/pause/resume) change in the running object.

An apply stores the user's text as typed. A later command changes the running Deployment,
not the text, so the text is brought up to date from the command's own effect: the fields
that differ between the Deployment before and after the command are written into the text.
A changed scalar whose line is known is rewritten in place, so comments and layout survive;
anything else (a new key, a different container list) re-dumps the document from its data.
Either way the result is parsed again and must hold exactly the expected data.
"""
from __future__ import annotations

import copy
import re

import yaml

from simulator.api.yaml_source import load_manifests
from simulator.errors import ValidationError, child_path

# Cluster command -> the kubectl command a viewer knows it by (shown in the editor's notice).
KUBECTL_COMMANDS = {
    "apply": "kubectl apply",
    "scale": "kubectl scale",
    "set_image": "kubectl set image",
    "rollout_undo": "kubectl rollout undo",
    "rollout_pause": "kubectl rollout pause",
    "rollout_resume": "kubectl rollout resume",
    "rollout_restart": "kubectl rollout restart",
}
# Metadata the API server and the controllers keep; it never belongs in the user's text.
_SERVER_ANNOTATION_PREFIXES = ("deployment.kubernetes.io/", "kubectl.kubernetes.io/last-applied-configuration")
_MISSING = object()
# `key: value  # comment` on one line: the value is a quoted or plain scalar.
_SCALAR_LINE = re.compile(
    r"""^(?P<head>\s*(?:-\s+)?(?:"[^"]*"|'[^']*'|[^\s#'"][^:#]*?)\s*:\s+)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#|>&*!'"\[{](?:[^#]*?[^\s#])?)"""
    r"""(?P<tail>\s+#.*|\s*)$"""
)


def applied_texts(source) -> dict[str, str]:
    """Deployment name -> the text an apply of ``source`` keeps as that Deployment's manifest.

    The text is the whole source as typed, every document included, so the editor of the
    page that applied it already holds exactly the running manifest; dicts are dumped.
    """
    parsed = load_manifests(source)
    if isinstance(source, str):
        text = source
    else:
        text = yaml.safe_dump_all([m.obj for m in parsed], sort_keys=False, default_flow_style=False)
    return {m.obj["metadata"]["name"]: text for m in parsed if m.obj.get("kind") == "Deployment"}


def follow_command(text: str, before: dict, after: dict) -> str:
    """``text`` with the fields a command changed (``before`` -> ``after`` Deployment objects).

    Only the document of that Deployment changes. Returns ``text`` itself when the command
    changed nothing the text holds or could hold.
    """
    operations = _differences(_editable(before), _editable(after), ())
    if not operations or not text.strip():
        return text
    try:
        documents = load_manifests(text)
    except ValidationError:
        return text  # not ours to repair: the user applied it, so this does not happen
    name = after.get("metadata", {}).get("name")
    index = next((i for i, d in enumerate(documents)
                  if d.obj.get("kind") == "Deployment" and (d.obj.get("metadata") or {}).get("name") == name), None)
    if index is None:
        return text
    expected = [copy.deepcopy(d.obj) for d in documents]
    for path, value in operations:
        _put(expected[index], path, value)
    patched = _rewrite_lines(text, documents[index].lines, documents[index].obj, operations)
    if patched is not None and _holds(patched, expected):
        return patched
    return yaml.safe_dump_all(expected, sort_keys=False, default_flow_style=False)


def _editable(obj: dict) -> dict:
    """The parts of a Deployment a manifest states: the spec and the user's labels/annotations."""
    meta = obj.get("metadata") or {}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items()
        if not k.startswith(_SERVER_ANNOTATION_PREFIXES)
    }
    result = {"spec": obj.get("spec") or {}}
    if meta.get("labels") or annotations:
        result["metadata"] = {}
        if meta.get("labels"):
            result["metadata"]["labels"] = meta["labels"]
        if annotations:
            result["metadata"]["annotations"] = annotations
    return result


def _differences(old, new, path: tuple) -> list[tuple[tuple, object]]:
    """``(path, new value)`` for each changed subtree; ``_MISSING`` marks a removed key.

    Mappings and equally long lists are compared item by item; anything else is replaced whole.
    """
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in list(old) + [k for k in new if k not in old]:
            found += _differences(old.get(key, _MISSING), new.get(key, _MISSING), path + (key,))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [op for i, (a, b) in enumerate(zip(old, new)) for op in _differences(a, b, path + (i,))]
    return [(path, new if new is _MISSING else copy.deepcopy(new))]


def _put(obj: dict, path: tuple, value) -> None:
    """Set (or, for ``_MISSING``, remove) ``path`` in ``obj``, making parent mappings as needed."""
    parent = obj
    for key in path[:-1]:
        if isinstance(key, int):
            parent = parent[key]
        else:
            if not isinstance(parent.get(key), (dict, list)):
                parent[key] = {}
            parent = parent[key]
    last = path[-1]
    if value is _MISSING:
        if isinstance(parent, dict):
            parent.pop(last, None)
    else:
        parent[last] = value


def _lookup(obj, path: tuple):
    for key in path:
        if isinstance(key, int):
            if not isinstance(obj, list) or key >= len(obj):
                return _MISSING
            obj = obj[key]
        else:
            if not isinstance(obj, dict) or key not in obj:
                return _MISSING
            obj = obj[key]
    return obj


def _field(path: tuple) -> str:
    field = ""
    for key in path:
        field = child_path(field, key)
    return field


def _rewrite_lines(text: str, lines: dict[str, int], obj: dict, operations) -> str | None:
    """Rewrite each changed scalar on its own line; None when some change is not one."""
    out = text.split("\n")
    for path, value in operations:
        current = _lookup(obj, path)
        scalar = (str, int, float, bool)
        if not (isinstance(value, scalar) and isinstance(current, scalar)):
            return None
        number = lines.get(_field(path))
        match = _SCALAR_LINE.match(out[number - 1]) if number else None
        if match is None:
            return None
        rendered = yaml.safe_dump(value, default_flow_style=True, width=1_000_000)
        rendered = rendered.removesuffix("\n").removesuffix("\n...").strip()
        out[number - 1] = match["head"] + rendered + match["tail"]
    return "\n".join(out)


def _holds(text: str, expected: list[dict]) -> bool:
    try:
        documents = load_manifests(text)
    except ValidationError:
        return False
    return [d.obj for d in documents] == expected
