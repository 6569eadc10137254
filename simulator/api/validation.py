"""API-server validation of Deployments and ReplicaSets, with Kubernetes' field paths and wording.

Three stages, as a real apply meets them:

1. ``validate_type_meta``: kubectl's REST mapping — an unknown ``apiVersion``/``kind`` never
   reaches the server (``no matches for kind "X" in version "Y"``).
2. ``decode_errors``: the server's strict JSON decoding into the Go types — wrong value
   types (``json: cannot unmarshal string into Go struct field ...``) and unknown fields
   (``strict decoding error: unknown field "spec.replica"``).
3. ``validate_deployment`` / ``validate_replicaset``: ``pkg/apis/apps/validation`` and the
   shared core rules (object meta, pod template, containers, ports, probes, resources) run
   on the defaulted object.

``admit`` strings the stages together the way ``kubectl apply`` meets them and raises one
``ValidationError`` carrying every problem with its YAML line.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal, InvalidOperation

from simulator.api import selectors
from simulator.api.defaults import default_deployment, default_replicaset
from simulator.api.struct_tags import drop_nulls
from simulator.api.yaml_source import Manifest, attach_lines, json_kind
from simulator.errors import FieldError, ValidationError, child_path
from simulator.kubelet.images import IMAGE_BEHAVIOR_API_VERSION, IMAGE_BEHAVIOR_KIND

# ---------------------------------------------------------------------------------------------
# Messages of k8s.io/apimachinery/pkg/util/validation

IS_NEGATIVE = "must be greater than or equal to 0"
FIELD_IMMUTABLE = "field is immutable"
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = "(" + _QUALIFIED_NAME_FMT + ")?"
_PERCENT_FMT = "[0-9]+%"
_QUANTITY_FMT = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_DNS1123_LABEL_RE = re.compile(f"^{_DNS1123_LABEL_FMT}$")
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_DNS1123_SUBDOMAIN_FMT}$")
_QUALIFIED_NAME_RE = re.compile(f"^{_QUALIFIED_NAME_FMT}$")
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE_FMT}$")
_PERCENT_RE = re.compile(f"^{_PERCENT_FMT}$")
_QUANTITY_RE = re.compile(_QUANTITY_FMT)

SUPPORTED_KINDS = {
    ("apps/v1", "Deployment"),
    ("apps/v1", "ReplicaSet"),
    (IMAGE_BEHAVIOR_API_VERSION, IMAGE_BEHAVIOR_KIND),
}


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    # Kubernetes joins examples as "'a', " + " or " + "'b', ", hence the double space.
    text = " or ".join(f"'{e}', " for e in examples)
    return f"{message} (e.g. {text}regex used for validation is '{fmt}')"


def _max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def _length_and_pattern(value: str, max_length: int, pattern, message: str, fmt: str,
                        *examples: str) -> list[str]:
    """The two checks Kubernetes' name validators share, in its order: length, then regex."""
    errs = []
    if len(value) > max_length:
        errs.append(_max_len_error(max_length))
    if not pattern.match(value):
        errs.append(_regex_error(message, fmt, *examples))
    return errs


def is_dns1123_label(value: str) -> list[str]:
    """``validation.IsDNS1123Label`` messages (container names, namespaces)."""
    return _length_and_pattern(
        value, 63, _DNS1123_LABEL_RE,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
        "'-', and must start and end with an alphanumeric character",
        _DNS1123_LABEL_FMT, "my-name", "123-abc")


def is_dns1123_subdomain(value: str) -> list[str]:
    """``validation.IsDNS1123Subdomain`` messages (object names)."""
    return _length_and_pattern(
        value, 253, _DNS1123_SUBDOMAIN_RE,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
        "'-' or '.', and must start and end with an alphanumeric character",
        _DNS1123_SUBDOMAIN_FMT, "example.com")


def is_qualified_name(value: str) -> list[str]:
    """``validation.IsQualifiedName`` messages (label and annotation keys)."""
    qualified_msg = ("must consist of alphanumeric characters, '-', '_' or '.', and must start "
                     "and end with an alphanumeric character")
    errs = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    else:
        return ["a qualified name " + _regex_error(qualified_msg, _QUALIFIED_NAME_FMT, "MyName",
                                                   "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + _max_len_error(63))
    if not _QUALIFIED_NAME_RE.match(name):
        errs.append("name part " + _regex_error(qualified_msg, _QUALIFIED_NAME_FMT, "MyName",
                                                "my.name", "123-abc"))
    return errs


def is_valid_label_value(value: str) -> list[str]:
    """``validation.IsValidLabelValue`` messages."""
    return _length_and_pattern(
        value, 63, _LABEL_VALUE_RE,
        "a valid label must be an empty string or consist of alphanumeric characters, '-', "
        "'_' or '.', and must start and end with an alphanumeric character",
        _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else ["must be between 1 and 65535, inclusive"]


def is_valid_port_name(name: str) -> list[str]:
    """``validation.IsValidPortName`` messages (IANA_SVC_NAME)."""
    errs = []
    if len(name) > 15:
        errs.append(_max_len_error(15))
    if not re.match(r"^[-a-z0-9]+$", name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_percent(value: str) -> list[str]:
    if _PERCENT_RE.match(value):
        return []
    return [_regex_error("a valid percent string must be a numeric string followed by an ending "
                         "'%'", _PERCENT_FMT, "1%", "93%")]


# ---------------------------------------------------------------------------------------------
# How Go prints the bad value in "Invalid value: <v>"


def go_value(value) -> str:
    """``field.Error``'s rendering of a scalar: numbers bare, strings quoted, null as null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def go_string_map(labels) -> str:
    """``%#v`` of a ``map[string]string``: keys sorted, Go-quoted."""
    if labels is None:
        return "map[string]string(nil)"
    items = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(labels.items()))
    return "map[string]string{" + items + "}"


def go_label_selector(selector) -> str:
    """``(*metav1.LabelSelector).String()``, as "Invalid value" prints a selector."""
    if selector is None:
        return "nil"
    labels = selector.get("matchLabels") or {}
    exprs = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
        f"Values:[{' '.join(str(v) for v in e.get('values') or [])}],}},"
        for e in selector.get("matchExpressions") or []
    )
    pairs = "".join(f"{k}: {v}," for k, v in sorted(labels.items()))
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{pairs}}},"
            f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}")


# ---------------------------------------------------------------------------------------------
# Error constructors with apimachinery's wording


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, "Required value" + (f": {detail}" if detail else ""))


def invalid(path: str, shown: str, detail: str) -> FieldError:
    """``field.Invalid``; ``shown`` is the already rendered bad value."""
    return FieldError(path, f"Invalid value: {shown}" + (f": {detail}" if detail else ""))


def not_supported(path: str, shown: str, supported: list[str]) -> FieldError:
    values = ", ".join(json.dumps(v) for v in supported)
    return FieldError(path, f"Unsupported value: {shown}: supported values: {values}")


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, f"Forbidden: {detail}")


def duplicate(path: str, shown: str) -> FieldError:
    return FieldError(path, f"Duplicate value: {shown}")


def nonnegative(value, path: str) -> list[FieldError]:
    """``ValidateNonnegativeField``."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, str(value), IS_NEGATIVE)]
    return []


# ---------------------------------------------------------------------------------------------
# Stage 1: kubectl's REST mapping


def validate_type_meta(obj: dict) -> ValidationError | None:
    """What kubectl itself refuses before anything reaches the API server, else None.

    A manifest without apiVersion/kind, of a kind no API serves, or (Deployment, ReplicaSet)
    whose metadata kubectl cannot read: not an object, no name, labels or annotations that
    are not objects.
    """
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    missing = [f"{name} not set" for name, value in (("apiVersion", api_version), ("kind", kind))
               if not value or not isinstance(value, str)]
    if missing:
        errors = [FieldError(name.split()[0], "Required value") for name in missing]
        body = missing[0] if len(missing) == 1 else "[" + ", ".join(missing) + "]"
        return ValidationError(errors, message=(
            f'error: error validating "STDIN": error validating data: {body}; if you choose to '
            "ignore these errors, turn validation off with --validate=false"))
    if (api_version, kind) not in SUPPORTED_KINDS:
        detail = f'no matches for kind "{kind}" in version "{api_version}"'
        return ValidationError([FieldError("kind", detail)], message=(
            f'error: resource mapping not found for name: "{_name_of(obj)}" namespace: "" from '
            f'"STDIN": {detail}\nensure CRDs are installed first'))
    if kind in ("Deployment", "ReplicaSet"):
        return _unreadable_metadata(obj)
    return None


def go_type_name(value) -> str:
    """Go's %T of a decoded JSON value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "[]interface {}" if isinstance(value, list) else "map[string]interface {}"


def go_print(value) -> str:
    """Go's %v of a decoded JSON value."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(go_print(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_print(v)}" for k, v in sorted(value.items())) + "]"
    return str(value)


def _unreadable_metadata(obj: dict) -> ValidationError | None:
    """kubectl reads metadata through unstructured accessors; these are their refusals."""
    meta = obj.get("metadata")
    for path, value in (("metadata", meta),
                        *((f"metadata.{k}", meta.get(k)) for k in ("labels", "annotations")
                          if isinstance(meta, dict))):
        if value is not None and not isinstance(value, dict):
            detail = (f".{path} accessor error: {go_print(value)} is of the type "
                      f"{go_type_name(value)}, expected map[string]interface{{}}")
            return ValidationError([FieldError(path, detail)],
                                   message=f'error: unable to decode "STDIN": {detail}')
    name = meta.get("name") if isinstance(meta, dict) else None
    if isinstance(name, str) and name:
        return None
    resource = "deployments" if obj["kind"] == "Deployment" else "replicasets"
    message = (
        "error: error when retrieving current configuration of:\n"
        f'Resource: "apps/v1, Resource={resource}", GroupVersionKind: "apps/v1, '
        f'Kind={obj["kind"]}"\nName: "", Namespace: "default"\n'
        'from server for: "STDIN": resource name may not be empty')
    if name is not None and not isinstance(name, str):
        message = (f'error: unable to decode "STDIN": .metadata.name accessor error: '
                   f"{go_print(name)} is of the type {go_type_name(name)}, expected string")
    return ValidationError([FieldError("metadata.name", "Required value")], message=message)


# ---------------------------------------------------------------------------------------------
# Stage 2: strict decoding into the Go types
#
# A schema node is a Go type: a scalar name ("string", "int32", "int64", "bool", "intstr",
# "quantity", "any"), ("map", value_type), ("list", item_type) or a _Struct.


class _Struct:
    def __init__(self, go_name: str, fields: dict):
        self.go_name = go_name
        self.fields = fields


_ANY = "any"  # a field we accept but do not model: any JSON value
_STRING_MAP = ("map", "string")
_STRINGS = ("list", "string")

_OBJECT_META = _Struct("ObjectMeta", {
    "name": "string", "generateName": "string", "namespace": "string", "selfLink": "string",
    "uid": "string", "resourceVersion": "string", "generation": "int64",
    "creationTimestamp": _ANY, "deletionTimestamp": _ANY, "deletionGracePeriodSeconds": "int64",
    "labels": _STRING_MAP, "annotations": _STRING_MAP, "ownerReferences": _ANY,
    "finalizers": _STRINGS, "managedFields": _ANY,
})
_LABEL_SELECTOR = _Struct("LabelSelector", {
    "matchLabels": _STRING_MAP,
    "matchExpressions": ("list", _Struct("LabelSelectorRequirement", {
        "key": "string", "operator": "string", "values": _STRINGS})),
})
_HTTP_GET = _Struct("HTTPGetAction", {
    "path": "string", "port": "intstr", "host": "string", "scheme": "string",
    "httpHeaders": ("list", _Struct("HTTPHeader", {"name": "string", "value": "string"})),
})
_TCP_SOCKET = _Struct("TCPSocketAction", {"port": "intstr", "host": "string"})
_EXEC = _Struct("ExecAction", {"command": _STRINGS})
_PROBE = _Struct("Probe", {
    "exec": _EXEC, "httpGet": _HTTP_GET, "tcpSocket": _TCP_SOCKET,
    "grpc": _Struct("GRPCAction", {"port": "int32", "service": "string"}),
    "initialDelaySeconds": "int32", "timeoutSeconds": "int32", "periodSeconds": "int32",
    "successThreshold": "int32", "failureThreshold": "int32",
    "terminationGracePeriodSeconds": "int64",
})
_CONTAINER = _Struct("Container", {
    "name": "string", "image": "string", "command": _STRINGS, "args": _STRINGS,
    "workingDir": "string",
    "ports": ("list", _Struct("ContainerPort", {
        "name": "string", "hostPort": "int32", "containerPort": "int32", "protocol": "string",
        "hostIP": "string"})),
    "envFrom": _ANY,
    "env": ("list", _Struct("EnvVar", {"name": "string", "value": "string", "valueFrom": _ANY})),
    "resources": _Struct("ResourceRequirements", {
        "limits": ("map", "quantity"), "requests": ("map", "quantity"), "claims": _ANY}),
    "resizePolicy": _ANY, "restartPolicy": "string", "restartPolicyRules": _ANY,
    "volumeMounts": _ANY, "volumeDevices": _ANY,
    "livenessProbe": _PROBE, "readinessProbe": _PROBE, "startupProbe": _PROBE,
    "lifecycle": _ANY, "terminationMessagePath": "string", "terminationMessagePolicy": "string",
    "imagePullPolicy": "string", "securityContext": _ANY, "stdin": "bool", "stdinOnce": "bool",
    "tty": "bool",
})
_POD_SPEC = _Struct("PodSpec", {
    "volumes": _ANY, "initContainers": ("list", _CONTAINER), "containers": ("list", _CONTAINER),
    "ephemeralContainers": _ANY, "restartPolicy": "string",
    "terminationGracePeriodSeconds": "int64", "activeDeadlineSeconds": "int64",
    "dnsPolicy": "string", "nodeSelector": _STRING_MAP, "serviceAccountName": "string",
    "serviceAccount": "string", "automountServiceAccountToken": "bool", "nodeName": "string",
    "hostNetwork": "bool", "hostPID": "bool", "hostIPC": "bool",
    "shareProcessNamespace": "bool", "securityContext": _ANY, "imagePullSecrets": _ANY,
    "hostname": "string", "subdomain": "string", "affinity": _ANY, "schedulerName": "string",
    "tolerations": _ANY, "hostAliases": _ANY, "priorityClassName": "string", "priority": "int32",
    "dnsConfig": _ANY, "readinessGates": _ANY, "runtimeClassName": "string",
    "enableServiceLinks": "bool", "preemptionPolicy": "string", "overhead": _ANY,
    "topologySpreadConstraints": _ANY, "setHostnameAsFQDN": "bool", "os": _ANY,
    "hostUsers": "bool", "schedulingGates": _ANY, "resourceClaims": _ANY, "resources": _ANY,
    "hostnameOverride": "string",
})
_POD_TEMPLATE = _Struct("PodTemplateSpec", {"metadata": _OBJECT_META, "spec": _POD_SPEC})
_DEPLOYMENT = _Struct("Deployment", {
    "apiVersion": "string", "kind": "string", "metadata": _OBJECT_META, "status": _ANY,
    "spec": _Struct("DeploymentSpec", {
        "replicas": "int32", "selector": _LABEL_SELECTOR, "template": _POD_TEMPLATE,
        "strategy": _Struct("DeploymentStrategy", {
            "type": "string",
            "rollingUpdate": _Struct("RollingUpdateDeployment", {
                "maxUnavailable": "intstr", "maxSurge": "intstr"}),
        }),
        "minReadySeconds": "int32", "revisionHistoryLimit": "int32", "paused": "bool",
        "progressDeadlineSeconds": "int32",
    }),
})
_REPLICASET = _Struct("ReplicaSet", {
    "apiVersion": "string", "kind": "string", "metadata": _OBJECT_META, "status": _ANY,
    "spec": _Struct("ReplicaSetSpec", {
        "replicas": "int32", "minReadySeconds": "int32", "selector": _LABEL_SELECTOR,
        "template": _POD_TEMPLATE}),
})
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _go_type(node) -> str:
    if isinstance(node, _Struct):
        return "v1." + node.go_name
    if isinstance(node, tuple):
        inner = _go_type(node[1])
        return f"[]{inner}" if node[0] == "list" else f"map[string]{inner}"
    return {"intstr": "intstr.IntOrString", "quantity": "resource.Quantity"}.get(node, node)


def _decode(value, node, path: str, go_path: str, owner: str, out: list[FieldError]) -> None:
    """Append the decoding problems of ``value`` against schema ``node``."""
    if value is None or node == _ANY:
        return  # JSON null decodes to Go's zero value

    def mismatch(shown: str) -> None:
        out.append(FieldError(path, f"json: cannot unmarshal {shown} into Go struct field "
                                    f"{owner}.{go_path} of type {_go_type(node)}"))

    if isinstance(node, _Struct):
        if not isinstance(value, dict):
            mismatch(json_kind(value))
            return
        for key, item in value.items():
            child = child_path(path, key)
            if key not in node.fields:
                out.append(FieldError(child, f'unknown field "{child}"'))
                continue
            _decode(item, node.fields[key], child, f"{go_path}.{key}" if go_path else key,
                    node.go_name, out)
    elif isinstance(node, tuple):
        expected = list if node[0] == "list" else dict
        if not isinstance(value, expected):
            mismatch(json_kind(value))
            return
        items = enumerate(value) if node[0] == "list" else value.items()
        for key, item in items:
            _decode(item, node[1], child_path(path, key), go_path, owner, out)
    elif node == "string":
        if not isinstance(value, str):
            mismatch(json_kind(value))
    elif node == "bool":
        if not isinstance(value, bool):
            mismatch(json_kind(value))
    elif node in _INT_RANGES:
        low, high = _INT_RANGES[node]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            mismatch(json_kind(value))
        elif not float(value).is_integer() or not low <= value <= high:
            mismatch(f"number {value}")
    elif node == "intstr":
        if isinstance(value, str):
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(FieldError(path, f"json: cannot unmarshal {json_kind(value)} into Go "
                                        "value of type int32"))
        elif not float(value).is_integer() or not -(2**31) <= value < 2**31:
            out.append(FieldError(path, f"json: cannot unmarshal number {value} into Go value "
                                        "of type int32"))
    elif node == "quantity":
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        text = str(value) if number else value
        if not isinstance(text, str) or parse_quantity(text) is None:
            out.append(FieldError(path, "quantities must match the regular expression "
                                        f"'{_QUANTITY_FMT}'"))


_SCALE = _Struct("Scale", {"spec": _Struct("ScaleSpec", {"replicas": "int32"})})


def validate_scale(name: str, replicas) -> ValidationError | None:
    """The scale subresource's refusals of a new replica count: the Scale must decode (an
    int32: ``json: cannot unmarshal number 2147483648 into Go struct field
    ScaleSpec.spec.replicas of type int32``), then pass ValidateScale (0 or more)."""
    errors: list[FieldError] = []
    if replicas is None:
        errors.append(FieldError("spec.replicas", "Required value"))
    else:
        _decode({"spec": {"replicas": replicas}}, _SCALE, "", "", _SCALE.go_name, errors)
        if not errors:
            errors = nonnegative(int(replicas), "spec.replicas")
    return ValidationError(errors, "Scale", name) if errors else None


def decode_errors(obj: dict) -> list[FieldError]:
    """Problems the API server's strict decoder finds: wrong value types and unknown fields."""
    schema = {"Deployment": _DEPLOYMENT, "ReplicaSet": _REPLICASET}.get(obj.get("kind"))
    if schema is None:
        return []
    out: list[FieldError] = []
    _decode(obj, schema, "", "", schema.go_name, out)
    return out


def _zero(node):
    if isinstance(node, _Struct):
        return {}
    if isinstance(node, tuple):
        return [] if node[0] == "list" else {}
    return {"string": "", "bool": False, "int32": 0, "int64": 0, "intstr": 0,
            "quantity": "0"}.get(node)


def _fill_nulls(value, node):
    """Null list items and map values as Go decodes them (the zero value of their type), and
    whole-number floats as the integers they decode to."""
    if isinstance(node, _Struct) and isinstance(value, dict):
        for key, item in value.items():
            if key in node.fields:
                value[key] = _fill_nulls(item, node.fields[key])
    elif isinstance(node, tuple) and isinstance(value, (list, dict)):
        keys = range(len(value)) if isinstance(value, list) else list(value)
        for key in keys:
            item = value[key]
            value[key] = _zero(node[1]) if item is None else _fill_nulls(item, node[1])
    elif node in ("int32", "int64", "intstr") and isinstance(value, float):
        return int(value)  # 3.0 decodes into an int32 as 3
    return value


def decoded(obj: dict) -> dict:
    """A copy of a Deployment/ReplicaSet that decodes cleanly, as the Go structs hold it."""
    schema = {"Deployment": _DEPLOYMENT, "ReplicaSet": _REPLICASET}[obj["kind"]]
    return _fill_nulls(copy.deepcopy(obj), schema)


class DecodeError(ValidationError):
    """A body the API server cannot decode into the Go types (400 BadRequest, before any
    validation). ``str()`` is what ``kubectl apply`` prints; ``detail`` is the decoder's own
    text, which the API answers as ``<Kind> in version "v1" cannot be handled as a <Kind>:
    <detail>``."""

    def __init__(self, obj: dict, errors: list[FieldError]):
        kind = obj.get("kind", "")
        unknown = [e for e in errors if e.message.startswith("unknown field")]
        typed = [e for e in errors if e not in unknown]
        self.detail = typed[0].message if typed else "strict decoding error: " + ", ".join(
            e.message for e in unknown)
        super().__init__(errors, kind, _name_of(obj), message=(
            f'Error from server (BadRequest): error when creating "STDIN": {kind} in version '
            f'"v1" cannot be handled as a {kind}: {self.detail}'))


def decode(obj: dict, lines: dict | None = None, strict: bool = True) -> tuple[dict, list[str]]:
    """A Deployment or ReplicaSet as decoding it into the Go types leaves it: nulls dropped
    (``struct_tags.drop_nulls``), whole-number floats as integers, and, unless ``strict``
    (fieldValidation=Strict), unknown fields dropped with a warning each (``unknown field
    "spec.x"``, the Warn directive's text). Raises DecodeError (with lines) for a value of
    the wrong type, or an unknown field when strict."""
    problems = decode_errors(obj)
    unknown = [e for e in problems if e.message.startswith("unknown field")]
    if problems and (strict or len(unknown) < len(problems)):
        raise DecodeError(obj, attach_lines(problems if strict else
                                            [e for e in problems if e not in unknown], lines or {}))
    schema = {"Deployment": _DEPLOYMENT, "ReplicaSet": _REPLICASET}[obj["kind"]]
    if unknown:
        obj = _known_fields(obj, schema)
    return decoded(drop_nulls(obj, obj["kind"])), [e.message for e in unknown]


def _known_fields(value, node):
    if isinstance(node, _Struct) and isinstance(value, dict):
        return {k: _known_fields(v, node.fields[k]) for k, v in value.items() if k in node.fields}
    if isinstance(node, tuple) and isinstance(value, list):
        return [_known_fields(item, node[1]) for item in value]
    if isinstance(node, tuple) and isinstance(value, dict):
        return {k: _known_fields(v, node[1]) for k, v in value.items()}
    return value


_SUFFIXES = {
    "": 1, "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": 10**3,
    "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20,
    "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def parse_quantity(text: str) -> Decimal | None:
    """The value of a resource quantity such as ``500m``, ``128Mi`` or ``1e3``; None if invalid."""
    match = re.fullmatch(r"([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))([eE][-+]?[0-9]+|[a-zA-Z]*)", text)
    if not match:
        return None
    number, suffix = match.groups()
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    if suffix[:1] in ("e", "E") and suffix[1:].lstrip("+-").isdigit():
        return value * Decimal(10) ** int(suffix[1:])
    if suffix not in _SUFFIXES:
        return None
    return value * _SUFFIXES[suffix]


# ---------------------------------------------------------------------------------------------
# Stage 3: validation of the defaulted object


def _name_of(obj: dict) -> str:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def validate_labels(labels, path: str) -> list[FieldError]:
    """``ValidateLabels``: qualified-name keys and label values."""
    errs: list[FieldError] = []
    for key, value in (labels or {}).items():
        errs += [invalid(path, go_value(key), m) for m in is_qualified_name(key)]
        errs += [invalid(path, go_value(value), m) for m in is_valid_label_value(value)]
    return errs


def validate_annotations(annotations, path: str) -> list[FieldError]:
    """``ValidateAnnotations``: qualified-name keys, total size at most 256 KiB."""
    errs: list[FieldError] = []
    total = 0
    for key, value in (annotations or {}).items():
        errs += [invalid(path, go_value(key), m) for m in is_qualified_name(key.lower())]
        total += len(key) + len(value)
    if total > 256 * 1024:
        errs.append(FieldError(path, "Too long: may not be more than 262144 bytes"))
    return errs


def validate_object_meta(meta, path: str = "metadata") -> list[FieldError]:
    """``ValidateObjectMeta`` for a namespaced object whose name is a DNS subdomain."""
    meta = meta or {}
    errs: list[FieldError] = []
    name = meta.get("name") or ""
    if meta.get("generateName"):
        errs += [invalid(f"{path}.generateName", go_value(meta["generateName"]), m)
                 for m in is_dns1123_subdomain(_strip_generate_suffix(meta["generateName"]))]
    if not name:
        errs.append(required(f"{path}.name", "name or generateName is required"))
    else:
        errs += [invalid(f"{path}.name", go_value(name), m) for m in is_dns1123_subdomain(name)]
    namespace = meta.get("namespace") or ""
    if not namespace:
        errs.append(required(f"{path}.namespace"))
    else:
        errs += [invalid(f"{path}.namespace", go_value(namespace), m)
                 for m in is_dns1123_label(namespace)]
    errs += nonnegative(meta.get("generation"), f"{path}.generation")
    errs += validate_labels(meta.get("labels"), f"{path}.labels")
    errs += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    return errs


def _strip_generate_suffix(prefix: str) -> str:
    # A generateName prefix may end in '-': the random suffix completes the name.
    return prefix[:-1] if prefix.endswith("-") else prefix


def _validate_label_selector(selector, path: str) -> tuple[list[FieldError], bool]:
    """``ValidateLabelSelector`` errors, and whether ``LabelSelectorAsSelector`` succeeds."""
    errs: list[FieldError] = []
    if selector is None:
        return errs, True
    errs += validate_labels(selector.get("matchLabels"), f"{path}.matchLabels")
    convertible = not errs
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        epath = f"{path}.matchExpressions[{i}]"
        operator, values = expr.get("operator") or "", expr.get("values") or []
        before = len(errs)
        if operator in ("In", "NotIn"):
            if not values:
                errs.append(required(f"{epath}.values",
                                     "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errs.append(forbidden(f"{epath}.values", "may not be specified when `operator` "
                                                         "is 'Exists' or 'DoesNotExist'"))
        else:
            errs.append(invalid(f"{epath}.operator", go_value(operator),
                                "not a valid selector operator"))
        errs += [invalid(f"{epath}.key", go_value(expr.get("key") or ""), m)
                 for m in is_qualified_name(expr.get("key") or "")]
        for j, value in enumerate(values):
            errs += [invalid(f"{epath}.values[{j}]", go_value(value), m)
                     for m in is_valid_label_value(value)]
        convertible = convertible and len(errs) == before
    return errs, convertible


def _selector_is_empty(selector: dict | None) -> bool:
    return selector is not None and not selector.get("matchLabels") and not selector.get(
        "matchExpressions")


def _validate_port_num_or_name(port, path: str) -> list[FieldError]:
    if isinstance(port, str):
        return [invalid(path, go_value(port), m) for m in is_valid_port_name(port)]
    if isinstance(port, int):
        return [invalid(path, str(port), m) for m in is_valid_port_num(port)]
    return []


def _validate_handler(handler: dict, path: str) -> list[FieldError]:
    """``validateHandler``: exactly one of exec, httpGet, tcpSocket, grpc."""
    errs: list[FieldError] = []
    count = 0
    for kind in ("exec", "httpGet", "tcpSocket", "grpc"):
        action = handler.get(kind)
        if action is None:
            continue
        if count:
            errs.append(forbidden(f"{path}.{kind}", "may not specify more than 1 handler type"))
            continue
        count += 1
        apath = f"{path}.{kind}"
        if kind == "exec" and not action.get("command"):
            errs.append(required(f"{apath}.command"))
        elif kind == "httpGet":
            if not action.get("path"):
                errs.append(required(f"{apath}.path"))
            errs += _validate_port_num_or_name(action.get("port", 0), f"{apath}.port")
            scheme = action.get("scheme") or ""
            if scheme not in ("HTTP", "HTTPS"):
                errs.append(not_supported(f"{apath}.scheme", go_value(scheme), ["HTTP", "HTTPS"]))
        elif kind == "tcpSocket":
            errs += _validate_port_num_or_name(action.get("port", 0), f"{apath}.port")
        elif kind == "grpc":
            port = action.get("port") or 0
            errs += [invalid(f"{apath}.port", str(port), m) for m in is_valid_port_num(port)]
    if count == 0:
        errs.append(required(path, "must specify a handler type"))
    return errs


def validate_probe(probe, path: str, kind: str) -> list[FieldError]:
    """``validateProbe`` plus the per-kind rules (``kind``: liveness, readiness or startup)."""
    if probe is None:
        return []
    errs = _validate_handler(probe, path)
    for name in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
                 "failureThreshold"):
        errs += nonnegative(probe.get(name, 0), f"{path}.{name}")
    grace = probe.get("terminationGracePeriodSeconds")
    if kind == "readiness" and grace is not None:
        errs.append(invalid(f"{path}.terminationGracePeriodSeconds", str(grace),
                            "must not be set for readinessProbes"))
    elif grace is not None and grace <= 0:
        errs.append(invalid(f"{path}.terminationGracePeriodSeconds", str(grace),
                            "must be greater than 0"))
    if kind in ("liveness", "startup") and probe.get("successThreshold", 1) != 1:
        errs.append(invalid(f"{path}.successThreshold", str(probe.get("successThreshold")),
                            "must be 1"))
    return errs


def _validate_ports(ports, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(ports or []):
        ppath = f"{path}[{i}]"
        name = port.get("name") or ""
        if name:
            messages = is_valid_port_name(name)
            if messages:
                errs += [invalid(f"{ppath}.name", go_value(name), m) for m in messages]
            elif name in names:
                errs.append(duplicate(f"{ppath}.name", go_value(name)))
            names.add(name)
        container_port = port.get("containerPort") or 0
        if container_port == 0:
            errs.append(required(f"{ppath}.containerPort"))
        else:
            errs += [invalid(f"{ppath}.containerPort", str(container_port), m)
                     for m in is_valid_port_num(container_port)]
        host_port = port.get("hostPort") or 0
        if host_port:
            errs += [invalid(f"{ppath}.hostPort", str(host_port), m)
                     for m in is_valid_port_num(host_port)]
        protocol = port.get("protocol") or ""
        if not protocol:
            errs.append(required(f"{ppath}.protocol"))
        elif protocol not in ("SCTP", "TCP", "UDP"):
            errs.append(not_supported(f"{ppath}.protocol", go_value(protocol),
                                      ["SCTP", "TCP", "UDP"]))
    return errs


def _validate_resources(resources, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    for group, values in (("limits", limits), ("requests", requests)):
        for name, raw in values.items():
            quantity = parse_quantity(str(raw))
            qpath = f"{path}.{group}[{name}]"
            if name not in ("cpu", "memory", "ephemeral-storage") and "/" not in name \
                    and not name.startswith("hugepages-"):
                errs.append(invalid(qpath, go_value(name),
                                    "must be a standard resource for containers"))
            if quantity is not None and quantity < 0:
                errs.append(invalid(qpath, go_value(str(raw)), IS_NEGATIVE))
    for name, raw in requests.items():
        if name in limits:
            request, limit = parse_quantity(str(raw)), parse_quantity(str(limits[name]))
            if request is not None and limit is not None and request > limit:
                errs.append(invalid(f"{path}.requests", go_value(str(raw)),
                                    f"must be less than or equal to {name} limit of "
                                    f"{limits[name]}"))
    return errs


def validate_container(container: dict, path: str) -> list[FieldError]:
    """``validateContainerCommon``: what every kind of container must satisfy."""
    errs: list[FieldError] = []
    name = container.get("name") or ""
    if not name:
        errs.append(required(f"{path}.name"))
    else:
        errs += [invalid(f"{path}.name", go_value(name), m) for m in is_dns1123_label(name)]
    if not container.get("image"):
        errs.append(required(f"{path}.image"))
    policy = container.get("terminationMessagePolicy") or ""
    if not policy:
        errs.append(required(f"{path}.terminationMessagePolicy"))
    elif policy not in ("File", "FallbackToLogsOnError"):
        errs.append(not_supported(f"{path}.terminationMessagePolicy", go_value(policy),
                                  ["File", "FallbackToLogsOnError"]))
    errs += _validate_ports(container.get("ports"), f"{path}.ports")
    for i, env in enumerate(container.get("env") or []):
        name = env.get("name") or ""
        if not name:
            errs.append(required(f"{path}.env[{i}].name"))
        elif "=" in name or not all(" " <= c <= "~" for c in name):
            # RelaxedEnvironmentVariableValidation (GA): any printable ASCII but '='.
            errs.append(invalid(f"{path}.env[{i}].name", go_value(name),
                                "a valid environment variable name must consist only of printable "
                                "ASCII characters other than '='"))
    pull = container.get("imagePullPolicy") or ""
    if not pull:
        errs.append(required(f"{path}.imagePullPolicy"))
    elif pull not in ("Always", "IfNotPresent", "Never"):
        errs.append(not_supported(f"{path}.imagePullPolicy", go_value(pull),
                                  ["Always", "IfNotPresent", "Never"]))
    errs += _validate_resources(container.get("resources") or {}, f"{path}.resources")
    return errs


def _validate_container_probes(container: dict, path: str) -> list[FieldError]:
    return (validate_probe(container.get("livenessProbe"), f"{path}.livenessProbe", "liveness")
            + validate_probe(container.get("readinessProbe"), f"{path}.readinessProbe", "readiness")
            + validate_probe(container.get("startupProbe"), f"{path}.startupProbe", "startup"))


def validate_pod_spec(spec: dict, path: str) -> list[FieldError]:
    """``ValidatePodSpec`` for the fields the simulator models."""
    errs: list[FieldError] = []
    containers = spec.get("containers") or []
    if not containers:
        errs.append(required(f"{path}.containers"))
    names: set[str] = set()
    for i, container in enumerate(containers):
        cpath = f"{path}.containers[{i}]"
        errs += validate_container(container, cpath)
        name = container.get("name") or ""
        if name in names:
            errs.append(duplicate(f"{cpath}.name", go_value(name)))
        names.add(name)
        errs += _validate_container_probes(container, cpath)
        if container.get("restartPolicy") is not None:
            errs.append(forbidden(f"{cpath}.restartPolicy", "may not be set for non-init "
                                                            "containers"))
    for i, container in enumerate(spec.get("initContainers") or []):
        cpath = f"{path}.initContainers[{i}]"
        errs += validate_container(container, cpath)
        name = container.get("name") or ""
        if name in names:
            errs.append(duplicate(f"{cpath}.name", go_value(name)))
        names.add(name)
    restart = spec.get("restartPolicy") or ""
    if not restart:
        errs.append(required(f"{path}.restartPolicy"))
    elif restart not in ("Always", "OnFailure", "Never"):
        errs.append(not_supported(f"{path}.restartPolicy", go_value(restart),
                                  ["Always", "OnFailure", "Never"]))
    dns = spec.get("dnsPolicy") or ""
    if not dns:
        errs.append(required(f"{path}.dnsPolicy"))
    elif dns not in ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        errs.append(not_supported(f"{path}.dnsPolicy", go_value(dns),
                                  ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]))
    errs += validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and not 1 <= deadline <= 2**31 - 1:
        errs.append(invalid(f"{path}.activeDeadlineSeconds", str(deadline),
                            "must be between 1 and 2147483647, inclusive"))
    return errs


def validate_pod_template(template, selector, path: str) -> list[FieldError]:
    """``ValidatePodTemplateSpecForReplicaSet``: selector match, pod spec, restartPolicy Always."""
    if template is None:
        return [required(path)]
    errs: list[FieldError] = []
    meta = template.get("metadata") or {}
    labels = meta.get("labels")
    # An empty selector selects everything (no check); a missing one selects nothing.
    if not (selector is not None and _selector_is_empty(selector)):
        if not selectors.label_selector_as_selector(selector).matches(labels):
            errs.append(invalid(f"{path}.metadata.labels", go_string_map(labels),
                                "`selector` does not match template `labels`"))
    # Kubernetes reports template labels under "template.labels", without "metadata".
    errs += validate_labels(labels, f"{path}.labels")
    errs += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    spec = template.get("spec") or {}
    errs += validate_pod_spec(spec, f"{path}.spec")
    restart = spec.get("restartPolicy") or ""
    if restart != "Always":
        errs.append(not_supported(f"{path}.spec.restartPolicy", go_value(restart), ["Always"]))
    if spec.get("activeDeadlineSeconds") is not None:
        errs.append(forbidden(f"{path}.spec.activeDeadlineSeconds",
                              "activeDeadlineSeconds in ReplicaSet is not Supported"))
    return errs


def _validate_selector_and_template(spec: dict, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    selector = spec.get("selector")
    selector_ok = True
    if selector is None:
        errs.append(required(f"{path}.selector"))
    else:
        selector_errs, selector_ok = _validate_label_selector(selector, f"{path}.selector")
        errs += selector_errs
        if _selector_is_empty(selector):
            errs.append(invalid(f"{path}.selector", go_label_selector(selector),
                                "empty selector is invalid for deployment"))
    if not selector_ok:
        errs.append(invalid(f"{path}.selector", go_label_selector(selector),
                            "invalid label selector"))
    else:
        errs += validate_pod_template(spec.get("template"), selector, f"{path}.template")
    return errs


def _int_or_percent_value(value) -> int:
    """``getIntOrPercentValue``: the number, percent or not; 0 for a malformed string."""
    if isinstance(value, str):
        return int(value[:-1]) if _PERCENT_RE.match(value) else 0
    return value or 0


def _go_int_or_string(value) -> str:
    # IntOrString prints through its String(): the bare number or the bare string.
    return str(value if value is not None else 0)


def _validate_int_or_percent(value, path: str) -> list[FieldError]:
    if isinstance(value, str):
        return [invalid(path, _go_int_or_string(value), m) for m in is_valid_percent(value)]
    return nonnegative(value, path)


def validate_strategy(strategy: dict, path: str) -> list[FieldError]:
    """``ValidateDeploymentStrategy`` and ``ValidateRollingUpdateDeployment``."""
    kind = strategy.get("type") or ""
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            return [forbidden(f"{path}.rollingUpdate",
                              "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if kind == "RollingUpdate":
        if rolling is None:
            return [required(f"{path}.rollingUpdate", "this should be defaulted and never be nil")]
        unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
        upath, spath = f"{path}.rollingUpdate.maxUnavailable", f"{path}.rollingUpdate.maxSurge"
        errs = _validate_int_or_percent(unavailable, upath)
        errs += _validate_int_or_percent(surge, spath)
        if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
            errs.append(invalid(upath, _go_int_or_string(unavailable),
                                "may not be 0 when `maxSurge` is 0"))
        if isinstance(unavailable, str) and _int_or_percent_value(unavailable) > 100:
            errs.append(invalid(upath, unavailable, "must not be greater than 100%"))
        return errs
    # %#v of the internal struct; a set pointer would print its (random) address: elided.
    pointer = "(nil)" if rolling is None else "(0x...)"
    shown = (f"apps.DeploymentStrategy{{Type:{go_value(kind)}, "
             f"RollingUpdate:(*apps.RollingUpdateDeployment){pointer}}}")
    return [not_supported(path, shown, ["Recreate", "RollingUpdate"])]


def _semantically_equal_selectors(a, b) -> bool:
    # apiequality.Semantic.DeepEqual: empty and absent maps/lists are the same.
    def normal(selector):
        if selector is None:
            return None
        expressions = selector.get("matchExpressions") or []
        return (dict(selector.get("matchLabels") or {}),
                [dict(e, values=e.get("values") or []) for e in expressions])
    return normal(a) == normal(b)


def validate_deployment(obj: dict, old: dict | None = None) -> list[FieldError]:
    """``ValidateDeployment`` (or ``ValidateDeploymentUpdate`` with the selector immutable when
    ``old`` is given) on a defaulted apps/v1 Deployment."""
    errs = validate_object_meta(obj.get("metadata"))
    spec = obj.get("spec") or {}
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    errs += _validate_selector_and_template(spec, "spec")
    errs += validate_strategy(spec.get("strategy") or {}, "spec.strategy")
    min_ready = spec.get("minReadySeconds") or 0
    errs += nonnegative(min_ready, "spec.minReadySeconds")
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errs += nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= min_ready:
            errs.append(invalid("spec.progressDeadlineSeconds", str(deadline),
                                "must be greater than minReadySeconds"))
    if old is not None:
        errs += _immutable_selector(spec, old)
    return errs


def validate_replicaset(obj: dict, old: dict | None = None) -> list[FieldError]:
    """``ValidateReplicaSet`` / ``ValidateReplicaSetUpdate`` on a defaulted apps/v1 ReplicaSet."""
    errs = validate_object_meta(obj.get("metadata"))
    spec = obj.get("spec") or {}
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds") or 0, "spec.minReadySeconds")
    errs += _validate_selector_and_template(spec, "spec")
    if old is not None:
        errs += _immutable_selector(spec, old)
    return errs


def _immutable_selector(spec: dict, old: dict) -> list[FieldError]:
    old_selector = (old.get("spec") or {}).get("selector")
    if _semantically_equal_selectors(spec.get("selector"), old_selector):
        return []
    return [invalid("spec.selector", go_label_selector(spec.get("selector")), FIELD_IMMUTABLE)]


# ---------------------------------------------------------------------------------------------
# The whole path of one apply


def admit(manifest: Manifest, old: dict | None = None) -> dict:
    """The defaulted Deployment/ReplicaSet the API server would store for ``manifest``.

    Raises ``ValidationError`` — with lines — for an unknown kind, a decoding problem, or
    any validation error, exactly one stage at a time as kubectl meets them.
    """
    obj = manifest.obj
    failure = validate_type_meta(obj)
    if failure is None and obj.get("kind") not in ("Deployment", "ReplicaSet"):
        raise ValueError(f"admit() handles Deployments and ReplicaSets, not {obj.get('kind')}")
    if failure is not None:
        failure.errors = attach_lines(failure.errors, manifest.lines)
        raise failure
    obj, _ = decode(obj, manifest.lines)
    return default_and_validate(obj, old, manifest.lines)


def default_and_validate(obj: dict, old: dict | None = None, lines: dict | None = None) -> dict:
    """A decoded Deployment/ReplicaSet with the API server's defaults; ValidationError (with
    lines) carrying every problem of ValidateDeployment/ValidateReplicaSet (the update
    variant against ``old``)."""
    kind = obj["kind"]
    if kind == "Deployment":
        out = default_deployment(obj)
        errs = validate_deployment(out, old)
    else:
        out = default_replicaset(obj)
        errs = validate_replicaset(out, old)
    if errs:
        raise ValidationError(attach_lines(errs, lines or {}), kind, _name_of(obj))
    return out
