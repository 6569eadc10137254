"""Untrusted YAML text → plain dicts, each with a field-path → line map for error messages.

The text is checked in cheap stages before anything is built from it: a byte cap, then a
walk over the pure-Python parser's events that rejects aliases ("billion laughs") and deep
nesting without recursion, then one compose with the pure-Python ``SafeLoader`` whose node
marks give the lines.  libyaml (``CSafeLoader``) is never used: it crashes the process on
deeply nested input.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field

import yaml

from simulator.errors import FieldError, ValidationError, child_path

MAX_MANIFEST_BYTES = 256 * 1024
MAX_DEPTH = 64  # a real Deployment nests about 12 levels deep
MAX_DOCUMENTS = 50
MAX_NODES = 10_000  # a Deployment has a few hundred; bounds the slow pure-Python parse
SOURCE_NAME = "STDIN"  # what kubectl calls text given with `apply -f -`


@dataclass
class Manifest:
    """One YAML document: its data and where each field was written."""

    obj: dict
    lines: dict[str, int] = field(default_factory=dict)  # field path -> 1-based line


def line_for(lines: dict[str, int], field: str) -> int | None:
    """The line of ``field``, or of its nearest ancestor that the YAML text contains."""
    path = field
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        parent = _parent_path(path)
        key = path[len(parent) + 1:-1] if path.endswith("]") else ""
        # Kubernetes writes map keys as [key] (`resources.limits[cpu]`); the text says `cpu:`.
        if key and not key.isdigit():
            dotted = f"{parent}.{key}" if parent else key
            if dotted in lines:
                return lines[dotted]
        path = parent


def attach_lines(errors: list[FieldError], lines: dict[str, int]) -> list[FieldError]:
    """The same errors, each carrying the line of its field where the text has one."""
    return [
        e if e.line is not None else FieldError(e.field, e.message, line_for(lines, e.field))
        for e in errors
    ]


def load_manifests(source: str | bytes | dict | list[dict]) -> list[Manifest]:
    """Read one or several ``---`` documents (or dicts) into manifests; empty documents skipped.

    Raises ``ValidationError`` (field ``""``, line set) when the text is too large, is not
    YAML, nests too deeply, uses aliases, or holds a document that is not a mapping.
    """
    if isinstance(source, dict):
        return [Manifest(copy.deepcopy(source), {})]
    if isinstance(source, list):
        manifests = []
        for index, item in enumerate(source):
            if not isinstance(item, dict):
                raise _fail(f"document {index + 1} is not a mapping", None)
            manifests.append(Manifest(copy.deepcopy(item), {}))
        return manifests
    text = _decode(source)
    _prescan(text)
    return _compose(text)


def _parent_path(path: str) -> str:
    """``a.b[0]`` -> ``a.b`` -> ``a`` -> ``""``."""
    if path.endswith("]"):
        return path[: path.rindex("[")]
    depth = 0
    for i in range(len(path) - 1, -1, -1):
        c = path[i]
        if c == "]":
            depth += 1
        elif c == "[":
            depth -= 1
        elif c == "." and depth == 0:
            return path[:i]
    return ""


def _fail(problem: str, line: int | None) -> ValidationError:
    message = f"error converting YAML to JSON: yaml: {f'line {line}: ' if line else ''}{problem}"
    return ValidationError(
        [FieldError("", message, line)],
        message=f"error: error parsing {SOURCE_NAME}: {message}",
    )


def _decode(source: str | bytes) -> str:
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else bytes(source)
    if len(raw) > MAX_MANIFEST_BYTES:
        message = (
            f"the manifest is {len(raw)} bytes; rolloutviz accepts at most "
            f"{MAX_MANIFEST_BYTES} bytes"
        )
        raise ValidationError([FieldError("", message, 1)], message=f"error: {message}")
    if isinstance(source, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in source):
            raise _fail("invalid Unicode (lone surrogate)", None)
        return source
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail("invalid UTF-8 in the manifest", line) from None


def _problem(exc: yaml.YAMLError, text: str) -> tuple[str, int | None]:
    """PyYAML's problem text and 1-based line (its wording follows libyaml, like go-yaml's)."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return f"control characters are not allowed (character #x{exc.character:04x})", line
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return problem, (mark.line + 1 if mark is not None else None)


def _prescan(text: str) -> None:
    """Reject aliases, deep nesting, too many values and too many documents by streaming
    parser events, before anything recursive (composing, constructing) sees the text."""
    depth = 0
    documents = 0
    nodes = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent,
                                  yaml.SequenceStartEvent)):
                nodes += 1
                if nodes > MAX_NODES:
                    raise _fail(f"more than {MAX_NODES} values are not accepted",
                                event.start_mark.line + 1)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _fail(
                        f"nesting deeper than {MAX_DEPTH} levels is not accepted",
                        event.start_mark.line + 1,
                    )
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                # Aliases make a few bytes expand into gigabytes once traversed; manifests
                # never need them.
                raise _fail(
                    f"anchors and aliases (*{event.anchor}) are not accepted",
                    event.start_mark.line + 1,
                )
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > MAX_DOCUMENTS:
                    raise _fail(
                        f"more than {MAX_DOCUMENTS} documents are not accepted",
                        event.start_mark.line + 1,
                    )
    except yaml.YAMLError as exc:
        raise _fail(*_problem(exc, text)) from None


class _ManifestLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses duplicate keys and keeps timestamps and binaries as text.

    kubectl converts YAML to JSON, so a date stays the string the user wrote.
    """

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (list, dict, set)):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    "found unhashable key", key_node.start_mark,
                )
            key = _json_key(key)  # `1:` and `"1":` (or `true:` and `1:`) collide in JSON
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f'key "{key}" already set in map', key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def _scalar_text(self, node):
        return self.construct_scalar(node)


_ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _ManifestLoader._scalar_text)
_ManifestLoader.add_constructor("tag:yaml.org,2002:binary", _ManifestLoader._scalar_text)


def _compose(text: str) -> list[Manifest]:
    loader = _ManifestLoader(text)
    manifests = []
    try:
        while loader.check_node():
            node = loader.get_node()
            data = _json_like(loader.construct_document(node))
            if data is None:
                continue
            first_line = node.start_mark.line + 1
            if not isinstance(data, dict):
                kind = json_kind(data)
                message = (
                    f"the document at line {first_line} is a"
                    f"{'n' if kind[0] in 'aeiou' else ''} {kind}, "
                    "not a mapping with apiVersion and kind"
                )
                raise ValidationError(
                    [FieldError("", message, first_line)],
                    message=f"error: unable to decode {SOURCE_NAME}: {message}",
                )
            lines = {"": first_line}
            _index_lines(node, "", lines)
            manifests.append(Manifest(data, lines))
    except yaml.YAMLError as exc:
        raise _fail(*_problem(exc, text)) from None
    finally:
        loader.dispose()
    return manifests


def _index_lines(node: yaml.Node, path: str, lines: dict[str, int]) -> None:
    """Record the line of every key (mapping) and item (sequence) below ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            child = child_path(path, str(key_node.value))
            lines.setdefault(child, key_node.start_mark.line + 1)
            _index_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = child_path(path, index)
            lines[child] = item.start_mark.line + 1
            _index_lines(item, child, lines)


def json_kind(value) -> str:
    """The JSON value kind encoding/json names in "cannot unmarshal <kind> into ..."."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _json_key(key) -> str:
    """Mapping keys as JSON has them (sigs.k8s.io/yaml turns ``true:`` into ``"true"``)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _json_like(value):
    """Plain dict/list/str/int/float/bool/None (sets and pairs included), as JSON would hold."""
    if isinstance(value, dict):
        return {_json_key(k): _json_like(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_like(v) for v in value]
    if isinstance(value, set):
        return {_json_key(k): None for k in value}
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
