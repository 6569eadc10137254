"""Reading a request's JSON body within limits, before any work: its size (from
``Content-Length`` before reading, then the bytes read), its nesting depth (counted without
recursion, before parsing) and its numbers (finite only: JSON has no NaN or Infinity)."""
from __future__ import annotations

import json
import math
import re
from itertools import accumulate

from django.http import HttpRequest
from django.http.request import RawPostDataException

from rolloutviz.services.errors import InvalidInput, TooLarge
from simulator.api.yaml_source import MAX_MANIFEST_BYTES

MAX_BODY_BYTES = 16 * 1024
# A manifest travels as a JSON string: escaping (\n, \", \uXXXX) can make it several times
# longer than its own limit, which the YAML loader then checks exactly.
MAX_MANIFEST_BODY_BYTES = 4 * MAX_MANIFEST_BYTES
MAX_JSON_DEPTH = 32

# A JSON string literal (with its escapes), then any bracket: what the depth scan looks at.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")
_OPENERS = frozenset(b"[{")


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in ``raw`` (brackets inside strings ignored)."""
    brackets = _BRACKETS.findall(_STRING.sub(b"", raw))
    return max(accumulate(1 if b[0] in _OPENERS else -1 for b in brackets), default=0)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidInput(f"request body: number out of range: {text}", field=None)
    return value


def _no_constant(name: str):
    raise InvalidInput(f"request body: invalid JSON: {name} is not a JSON value", field=None)


def json_body(request: HttpRequest, limit: int = MAX_BODY_BYTES) -> dict:
    """The request's JSON object (an empty body counts as ``{}``), refused when over ``limit``
    bytes (413), nested deeper than `MAX_JSON_DEPTH`, malformed or not an object (400)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"request body: larger than {limit} bytes", field=None)
    try:
        raw = request.body
    except RawPostDataException:  # a multipart form was parsed (and its stream consumed)
        raise InvalidInput("request body: must be JSON (Content-Type: application/json)", field=None) from None
    if len(raw) > limit:
        raise TooLarge(f"request body: larger than {limit} bytes", field=None)
    if not raw.strip():
        return {}
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise InvalidInput(f"request body: nested deeper than {MAX_JSON_DEPTH} levels", field=None)
    try:
        body = json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("request body: invalid JSON", field=None) from None
    if not isinstance(body, dict):
        raise InvalidInput("request body: must be a JSON object", field=None)
    return body
