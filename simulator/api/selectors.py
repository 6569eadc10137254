"""Label and field selectors: parsing ``?labelSelector=`` / ``?fieldSelector=`` and matching.

Label selectors follow apimachinery's ``pkg/labels`` (its lexer and parser, NewRequirement's
validation, Requirement.Matches and String) and ``metav1.LabelSelectorAsSelector`` for the
matchLabels/matchExpressions selectors objects carry. Field selectors follow ``pkg/fields``
(escaping, ``=``/``==``/``!=`` terms), the field label conversions each kind registers (the
fields an API server accepts, else ``field label not supported: x``) and the fields each
kind's storage strategy exposes (``ToSelectableFields``).

Every parse failure raises SelectorError with the text the API server answers 400
BadRequest with.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from simulator.api import validation
from simulator.errors import FieldError, aggregate

# selection.Operator values
IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "in", "notin", "=", "==", "!="
EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN = "exists", "!", "gt", "lt"
_BINARY = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)
_OPERATORS = _BINARY + (EXISTS, DOES_NOT_EXIST)
_EXPRESSION_OPERATORS = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS,
                         "DoesNotExist": DOES_NOT_EXIST}


class SelectorError(ValueError):
    """A selector the API server refuses; the message is the one it answers 400 with."""


# --- label selectors ------------------------------------------------------------------------

def _go_quote(value) -> str:
    # a string as %q prints it, a list of strings as json.Marshal does
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _is_int64(text: str) -> bool:
    # strconv.ParseInt(s, 10, 64): an optional sign, then ASCII digits, in range
    digits = text[1:] if text[:1] in "+-" else text
    return digits.isascii() and digits.isdigit() and -(2**63) <= int(text) < 2**63


@dataclass(frozen=True)
class Requirement:
    """One ``key <operator> values`` condition (labels.Requirement)."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: dict) -> bool:
        """Requirement.Matches: NotIn and != also match when the key is absent."""
        present = self.key in labels
        if self.operator in (IN, EQUALS, DOUBLE_EQUALS):
            return present and labels[self.key] in self.values
        if self.operator in (NOT_IN, NOT_EQUALS):
            return not present or labels[self.key] not in self.values
        if self.operator == EXISTS:
            return present
        if self.operator == DOES_NOT_EXIST:
            return not present
        # gt / lt: both sides must read as integers
        if not present or len(self.values) != 1 or not _is_int64(labels[self.key]) \
                or not _is_int64(self.values[0]):
            return False
        have, want = int(labels[self.key]), int(self.values[0])
        return have > want if self.operator == GREATER_THAN else have < want

    def __str__(self) -> str:
        if self.operator in (EXISTS, DOES_NOT_EXIST):
            return ("!" if self.operator == DOES_NOT_EXIST else "") + self.key
        shown = {GREATER_THAN: ">", LESS_THAN: "<", IN: " in ", NOT_IN: " notin "}.get(
            self.operator, self.operator)
        values = ",".join(sorted(self.values)) if len(self.values) > 1 else "".join(self.values)
        if self.operator in (IN, NOT_IN):
            values = f"({values})"
        return f"{self.key}{shown}{values}"


def new_requirement(key: str, operator: str, values: list[str] | None) -> Requirement:
    """labels.NewRequirement: the requirement, or SelectorError with every problem found
    (``values`` None is Go's nil slice, printed ``null``)."""
    errors: list[FieldError] = []
    key_problems = validation.is_qualified_name(key)
    if key_problems:
        errors.append(FieldError("key", f"Invalid value: {_go_quote(key)}: "
                                        + "; ".join(key_problems)))
    vals = list(values or [])
    shown = _go_quote(values) if values is not None else "null"
    if operator in (IN, NOT_IN):
        if not vals:
            errors.append(FieldError("values", f"Invalid value: {shown}: for 'in', 'notin' "
                                               "operators, values set can't be empty"))
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(vals) != 1:
            errors.append(FieldError("values", f"Invalid value: {shown}: exact-match "
                                               "compatibility requires one single value"))
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if vals:
            errors.append(FieldError("values", f"Invalid value: {shown}: values set must be "
                                               "empty for exists and does not exist"))
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(vals) != 1:
            errors.append(FieldError("values", f"Invalid value: {shown}: for 'Gt', 'Lt' "
                                               "operators, exactly one value is required"))
        errors.extend(FieldError(f"values[{i}]", f"Invalid value: {_go_quote(v)}: for 'Gt', "
                                                 "'Lt' operators, the value must be an integer")
                      for i, v in enumerate(vals) if not _is_int64(v))
    else:
        supported = ", ".join(_go_quote(op) for op in _OPERATORS)
        errors.append(FieldError("operator", f"Unsupported value: {_go_quote(operator)}: "
                                             f"supported values: {supported}"))
    for i, value in enumerate(vals):
        problems = validation.is_valid_label_value(value)
        if problems:
            errors.append(FieldError(f"values[{i}][{key}]", f"Invalid value: {_go_quote(value)}"
                                                            f": " + "; ".join(problems)))
    if errors:
        raise SelectorError(aggregate(errors))
    return Requirement(key, operator, tuple(vals))


@dataclass(frozen=True)
class LabelSelector:
    """Requirements that must all match, sorted by key; ``nothing`` matches no object (the
    selector a nil LabelSelector stands for)."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: dict | None) -> bool:
        """Whether an object with these labels is selected."""
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        """True for the selector that selects everything."""
        return not self.nothing and not self.requirements

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def _selector(requirements: list[Requirement]) -> LabelSelector:
    # Selector.Add sorts by key; a stable sort keeps same-key requirements in given order
    return LabelSelector(tuple(sorted(requirements, key=lambda r: r.key)))


_SPECIAL = "=!(),><"
_TOKENS = {")": ")", ",": ",", "!": "!", "==": "==", "=": "=", ">": ">", "in": "in",
           "<": "<", "!=": "!=", "notin": "notin", "(": "("}
_IDENTIFIER, _END = "identifier", "end"


def _lex(text: str) -> list[tuple[str, str]]:
    """The label selector lexer: (token, literal) pairs ending with the end token."""
    items, pos = [], 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            items.append((_END, ""))
            return items
        if text[pos] in _SPECIAL:
            # the longest run of special characters that still reads as an operator (every
            # special character alone is one)
            start, end = pos, pos + 1
            while end < len(text) and text[start:end + 1] in _TOKENS:
                end += 1
            pos = end
            items.append((_TOKENS[text[start:end]], text[start:end]))
        else:
            start = pos
            while pos < len(text) and text[pos] not in _SPECIAL and text[pos] not in " \t\r\n":
                pos += 1
            word = text[start:pos]
            items.append((_TOKENS.get(word, _IDENTIFIER), word))


class _Parser:
    """apimachinery's label selector parser over the lexed tokens. In values ``in`` and
    ``notin`` read as plain identifiers."""

    def __init__(self, text: str):
        self.items = _lex(text)
        self.pos = 0

    def peek(self, values: bool = True) -> tuple[str, str]:
        token, literal = self.items[self.pos]
        return (_IDENTIFIER if values and token in (IN, NOT_IN) else token), literal

    def take(self, values: bool = True) -> tuple[str, str]:
        item = self.peek(values)
        self.pos += 1
        return item

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            token, literal = self.peek()
            if token == _END:
                return requirements
            if token not in (_IDENTIFIER, "!"):
                raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of "
                                    "string'")
            try:
                requirements.append(self.requirement())
            except SelectorError as error:
                raise SelectorError(f"unable to parse requirement: {error}") from None
            token, literal = self.take()
            if token == _END:
                return requirements
            if token != ",":
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            token, literal = self.peek()
            if token not in (_IDENTIFIER, "!"):
                raise SelectorError(f"found '{literal}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        operator = None
        token, literal = self.take()
        if token == "!":
            operator = DOES_NOT_EXIST
            token, literal = self.take()
        if token != _IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        key = literal
        problems = validation.is_qualified_name(key)
        if problems:
            # the parser validates the key with a nil field path, printed "<nil>"
            raise SelectorError(f"<nil>: Invalid value: {_go_quote(key)}: "
                                + "; ".join(problems))
        if self.peek()[0] in (_END, ","):
            operator = operator or EXISTS
        if operator in (EXISTS, DOES_NOT_EXIST):
            return new_requirement(key, operator, [])
        token, literal = self.take(values=False)
        operator = {IN: IN, NOT_IN: NOT_IN, "=": EQUALS, "==": DOUBLE_EQUALS, "!=": NOT_EQUALS,
                    ">": GREATER_THAN, "<": LESS_THAN}.get(token)
        if operator is None:
            raise SelectorError(f"found '{literal}', expected: {', '.join(_BINARY)}")
        values = self.set_values() if operator in (IN, NOT_IN) else self.exact_value()
        return new_requirement(key, operator, sorted(values))

    def set_values(self) -> set[str]:
        token, literal = self.take()
        if token != "(":
            raise SelectorError(f"found '{literal}' expected: '('")
        token, literal = self.peek()
        if token == ")":
            self.take()
            return {""}
        if token not in (_IDENTIFIER, ","):
            raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
        values = self.identifiers()
        if self.take()[0] != ")":
            raise SelectorError(f"found '{literal}', expected: ')'")
        return values

    def identifiers(self) -> set[str]:
        # a comma-separated list in which empty entries stand for the empty value
        values: set[str] = set()
        while True:
            token, literal = self.take()
            if token == _IDENTIFIER:
                values.add(literal)
                after, after_literal = self.peek()
                if after == ")":
                    return values
                if after != ",":
                    raise SelectorError(f"found '{after_literal}', expected: ',' or ')'")
            elif token == ",":
                if not values:
                    values.add("")
                after = self.peek()[0]
                if after == ")":
                    values.add("")
                    return values
                if after == ",":
                    values.add("")
            else:
                raise SelectorError(f"found '{literal}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.peek()[0] in (_END, ","):
            return {""}
        token, literal = self.take()
        if token == _IDENTIFIER:
            return {literal}
        raise SelectorError(f"found '{literal}', expected: identifier")


def parse_label_selector(text: str) -> LabelSelector:
    """labels.Parse of a ``?labelSelector=`` string, e.g. ``app=web,tier notin (db),!canary``."""
    return _selector(_Parser(text).parse())


def label_selector_as_selector(selector: dict | None) -> LabelSelector:
    """metav1.LabelSelectorAsSelector of an object's ``{matchLabels, matchExpressions}``:
    None selects nothing, an empty one everything."""
    if selector is None:
        return LabelSelector(nothing=True)
    requirements = [new_requirement(key, EQUALS, [value])
                    for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        operator = _EXPRESSION_OPERATORS.get(expression.get("operator"))
        if operator is None:
            raise SelectorError(f"{_go_quote(expression.get('operator', ''))} is not a valid "
                                "label selector operator")
        values = expression.get("values")
        requirements.append(new_requirement(expression.get("key", ""), operator,
                                            None if values is None else list(values)))
    return _selector(requirements)


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: the selector's string, ``<none>`` when it is empty and
    ``<error>`` when it cannot be read."""
    try:
        text = str(label_selector_as_selector(selector))
    except SelectorError:
        return "<error>"
    return text or "<none>"


def format_labels(labels: dict | None) -> str:
    """labels.FormatLabels: ``k=v`` pairs sorted and comma-joined, ``<none>`` when empty."""
    return ",".join(sorted(f"{k}={v}" for k, v in (labels or {}).items())) or "<none>"


# --- field selectors ------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldTerm:
    """``field=value`` (op "=") or ``field!=value`` (op "!=")."""

    field: str
    op: str
    value: str


@dataclass(frozen=True)
class FieldSelector:
    """Terms that must all hold over an object's selectable fields."""

    terms: tuple[FieldTerm, ...] = ()

    def matches(self, fields: dict[str, str]) -> bool:
        """Whether fields (see ``selectable_fields``) satisfy every term; a field the object
        does not have reads as ""."""
        return all((fields.get(t.field, "") == t.value) == (t.op == "=") for t in self.terms)

    def __str__(self) -> str:
        return ",".join(f"{t.field}{t.op}{escape_field_value(t.value)}" for t in self.terms)


def escape_field_value(value: str) -> str:
    """fields.EscapeValue: backslash before ``\\``, ``,`` and ``=``."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_field_value(text: str) -> str:
    """fields.UnescapeValue, with its errors for bad escapes and bare ``,`` or ``=``."""
    out, escaping = [], False
    for ch in text:
        if escaping:
            if ch not in "\\,=":
                raise SelectorError("invalid field selector: invalid escape sequence: \\" + ch)
            out.append(ch)
            escaping = False
        elif ch == "\\":
            escaping = True
        elif ch in ",=":
            # Go prints the rune with %v: its code point
            raise SelectorError(f"invalid field selector: unescaped character in value: "
                                f"{ord(ch)}")
        else:
            out.append(ch)
    if escaping:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(text: str) -> list[str]:
    # commas split terms unless escaped; the backslash stays for unescaping later
    if not text:
        return []
    terms, start, escaping = [], 0, False
    for i, ch in enumerate(text):
        if escaping:
            escaping = False
        elif ch == "\\":
            escaping = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    # the first operator found splits the term: field names cannot be escaped
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
    return None


# The field labels each kind's conversion accepts (pkg/apis/core/v1/conversion.go); kinds
# not listed accept only metadata.name and metadata.namespace, worded differently.
_FIELD_LABELS = {
    "Pod": {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
            "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
            "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"},
    "Node": {"metadata.name", "spec.unschedulable"},
    "Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion",
              "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
              "reportingComponent", "source", "type", "metadata.namespace", "metadata.name"},
    "Namespace": {"status.phase", "metadata.name"},
    "Service": {"metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"},
}
_RENAMED_LABELS = {("Pod", "spec.host"): "spec.nodeName"}  # what pre-1.0 clients sent


def _convert_field_label(kind: str, label: str) -> str:
    renamed = _RENAMED_LABELS.get((kind, label))
    if renamed:
        return renamed
    accepted = _FIELD_LABELS.get(kind)
    if accepted is None:
        if label in ("metadata.name", "metadata.namespace"):
            return label
        raise SelectorError(f'"{label}" is not a known field selector: only "metadata.name", '
                            '"metadata.namespace"')
    if label not in accepted:
        raise SelectorError(f"field label not supported: {label}")
    return label


def parse_field_selector(text: str, kind: str | None = None) -> FieldSelector:
    """fields.ParseSelector of a ``?fieldSelector=`` string; with ``kind`` ("Pod", "Node",
    "Deployment", ...) each field is also checked against what that kind supports, as the
    list handler's field label conversion does."""
    terms = []
    for part in sorted(_split_terms(text)):
        if not part:
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, raw = split
        terms.append(FieldTerm(field, "!=" if op == "!=" else "=", unescape_field_value(raw)))
    if kind is not None:
        terms = [FieldTerm(_convert_field_label(kind, t.field), t.op, t.value) for t in terms]
    return FieldSelector(tuple(terms))


def _bool(value) -> str:
    return "true" if value else "false"


def selectable_fields(obj: dict) -> dict[str, str]:
    """The field set an object of its kind offers field selectors (each registry
    strategy's ToSelectableFields / GetAttrs), as strings."""
    meta, kind = obj.get("metadata") or {}, obj.get("kind")
    fields = {"metadata.name": meta.get("name", "")}
    if kind not in ("Node", "Namespace"):
        fields["metadata.namespace"] = meta.get("namespace", "")
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "Pod":
        pod_ips = status.get("podIPs") or []
        fields.update({
            "spec.nodeName": spec.get("nodeName", ""),
            "spec.restartPolicy": spec.get("restartPolicy", ""),
            "spec.schedulerName": spec.get("schedulerName", ""),
            "spec.serviceAccountName": spec.get("serviceAccountName", ""),
            "spec.hostNetwork": _bool(spec.get("hostNetwork")),
            "status.phase": status.get("phase", ""),
            "status.podIP": pod_ips[0].get("ip", "") if pod_ips else "",
            "status.nominatedNodeName": status.get("nominatedNodeName", ""),
        })
    elif kind == "Node":
        fields["spec.unschedulable"] = _bool(spec.get("unschedulable"))
    elif kind == "Namespace":
        fields["status.phase"] = status.get("phase", "")
    elif kind == "Service":
        fields["spec.clusterIP"] = spec.get("clusterIP", "")
        fields["spec.type"] = spec.get("type", "")
    elif kind == "Event":
        involved = obj.get("involvedObject") or {}
        for key in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion",
                    "fieldPath"):
            fields[f"involvedObject.{key}"] = involved.get(key, "")
        fields.update({
            "reason": obj.get("reason", ""),
            "reportingComponent": obj.get("reportingComponent", ""),
            "source": (obj.get("source") or {}).get("component") or obj.get(
                "reportingComponent", ""),
            "type": obj.get("type", ""),
        })
    return fields
