"""The three patch types the API server takes, applied as it applies them.

- ``strategic_merge_patch``: apimachinery's strategicpatch as the apiserver runs it (maps
  merge, ``null`` deletes, lists merge by their patch merge key, the ``$patch``,
  ``$setElementOrder/``, ``$retainKeys`` and ``$deleteFromPrimitiveList/`` directives). Which
  list merges how comes from the Go struct tags, gathered in ``struct_tags.TYPES``.
- ``json_merge_patch``: RFC 7386, as evanphx/json-patch v4 (the apiserver's library) does it.
- ``json_patch``: RFC 6902, the same library's semantics, quirks included (``replace`` of a
  missing object key adds it, negative array indices count from the end).

Failures raise PatchError, a StatusError whose ``status`` is the body the apiserver answers
(400 for malformed patches, 422 for patches that do not apply, and the reason-less 500 it
gives errors it has no Status for); ``detail`` keeps the patch library's own words, which a
422 does not show.
"""
from __future__ import annotations

import copy
import json
import re

from simulator.api.status import (
    StatusError,
    bad_request,
    patch_rejected,
    request_entity_too_large,
    unknown_error,
)
from simulator.api.struct_tags import MERGE, ListOf, field, struct
from simulator.api.validation import go_print, go_type_name
from simulator.api.yaml_source import json_kind

MAX_JSON_PATCH_OPERATIONS = 10000  # the apiserver's limits
MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024


class PatchError(StatusError):
    """A patch the API server refuses; ``detail`` is the patch library's error text."""

    def __init__(self, status: dict, detail: str | None = None):
        super().__init__(status)
        self.detail = detail if detail is not None else status["message"]


def _bad_request(message: str) -> PatchError:
    return PatchError(bad_request(message))


def _rejected(detail: str) -> PatchError:
    return PatchError(patch_rejected(), detail)


def _untyped(message: str) -> PatchError:
    return PatchError(unknown_error(message))


# --- strategic merge patch ------------------------------------------------------------------

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_FROM = "$deleteFromPrimitiveList"
_SET_ORDER = "$setElementOrder"
_ERR_PRIMITIVE_LIST = "invalid patch format of primitive list"
_ERR_RETAIN_KEYS = "invalid patch format of retainKeys"
_ERR_SET_ORDER = "invalid patch format of setElementOrder list"
_MISSING = object()  # a key absent from a map (its value may be null)


def _go_type(value) -> str:
    # reflect.TypeOf(value).String() of a decoded JSON value; Go prints a nil type so
    return "%!s(<nil>)" if value is None else go_type_name(value)


def _bad_arg_type(expected: str, value) -> PatchError:
    return _untyped(f"expected a {expected}, but received a {_go_type(value)}")


def _no_merge_key(item: dict, key: str) -> PatchError:
    return _untyped(f"map: {go_print(item)} does not contain declared merge key: {key}")


def _same(a, b) -> bool:
    """Go's == on two decoded JSON scalars: equal values of the same type."""
    return type(a) is type(b) and a == b


def strategic_merge_patch(original: dict, patch, kind: str) -> dict:
    """``original`` (an object of ``kind``) with a strategic merge patch applied, as the
    apiserver applies it (StrategicMergeMapPatch; nulls not matched are ignored, parallel
    deletion lists applied). The arguments are not changed."""
    if patch is None:  # a JSON null body decodes to an empty patch
        return copy.deepcopy(original)
    if not isinstance(patch, dict):
        raise _bad_request(f"json: cannot unmarshal {json_kind(patch)} into Go value of type "
                           "map[string]interface {}")
    return _merge_map(copy.deepcopy(original), copy.deepcopy(patch), kind)


def _merge_map(original: dict, patch: dict, type_name: str | None) -> dict:
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        if directive == "replace":
            del patch[_DIRECTIVE]
            return patch
        if directive == "delete":
            return {}
        raise _untyped(f"unknown patch type: {go_print(directive)} in map: {go_print(patch)}")
    _apply_retain_keys(original, patch)
    _apply_element_orders(original, patch, type_name)
    for key, value in list(patch.items()):
        delete_list = key.startswith(_DELETE_FROM)
        if delete_list:
            key = _directive_target(key, _DELETE_FROM, _ERR_PRIMITIVE_LIST)
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key, _MISSING)
        if current is _MISSING or type(current) is not type(value):
            if not delete_list:
                _set_directive_free(original, key, _without_nulls(value))
            continue
        spec = field(type_name, key)
        if isinstance(current, dict):
            original[key] = _merge_map(current, value, struct(spec))
        elif isinstance(current, list):
            original[key] = _merge_list_field(current, value, spec, delete_list)
        else:
            original[key] = value
    return original


def _directive_target(key: str, prefix: str, error: str) -> str:
    # "$setElementOrder/containers" -> "containers"
    head, sep, rest = key.partition("/")
    if head != prefix or not sep:
        raise _bad_request(error)
    return rest


def _set_directive_free(target: dict, key: str, value) -> None:
    value, keep = _remove_directives(value)
    if keep:
        target[key] = value
    else:
        target.pop(key, None)


def _remove_directives(value):
    """(value without ``$patch`` maps, whether to keep it at all)."""
    if isinstance(value, dict):
        if _DIRECTIVE in value:
            return None, False
        for key in list(value):
            value[key], keep = _remove_directives(value[key])
            if not keep:
                del value[key]
        return value, True
    if isinstance(value, list):
        kept = [_remove_directives(item) for item in value]
        return [item for item, keep in kept if keep], True
    return value, True


def _without_nulls(value):
    # discardNullValuesFromPatch: a value not merged with anything loses its null fields
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if v is None]:
            del value[key]
        for item in value.values():
            _without_nulls(item)
    elif isinstance(value, list):
        for item in value:
            _without_nulls(item)
    return value


def _apply_retain_keys(original: dict, patch: dict) -> None:
    if _RETAIN_KEYS not in patch:
        return
    retained = patch.pop(_RETAIN_KEYS)
    if not isinstance(retained, list):
        raise _bad_request(_ERR_RETAIN_KEYS)
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_FROM, _SET_ORDER)):
            continue
        if not any(_same(key, r) for r in retained):
            raise _bad_request(_ERR_RETAIN_KEYS)
    for key in [k for k in original if not any(_same(k, r) for r in retained)]:
        del original[key]


def _list_meta(type_name: str | None, key: str) -> ListOf:
    spec = field(type_name, key)
    return spec if isinstance(spec, ListOf) else ListOf()


def _apply_element_orders(original: dict, patch: dict, type_name: str | None) -> None:
    """``$setElementOrder/<list>``: merge that list now and put its items in the given order
    (precedence: the directive, then the patch's order, then the live order)."""
    for directive in [k for k in patch if k.startswith(_SET_ORDER)]:
        order = patch.pop(directive)
        if not isinstance(order, list):
            raise _bad_arg_type("[]interface {}", order)
        key = _directive_target(directive, _SET_ORDER, _ERR_SET_ORDER)
        current, change = original.get(key, _MISSING), patch.get(key, _MISSING)
        for value in (current, change):
            if value is not _MISSING and not isinstance(value, list):
                raise _bad_arg_type("[]interface {}", value)
        meta = _list_meta(type_name, key)
        _check_order(change if change is not _MISSING else [], order, meta.merge_key)
        if current is _MISSING and change is _MISSING:
            continue
        if change is _MISSING:
            merged = current
        elif current is _MISSING:
            merged = _remove_directives(change)[0]
        else:
            merged = _merge_list_field(current, change, meta, False)
        if meta.merge_key:
            in_order, server_only = _partition_maps(merged, order, meta.merge_key)
        else:
            in_order, server_only = _partition_scalars(merged, order)
        is_map = _element_kind(current if current is not _MISSING else [],
                               change if change is not _MISSING else []) == "map"
        original[key] = _normalize_order(in_order, server_only, order,
                                         current if current is not _MISSING else [],
                                         meta.merge_key, is_map)
        patch.pop(key, None)


def _check_order(patch_list: list, order: list, merge_key: str) -> None:
    # validatePatchWithSetOrderList: the patch's items appear in the directive, in its order
    if not order or not patch_list:
        return
    items = _split_deletions(patch_list)[0] if merge_key else patch_list
    i = j = 0
    while i < len(items) and j < len(order):
        if isinstance(items[i], dict) and _DIRECTIVE in items[i]:
            i += 1
            continue
        if _key_equal(items[i], order[j], merge_key):
            i += 1
        j += 1
    if i < len(items):
        raise _untyped(f"The order in patch list:\n{go_print(patch_list)}\n doesn't match "
                       f"{_SET_ORDER} list:\n{go_print(order)}\n")


def _key_equal(left, right, merge_key: str) -> bool:
    if not merge_key:
        return _same(left, right)
    for item in (left, right):
        if not isinstance(item, dict):
            raise _bad_arg_type("map[string]interface {}", item)
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
    return _same(left[merge_key], right[merge_key])


def _merge_list_field(current: list, change: list, meta, delete_list: bool) -> list:
    meta = meta if isinstance(meta, ListOf) else ListOf()
    if meta.strategy == MERGE or delete_list:
        return _merge_list(current, change, meta, delete_list)
    return change


def _element_kind(*lists: list) -> str:
    """sliceElementType: "map" or "scalar" for lists whose items all have one type."""
    first = _MISSING
    for items in lists:
        for item in items:
            if first is _MISSING:
                first = item
                if isinstance(item, list):
                    raise _rejected("lists of lists are not supported")
            elif type(item) is not type(first):
                raise _untyped("list element types are not identical: " + go_print(list(lists)))
    if first is _MISSING:
        raise _untyped("no elements in any of the given slices")
    return "map" if isinstance(first, dict) else "scalar"


def _merge_list(current: list, change: list, meta: ListOf, delete_list: bool) -> list:
    if not current and not change:
        return current
    is_map = _element_kind(current, change) == "map"
    if not is_map:
        if delete_list:
            return [item for item in current if not any(_same(item, d) for d in change)]
        merged = _dedupe(current + change)
    else:
        if not meta.merge_key:
            raise _untyped("cannot merge lists without merge key for struct")
        current, change = _apply_list_directives(current, change, meta.merge_key)
        merged = _merge_items(current, change, meta)
    if meta.merge_key:
        in_patch, server_only = _partition_maps(merged, change, meta.merge_key)
    else:
        in_patch, server_only = _partition_scalars(merged, change)
    return _normalize_order(in_patch, server_only, change, current, meta.merge_key, is_map)


def _dedupe(items: list) -> list:
    # deduplicateScalars' in-place algorithm: a duplicate is overwritten by the last item
    items = list(items)
    last = len(items) - 1
    i = 0
    while i < last:
        j = i + 1
        while j <= last:
            if _same(items[i], items[j]):
                items[j] = items[last]
                items.pop()
                last -= 1
                j -= 1
            j += 1
        i += 1
    return items


def _find(items: list, key: str, value) -> int:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _untyped(f"value for key {index} is not a map")
        if key in item and _same(item[key], value):
            return index
    return -1


def _apply_list_directives(current: list, change: list, key: str) -> tuple[list, list]:
    """``{"$patch": "delete", key: v}`` items remove the live items with that key,
    ``{"$patch": "replace"}`` makes the rest of the patch the whole list."""
    plain, replace = [], False
    for item in change:
        if _DIRECTIVE not in item:
            plain.append(item)
            continue
        directive = item[_DIRECTIVE]
        if directive == "delete":
            if key not in item:
                raise _no_merge_key(item, key)
            current = [c for c in current if not (key in c and _same(c[key], item[key]))]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _untyped("merging lists cannot yet be specified in the patch")
        else:
            raise _untyped(f"unknown patch type: {go_print(directive)} in map: "
                           f"{go_print(item)}")
    return (plain, []) if replace else (current, plain)


def _merge_items(current: list, change: list, meta: ListOf) -> list:
    for item in change:
        if meta.merge_key not in item:
            raise _no_merge_key(item, meta.merge_key)
        index = _find(current, meta.merge_key, item[meta.merge_key])
        if index >= 0:
            current[index] = _merge_map(current[index], item, struct(meta.item))
        else:
            current.append(item)
    return current


def _partition_scalars(items: list, by: list) -> tuple[list, list]:
    inside = [i for i in items if any(_same(i, b) for b in by)]
    return inside, [i for i in items if not any(_same(i, b) for b in by)]


def _partition_maps(items: list, by: list, key: str) -> tuple[list, list]:
    inside, outside = [], []
    for item in items:
        if not isinstance(item, dict):
            raise _bad_arg_type("map[string]interface {}", item)
        if key not in item:
            raise _no_merge_key(item, key)
        (inside if _find(by, key, item[key]) >= 0 else outside).append(item)
    return inside, outside


def _split_deletions(items: list) -> tuple[list, list]:
    kept, deletions = [], []
    for item in items:
        if not isinstance(item, dict):
            raise _bad_arg_type("map[string]interface {}", item)
        (deletions if item.get(_DIRECTIVE) == "delete" else kept).append(item)
    return kept, deletions


def _position(order: list, item, key: str, is_map: bool) -> int:
    for index, candidate in enumerate(order):
        if is_map:
            if isinstance(candidate, dict) and _same(candidate.get(key), item.get(key)):
                return index
        elif _same(candidate, item):
            return index
    return -1


def _sort_by(items: list, order: list, key: str, is_map: bool) -> list:
    deletions = []
    if is_map:
        for item in items + order:
            if not isinstance(item, dict):
                raise _bad_arg_type("map[string]interface {}", item)
            if key not in item:
                raise _no_merge_key(item, key)
        items, deletions = _split_deletions(items)
    # items missing from the order (no valid patch makes any) go after those in it
    ranked = sorted(items, key=lambda i: ((p := _position(order, i, key, is_map)) < 0, p))
    return ranked + deletions


def _normalize_order(in_patch: list, server_only: list, patch_order: list,
                     server_order: list, key: str, is_map: bool) -> list:
    """normalizeElementOrder: the patch's items in the patch's order, the others in the live
    order, interleaved so both keep their places relative to the live list."""
    in_patch = _sort_by(in_patch, patch_order, key, is_map)
    server_only = _sort_by(server_only, server_order, key, is_map)
    merged, i, j = [], 0, 0
    while i < len(server_only) or j < len(in_patch):
        if j >= len(in_patch):
            merged.append(server_only[i])
            i += 1
            continue
        if i < len(server_only):
            left = _position(server_order, server_only[i], key, is_map)
            right = _position(server_order, in_patch[j], key, is_map)
            if left >= 0 and right >= 0 and left < right:
                merged.append(server_only[i])
                i += 1
                continue
        merged.append(in_patch[j])
        j += 1
    return merged


# --- JSON merge patch (RFC 7386) ------------------------------------------------------------

def json_merge_patch(original: dict, patch) -> dict:
    """RFC 7386 merge patch, as the apiserver applies it: objects merge, ``null`` deletes,
    anything else (lists included) replaces; ``null``s inside values that replace are
    dropped. A patch that is no JSON object is refused as the apiserver's strict decoding
    refuses it. The arguments are not changed."""
    if patch is None:
        raise _bad_request("Invalid JSON Patch")
    if not isinstance(patch, dict):
        raise _bad_request(f"error decoding patch: json: cannot unmarshal {json_kind(patch)} "
                           "into Go value of type map[string]interface {}")
    return _merge_docs(copy.deepcopy(original), copy.deepcopy(patch))


def _merge_docs(doc: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if value is None:
            doc.pop(key, None)
        elif doc.get(key) is None:
            doc[key] = _prune_nulls(value)
        elif not isinstance(doc[key], dict):
            doc[key] = _prune_nulls(value)
        elif isinstance(value, dict):
            _merge_docs(doc[key], value)
        else:
            doc[key] = value  # an object replaced by a non-object keeps its nulls (v4 does)
    return doc


def _prune_nulls(value):
    if isinstance(value, dict):
        return {k: _prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune_nulls(v) for v in value]
    return value


# --- JSON patch (RFC 6902) --------------------------------------------------------------------

_MISSING_VALUE = "missing value"
_INVALID_INDEX = "invalid index referenced"
_TEST_FAILED = "test failed"


class _OperationFailed(Exception):
    """An operation that does not apply, with evanphx/json-patch's wording."""


def _check_operations(operations) -> None:
    """The apiserver's strict decoding of the body into []jsonPatchOp."""
    if not isinstance(operations, list):
        raise _bad_request("error decoding patch: json: cannot unmarshal "
                           f"{json_kind(operations)} into Go value of type "
                           "[]handlers.jsonPatchOp")
    for op in operations:
        if op is not None and not isinstance(op, dict):
            raise _bad_request(f"error decoding patch: json: cannot unmarshal {json_kind(op)} "
                               "into Go value of type handlers.jsonPatchOp")
        for name in ("op", "path", "from"):
            value = (op or {}).get(name)
            if value is not None and not isinstance(value, str):
                raise _bad_request(f"error decoding patch: json: cannot unmarshal "
                                   f"{json_kind(value)} into Go struct field jsonPatchOp."
                                   f"{name} of type string")
    if len(operations) > MAX_JSON_PATCH_OPERATIONS:
        raise PatchError(request_entity_too_large(
            f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, "
            f"got {len(operations)}"))


def json_patch(original: dict, operations) -> dict | list:
    """RFC 6902 operations applied in order to a copy of ``original``; the first that does
    not apply raises PatchError 422 (its ``detail`` says which and why). The result is
    usually an object; replacing the whole document ("" path) can make it a list."""
    _check_operations(operations)
    doc = copy.deepcopy(original)
    copied = _CopyBudget()
    for op in operations:
        op = op or {}
        try:
            doc = _apply_operation(doc, op, copied)
        except _OperationFailed as failure:
            raise _rejected(str(failure)) from None
    return doc


class _CopyBudget:
    """The bytes ``copy`` operations may add in one patch (the apiserver's
    JSONPatchMaxCopyBytes), counted as the copied values' JSON."""

    def __init__(self):
        self.spent = 0

    def spend(self, value) -> None:
        if value is None:
            return
        self.spent += len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
        if self.spent > MAX_JSON_PATCH_COPY_BYTES:
            raise _OperationFailed(f"Unable to complete the copy, the accumulated size increase "
                                   f"of copy is {self.spent}, exceeding the limit "
                                   f"{MAX_JSON_PATCH_COPY_BYTES}")


def _decode_token(token: str) -> str:
    return re.sub("~[01]", lambda m: "/" if m.group() == "~1" else "~", token)


def _atoi(text: str) -> int:
    # strconv.Atoi: optional sign then decimal digits, within int64
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit():
        raise _OperationFailed(f'strconv.Atoi: parsing {json.dumps(text)}: invalid syntax')
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise _OperationFailed(f'strconv.Atoi: parsing {json.dumps(text)}: value out of range')
    return value


def _index(items: list, key: str, size: int) -> int:
    """An array index as the library reads it: negative ones count back from ``size``."""
    index = _atoi(key)
    if index < 0:
        if index < -size:
            raise _OperationFailed(f"Unable to access invalid index: {index}: {_INVALID_INDEX}")
        index += size
    return index


def _container(doc, path: str):
    """findObject: (the object or array holding the path's last token, that token), or None
    when the path (everything but its last token) leads nowhere."""
    parts = path.split("/")
    if len(parts) < 2:
        return None
    node = doc
    for part in parts[1:-1]:
        try:
            node = _get(node, _decode_token(part))
        except _OperationFailed:
            return None
        if not isinstance(node, (dict, list)):
            return None
    return node, _decode_token(parts[-1])


def _get(node, key: str):
    if isinstance(node, dict):
        return node.get(key)
    index = _index(node, key, len(node))
    if index >= len(node):
        raise _OperationFailed(f"Unable to access invalid index: {index}: {_INVALID_INDEX}")
    return node[index]


def _add(node, key: str, value) -> None:
    if isinstance(node, dict):
        node[key] = value
        return
    if key == "-":
        node.append(value)
        return
    try:
        index = _atoi(key)
    except _OperationFailed as failure:
        raise _OperationFailed(f"value was not a proper array index: '{key}': {failure}") from None
    size = len(node) + 1
    if index >= size:
        raise _OperationFailed(f"Unable to access invalid index: {index}: {_INVALID_INDEX}")
    node.insert(_index(node, key, size), value)


def _remove(node, key: str) -> None:
    if isinstance(node, dict):
        if key not in node:
            raise _OperationFailed(f"Unable to remove nonexistent key: {key}: {_MISSING_VALUE}")
        del node[key]
        return
    index = _atoi(key)
    if index >= len(node):
        raise _OperationFailed(f"Unable to access invalid index: {index}: {_INVALID_INDEX}")
    del node[_index(node, key, len(node))]


def _equal(a, b) -> bool:
    # compare as JSON texts: 1 and 1.0, or true and 1, are different documents
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _apply_operation(doc, op: dict, copied: _CopyBudget):
    kind = op.get("op") or "unknown"
    if kind == "copy":
        return _op_copy(doc, op, copied)
    if kind not in _OPERATIONS:
        raise _OperationFailed(f"Unexpected kind: {kind}")
    return _OPERATIONS[kind](doc, op)


def _path(op: dict, kind: str) -> str:
    """The operation's path; add, remove and copy word its absence differently."""
    path = op.get("path")
    if path is None:
        reason = "" if kind in ("add", "remove", "copy") else "operation missing path field: "
        raise _OperationFailed(f"{kind} operation failed to decode path: {reason}"
                               f"{_MISSING_VALUE}")
    return path


def _from(op: dict, kind: str) -> str:
    source = op.get("from")
    if source is None:
        raise _OperationFailed(f"{kind} operation failed to decode from: operation, missing "
                               f"from field: {_MISSING_VALUE}")
    return source


def _op_add(doc, op):
    path = _path(op, "add")
    found = _container(doc, path)
    if found is None:
        raise _OperationFailed(f'add operation does not apply: doc is missing path: "{path}": '
                               f"{_MISSING_VALUE}")
    try:
        _add(*found, op.get("value"))
    except _OperationFailed as failure:
        raise _OperationFailed(f"error in add for path: '{path}': {failure}") from None
    return doc


def _op_remove(doc, op):
    path = _path(op, "remove")
    found = _container(doc, path)
    if found is None:
        raise _OperationFailed(f'remove operation does not apply: doc is missing path: '
                               f'"{path}": {_MISSING_VALUE}')
    try:
        _remove(*found)
    except _OperationFailed as failure:
        raise _OperationFailed(f"error in remove for path: '{path}': {failure}") from None
    return doc


def _op_replace(doc, op):
    path, value = _path(op, "replace"), op.get("value")
    if path == "":
        # the whole document; v4 silently ignores a value that is no object or array
        return value if isinstance(value, (dict, list)) else doc
    found = _container(doc, path)
    if found is None:
        raise _OperationFailed(f"replace operation does not apply: doc is missing path: {path}:"
                               f" {_MISSING_VALUE}")
    node, key = found
    try:
        _get(node, key)  # an object key need not exist: replace then adds it
    except _OperationFailed:
        raise _OperationFailed(f"replace operation does not apply: doc is missing key: {path}: "
                               f"{_MISSING_VALUE}") from None
    if isinstance(node, dict):
        node[key] = value
    else:
        node[_index(node, key, len(node))] = value
    return doc


def _op_move(doc, op):
    source = _from(op, "move")
    found = _container(doc, source)
    if found is None:
        raise _OperationFailed(f"move operation does not apply: doc is missing from path: "
                               f"{source}: {_MISSING_VALUE}")
    node, key = found
    try:
        value = _get(node, key)
        _remove(node, key)
    except _OperationFailed as failure:
        raise _OperationFailed(f"error in move for path: '{key}': {failure}") from None
    path = _path(op, "move")
    target = _container(doc, path)
    if target is None:
        raise _OperationFailed(f"move operation does not apply: doc is missing destination "
                               f"path: {path}: {_MISSING_VALUE}")
    try:
        _add(*target, value)
    except _OperationFailed as failure:
        raise _OperationFailed(f"error in move for path: '{path}': {failure}") from None
    return doc


def _op_copy(doc, op, copied: _CopyBudget):
    source = _from(op, "copy")
    found = _container(doc, source)
    if found is None:
        raise _OperationFailed(f"copy operation does not apply: doc is missing from path: "
                               f"{source}: {_MISSING_VALUE}")
    try:
        value = _get(*found)
    except _OperationFailed as failure:
        raise _OperationFailed(f"error in copy for from: '{source}': {failure}") from None
    path = _path(op, "copy")
    target = _container(doc, path)
    if target is None:
        raise _OperationFailed(f"copy operation does not apply: doc is missing destination "
                               f"path: {path}: {_MISSING_VALUE}")
    copied.spend(value)
    try:
        _add(*target, copy.deepcopy(value))
    except _OperationFailed as failure:
        raise _OperationFailed(f"error while adding value during copy: {failure}") from None
    return doc


def _op_test(doc, op):
    path, expected = _path(op, "test"), op.get("value")
    if path == "":
        actual = doc
    else:
        found = _container(doc, path)
        if found is None:
            raise _OperationFailed(f"test operation does not apply: is missing path: {path}: "
                                   f"{_MISSING_VALUE}")
        try:
            actual = _get(*found)
        except _OperationFailed as failure:
            raise _OperationFailed(f"error in test for path: '{path}': {failure}") from None
    if not _equal(actual, expected):
        raise _OperationFailed(f"testing value {path} failed: {_TEST_FAILED}")
    return doc


_OPERATIONS = {"add": _op_add, "remove": _op_remove, "replace": _op_replace,
               "move": _op_move, "test": _op_test}
