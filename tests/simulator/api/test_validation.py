"""API-server validation: cases ported from Kubernetes' apps and core validation_test.go tables,
plus kubectl's wording for what fails before validation (unknown kinds, decoding)."""

import copy

import pytest

from simulator.api.defaults import default_deployment, default_replicaset
from simulator.api.validation import (
    admit,
    decode_errors,
    go_label_selector,
    go_string_map,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    is_valid_percent,
    parse_quantity,
    validate_deployment,
    validate_replicaset,
    validate_type_meta,
)
from simulator.api.yaml_source import load_manifests
from simulator.errors import FieldError, ValidationError


def valid_deployment() -> dict:
    """validDeployment() of apps/validation/validation_test.go, in apps/v1 form."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "abc", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"name": "abc"}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
            "template": {
                "metadata": {"name": "abc", "namespace": "default", "labels": {"name": "abc"}},
                "spec": {
                    "restartPolicy": "Always",
                    "dnsPolicy": "Default",
                    "containers": [{"name": "nginx", "image": "image", "imagePullPolicy": "Never"}],
                },
            },
        },
    }


def with_changes(change) -> dict:
    obj = valid_deployment()
    change(obj)
    return default_deployment(obj)


def _set(path: str, value):
    """A change that sets a dotted path (list indexes as numbers) in the manifest."""
    def change(obj):
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        target = obj
        for key in keys[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return change


_DELETE = object()


def test_valid_deployment_passes():
    assert validate_deployment(default_deployment(valid_deployment())) == []


def test_valid_replicaset_passes():
    rs = valid_deployment()
    rs["kind"] = "ReplicaSet"
    del rs["spec"]["strategy"]
    assert validate_replicaset(default_replicaset(rs)) == []


# (first error's field, its full message) — TestValidateDeployment's error cases, then more.
DEPLOYMENT_ERROR_CASES = [
    ("missing-name", _set("metadata.name", _DELETE),
     "metadata.name", "Required value: name or generateName is required"),
    ("selector-does-not-match", _set("spec.selector", {"matchLabels": {"name": "def"}}),
     "spec.template.metadata.labels",
     'Invalid value: map[string]string{"name":"abc"}: `selector` does not match template `labels`'),
    ("restart-policy-never", _set("spec.template.spec.restartPolicy", "Never"),
     "spec.template.spec.restartPolicy", 'Unsupported value: "Never": supported values: "Always"'),
    ("random-strategy-type", _set("spec.strategy", {"type": "randomType"}),
     "spec.strategy",
     'Unsupported value: apps.DeploymentStrategy{Type:"randomType", '
     'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", '
     '"RollingUpdate"'),
    ("recreate-with-rolling-update", _set("spec.strategy", {"type": "Recreate", "rollingUpdate": {}}),
     "spec.strategy.rollingUpdate",
     "Forbidden: may not be specified when strategy `type` is 'Recreate'"),
    ("max-surge-not-a-percent",
     _set("spec.strategy.rollingUpdate", {"maxSurge": "20Percent"}),
     "spec.strategy.rollingUpdate.maxSurge",
     "Invalid value: 20Percent: a valid percent string must be a numeric string followed by an "
     "ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"),
    ("surge-and-unavailable-zero",
     _set("spec.strategy.rollingUpdate", {"maxSurge": "0%", "maxUnavailable": 0}),
     "spec.strategy.rollingUpdate.maxUnavailable",
     "Invalid value: 0: may not be 0 when `maxSurge` is 0"),
    ("max-unavailable-over-100",
     _set("spec.strategy.rollingUpdate", {"maxUnavailable": "110%"}),
     "spec.strategy.rollingUpdate.maxUnavailable",
     "Invalid value: 110%: must not be greater than 100%"),
    ("progress-deadline-not-above-min-ready",
     lambda o: o["spec"].update(progressDeadlineSeconds=600, minReadySeconds=600),
     "spec.progressDeadlineSeconds", "Invalid value: 600: must be greater than minReadySeconds"),
    ("negative-replicas", _set("spec.replicas", -1),
     "spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
    ("negative-min-ready", lambda o: o["spec"].update(minReadySeconds=-1, progressDeadlineSeconds=5),
     "spec.minReadySeconds", "Invalid value: -1: must be greater than or equal to 0"),
    ("negative-history-limit", _set("spec.revisionHistoryLimit", -2),
     "spec.revisionHistoryLimit", "Invalid value: -2: must be greater than or equal to 0"),
    ("negative-max-surge", _set("spec.strategy.rollingUpdate", {"maxSurge": -1, "maxUnavailable": 1}),
     "spec.strategy.rollingUpdate.maxSurge", "Invalid value: -1: must be greater than or equal to 0"),
    ("bad-name", _set("metadata.name", "Web_App"),
     "metadata.name",
     "Invalid value: \"Web_App\": a lowercase RFC 1123 subdomain must consist of lower case "
     "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
     "(e.g. 'example.com', regex used for validation is "
     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
    ("empty-selector", _set("spec.selector", {}),
     "spec.selector",
     "Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
     "MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for deployment"),
    ("no-containers", _set("spec.template.spec.containers", []),
     "spec.template.spec.containers", "Required value"),
    ("container-without-name", _set("spec.template.spec.containers.0.name", _DELETE),
     "spec.template.spec.containers[0].name", "Required value"),
    ("container-without-image", _set("spec.template.spec.containers.0.image", ""),
     "spec.template.spec.containers[0].image", "Required value"),
    ("container-name-uppercase", _set("spec.template.spec.containers.0.name", "Nginx"),
     "spec.template.spec.containers[0].name",
     "Invalid value: \"Nginx\": a lowercase RFC 1123 label must consist of lower case alphanumeric "
     "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
     "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
    ("bad-pull-policy", _set("spec.template.spec.containers.0.imagePullPolicy", "Sometimes"),
     "spec.template.spec.containers[0].imagePullPolicy",
     'Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'),
    ("container-port-too-big", _set("spec.template.spec.containers.0.ports", [{"containerPort": 70000}]),
     "spec.template.spec.containers[0].ports[0].containerPort",
     "Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ("container-port-missing", _set("spec.template.spec.containers.0.ports", [{"name": "http"}]),
     "spec.template.spec.containers[0].ports[0].containerPort", "Required value"),
    ("port-protocol", _set("spec.template.spec.containers.0.ports",
                           [{"containerPort": 80, "protocol": "HTTP"}]),
     "spec.template.spec.containers[0].ports[0].protocol",
     'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
    ("port-name-too-long", _set("spec.template.spec.containers.0.ports",
                                [{"containerPort": 80, "name": "a-very-long-port-name"}]),
     "spec.template.spec.containers[0].ports[0].name",
     'Invalid value: "a-very-long-port-name": must be no more than 15 characters'),
    ("liveness-success-threshold",
     _set("spec.template.spec.containers.0.livenessProbe",
          {"httpGet": {"port": 80}, "successThreshold": 2}),
     "spec.template.spec.containers[0].livenessProbe.successThreshold", "Invalid value: 2: must be 1"),
    ("startup-success-threshold",
     _set("spec.template.spec.containers.0.startupProbe",
          {"tcpSocket": {"port": 80}, "successThreshold": 3}),
     "spec.template.spec.containers[0].startupProbe.successThreshold", "Invalid value: 3: must be 1"),
    ("probe-without-handler",
     _set("spec.template.spec.containers.0.readinessProbe", {"periodSeconds": 5}),
     "spec.template.spec.containers[0].readinessProbe", "Required value: must specify a handler type"),
    ("probe-two-handlers",
     _set("spec.template.spec.containers.0.readinessProbe",
          {"exec": {"command": ["true"]}, "httpGet": {"port": 80}}),
     "spec.template.spec.containers[0].readinessProbe.httpGet",
     "Forbidden: may not specify more than 1 handler type"),
    ("probe-negative-period",
     _set("spec.template.spec.containers.0.readinessProbe", {"tcpSocket": {"port": 80},
                                                              "periodSeconds": -5}),
     "spec.template.spec.containers[0].readinessProbe.periodSeconds",
     "Invalid value: -5: must be greater than or equal to 0"),
    ("probe-port-zero",
     _set("spec.template.spec.containers.0.readinessProbe", {"httpGet": {"port": 0}}),
     "spec.template.spec.containers[0].readinessProbe.httpGet.port",
     "Invalid value: 0: must be between 1 and 65535, inclusive"),
    ("probe-named-port-invalid",
     _set("spec.template.spec.containers.0.readinessProbe", {"httpGet": {"port": "HTTP"}}),
     "spec.template.spec.containers[0].readinessProbe.httpGet.port",
     'Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'),
    ("probe-scheme", _set("spec.template.spec.containers.0.readinessProbe",
                          {"httpGet": {"port": 80, "scheme": "FTP"}}),
     "spec.template.spec.containers[0].readinessProbe.httpGet.scheme",
     'Unsupported value: "FTP": supported values: "HTTP", "HTTPS"'),
    ("exec-without-command", _set("spec.template.spec.containers.0.livenessProbe", {"exec": {}}),
     "spec.template.spec.containers[0].livenessProbe.exec.command", "Required value"),
    ("readiness-grace-period", _set("spec.template.spec.containers.0.readinessProbe",
                                    {"tcpSocket": {"port": 80}, "terminationGracePeriodSeconds": 5}),
     "spec.template.spec.containers[0].readinessProbe.terminationGracePeriodSeconds",
     "Invalid value: 5: must not be set for readinessProbes"),
    ("request-above-limit", _set("spec.template.spec.containers.0.resources",
                                 {"limits": {"cpu": "500m"}, "requests": {"cpu": "1"}}),
     "spec.template.spec.containers[0].resources.requests",
     'Invalid value: "1": must be less than or equal to cpu limit of 500m'),
    ("negative-quantity", _set("spec.template.spec.containers.0.resources",
                               {"requests": {"memory": "-64Mi"}}),
     "spec.template.spec.containers[0].resources.requests[memory]",
     'Invalid value: "-64Mi": must be greater than or equal to 0'),
    ("unknown-resource", _set("spec.template.spec.containers.0.resources", {"limits": {"gpu": 1}}),
     "spec.template.spec.containers[0].resources.limits[gpu]",
     'Invalid value: "gpu": must be a standard resource for containers'),
    ("env-name", _set("spec.template.spec.containers.0.env", [{"name": "A=B", "value": "1"}]),
     "spec.template.spec.containers[0].env[0].name",
     "Invalid value: \"A=B\": a valid environment variable name must consist only of printable "
     "ASCII characters other than '='"),
    ("env-without-name", _set("spec.template.spec.containers.0.env", [{"value": "1"}]),
     "spec.template.spec.containers[0].env[0].name", "Required value"),
    ("dns-policy", _set("spec.template.spec.dnsPolicy", "Google"),
     "spec.template.spec.dnsPolicy",
     'Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", '
     '"Default", "None"'),
    ("active-deadline", _set("spec.template.spec.activeDeadlineSeconds", 30),
     "spec.template.spec.activeDeadlineSeconds",
     "Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"),
    ("template-label-value",
     lambda o: (o["spec"]["template"]["metadata"]["labels"].update(tier="-bad"),
                o["spec"]["selector"]["matchLabels"].update(tier="-bad")),
     "spec.selector.matchLabels",
     "Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric "
     "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
     "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
     "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
]


@pytest.mark.parametrize("change, field, message",
                         [c[1:] for c in DEPLOYMENT_ERROR_CASES],
                         ids=[c[0] for c in DEPLOYMENT_ERROR_CASES])
def test_deployment_error_cases(change, field, message):
    errors = validate_deployment(with_changes(change))
    assert errors, "expected a failure"
    assert (errors[0].field, errors[0].message) == (field, message)


def test_missing_selector_reports_required_and_mismatch_as_kubectl_shows():
    errors = validate_deployment(with_changes(_set("spec.selector", _DELETE)))
    assert [str(e) for e in errors] == [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"name":"abc"}: '
        "`selector` does not match template `labels`",
    ]


def test_template_without_labels_prints_a_nil_map():
    errors = validate_deployment(with_changes(_set("spec.template.metadata.labels", _DELETE)))
    assert str(errors[0]) == ("spec.template.metadata.labels: Invalid value: "
                              "map[string]string(nil): `selector` does not match template `labels`")


def test_invalid_selector_skips_template_validation():
    # LabelSelectorAsSelector fails, so the template (even with no containers) is not checked.
    def change(obj):
        obj["spec"]["selector"] = {"matchExpressions": [{"key": "name", "operator": "Near"}]}
        obj["spec"]["template"]["spec"]["containers"] = []
    errors = validate_deployment(with_changes(change))
    assert [e.field for e in errors] == ["spec.selector.matchExpressions[0].operator",
                                         "spec.selector"]
    assert errors[1].message.endswith(": invalid label selector")


def test_matching_match_expressions_pass():
    def change(obj):
        obj["spec"]["selector"] = {"matchExpressions": [
            {"key": "name", "operator": "In", "values": ["abc", "def"]}]}
    assert validate_deployment(with_changes(change)) == []


def test_duplicate_container_names():
    def change(obj):
        containers = obj["spec"]["template"]["spec"]["containers"]
        containers.append(dict(containers[0]))
    errors = validate_deployment(with_changes(change))
    assert [str(e) for e in errors] == [
        'spec.template.spec.containers[1].name: Duplicate value: "nginx"']


def test_recreate_without_rolling_update_passes():
    assert validate_deployment(with_changes(_set("spec.strategy", {"type": "Recreate"}))) == []


def test_percentages_pass():
    change = _set("spec.strategy.rollingUpdate", {"maxSurge": "0%", "maxUnavailable": "100%"})
    assert validate_deployment(with_changes(change)) == []


def test_selector_is_immutable_on_update():
    old = default_deployment(valid_deployment())
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"name": "abc", "tier": "web"}}
    new["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    assert [str(e) for e in validate_deployment(new, old)] == [
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{name: abc,"
        "tier: web,},MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable"]
    # The same selector, or a template change alone, is a valid update.
    changed = copy.deepcopy(old)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.16.1"
    assert validate_deployment(changed, old) == []


def test_replicaset_rules():
    rs = default_replicaset({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "abc"},
        "spec": {"replicas": -1, "selector": {"matchLabels": {"a": "b"}},
                 "template": {"metadata": {"labels": {"a": "c"}},
                              "spec": {"containers": [{"name": "c", "image": "i"}]}}},
    })
    assert [e.field for e in validate_replicaset(rs)] == ["spec.replicas",
                                                          "spec.template.metadata.labels"]


@pytest.mark.parametrize(
    "value, ok",
    [("abc", True), ("a-b.c", True), ("a" * 253, True), ("a" * 254, False), ("-a", False),
     ("A", False), ("a_b", False)],
    ids=["simple", "dots-dashes", "max-len", "too-long", "leading-dash", "upper", "underscore"],
)
def test_dns1123_subdomain(value, ok):
    assert (is_dns1123_subdomain(value) == []) is ok


@pytest.mark.parametrize(
    "value, ok",
    [("abc", True), ("a" * 63, True), ("a" * 64, False), ("a.b", False)],
    ids=["simple", "max-len", "too-long", "dot"],
)
def test_dns1123_label(value, ok):
    assert (is_dns1123_label(value) == []) is ok


@pytest.mark.parametrize(
    "value, messages",
    [
        ("app", []),
        ("app.kubernetes.io/name", []),
        ("/name", ["prefix part must be non-empty"]),
        ("a/b/c", ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                   "'my.name',  or '123-abc', regex used for validation is "
                   "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                   "prefix and '/' (e.g. 'example.com/MyName')"]),
    ],
    ids=["plain", "prefixed", "empty-prefix", "two-slashes"],
)
def test_qualified_name(value, messages):
    assert is_qualified_name(value) == messages


def test_label_value_and_percent():
    assert is_valid_label_value("") == []
    assert is_valid_label_value("a" * 64)[0] == "must be no more than 63 characters"
    assert is_valid_percent("25%") == []
    assert is_valid_percent("25") != []


@pytest.mark.parametrize(
    "text, value",
    [("500m", "0.5"), ("1", "1"), ("128Mi", str(128 * 2**20)), ("1e3", "1000"), ("1.5Gi",
                                                                                str(1.5 * 2**30)),
     ("abc", None), ("1Qi", None)],
    ids=["milli", "plain", "mebi", "exponent", "fractional-gibi", "letters", "bad-suffix"],
)
def test_parse_quantity(text, value):
    parsed = parse_quantity(text)
    assert (None if parsed is None else float(parsed)) == (None if value is None else float(value))


def test_go_formatting():
    assert go_string_map({"b": "2", "a": "1"}) == 'map[string]string{"a":"1", "b":"2"}'
    assert go_string_map(None) == "map[string]string(nil)"
    assert go_label_selector({"matchExpressions": [
        {"key": "a", "operator": "In", "values": ["x", "y"]}]}) == (
        "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement"
        "{LabelSelectorRequirement{Key:a,Operator:In,Values:[x y],},},}")


# ----------------------------------------------------------------------- before validation


@pytest.mark.parametrize(
    "obj, message",
    [
        ({"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "web"}},
         'error: resource mapping not found for name: "web" namespace: "" from "STDIN": no matches '
         'for kind "Deployment" in version "extensions/v1beta1"\nensure CRDs are installed first'),
        ({"apiVersion": "apps/v1", "kind": "Deploymnet"},
         'error: resource mapping not found for name: "" namespace: "" from "STDIN": no matches for '
         'kind "Deploymnet" in version "apps/v1"\nensure CRDs are installed first'),
        ({"kind": "Deployment"},
         'error: error validating "STDIN": error validating data: apiVersion not set; if you '
         "choose to ignore these errors, turn validation off with --validate=false"),
        ({},
         'error: error validating "STDIN": error validating data: [apiVersion not set, kind not '
         "set]; if you choose to ignore these errors, turn validation off with --validate=false"),
    ],
    ids=["removed-group", "typo-kind", "no-api-version", "nothing"],
)
def test_unknown_kinds_as_kubectl_reports_them(obj, message):
    assert str(validate_type_meta(obj)) == message


@pytest.mark.parametrize("api_version, kind",
                         [("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"),
                          ("rolloutviz.dev/v1", "ImageBehavior")],
                         ids=["deployment", "replicaset", "image-behavior"])
def test_known_kinds(api_version, kind):
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
    assert validate_type_meta(obj) is None


@pytest.mark.parametrize(
    "metadata, field, message",
    [
        ("x", "metadata", 'error: unable to decode "STDIN": .metadata accessor error: x is of '
                          "the type string, expected map[string]interface{}"),
        ({"name": "web", "annotations": [1]}, "metadata.annotations",
         'error: unable to decode "STDIN": .metadata.annotations accessor error: [1] is of the '
         "type []interface {}, expected map[string]interface{}"),
        ({"name": "web", "labels": 5}, "metadata.labels",
         'error: unable to decode "STDIN": .metadata.labels accessor error: 5 is of the type '
         "int64, expected map[string]interface{}"),
        ({"name": 5}, "metadata.name",
         'error: unable to decode "STDIN": .metadata.name accessor error: 5 is of the type '
         "int64, expected string"),
        (None, "metadata.name",
         'error: error when retrieving current configuration of:\nResource: "apps/v1, '
         'Resource=deployments", GroupVersionKind: "apps/v1, Kind=Deployment"\nName: "", '
         'Namespace: "default"\nfrom server for: "STDIN": resource name may not be empty'),
    ],
    ids=["metadata-string", "annotations-list", "labels-number", "name-number", "no-name"],
)
def test_metadata_kubectl_cannot_read(metadata, field, message):
    error = validate_type_meta({"apiVersion": "apps/v1", "kind": "Deployment",
                                "metadata": metadata})
    assert [e.field for e in error.errors] == [field]
    assert str(error) == message


def test_non_string_kind_is_not_set():
    assert "kind not set" in str(validate_type_meta({"apiVersion": "apps/v1", "kind": [1]}))


@pytest.mark.parametrize(
    "change, field, message",
    [
        (_set("spec.replicas", "three"), "spec.replicas",
         "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
        (_set("spec.replicas", 1.5), "spec.replicas",
         "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of "
         "type int32"),
        (_set("spec.template.metadata.labels", {"name": "abc", "enabled": True}),
         "spec.template.metadata.labels.enabled",
         "json: cannot unmarshal bool into Go struct field ObjectMeta.spec.template.metadata.labels "
         "of type string"),
        (_set("spec.template.spec.containers.0.ports", [{"containerPort": "80"}]),
         "spec.template.spec.containers[0].ports[0].containerPort",
         "json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec."
         "containers.ports.containerPort of type int32"),
        (_set("spec.template.spec.containers", {"name": "web"}), "spec.template.spec.containers",
         "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers "
         "of type []v1.Container"),
        (_set("spec.strategy.rollingUpdate.maxSurge", True), "spec.strategy.rollingUpdate.maxSurge",
         "json: cannot unmarshal bool into Go value of type int32"),
        (_set("spec.template.spec.containers.0.resources", {"limits": {"cpu": "lots"}}),
         "spec.template.spec.containers[0].resources.limits.cpu",
         "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
        (_set("spec.replica", 3), "spec.replica", 'unknown field "spec.replica"'),
        (_set("spec.template.spec.containers.0.imagee", "x"),
         "spec.template.spec.containers[0].imagee",
         'unknown field "spec.template.spec.containers[0].imagee"'),
    ],
    ids=["string-replicas", "fraction-replicas", "bool-label", "string-port", "object-for-list",
         "bool-intstr", "bad-quantity", "unknown-field", "unknown-container-field"],
)
def test_decode_errors(change, field, message):
    obj = valid_deployment()
    change(obj)
    assert [(e.field, e.message) for e in decode_errors(obj)] == [(field, message)]


def test_real_manifest_fields_decode_cleanly():
    obj = valid_deployment()
    spec = obj["spec"]["template"]["spec"]
    spec.update(volumes=[{"name": "v", "emptyDir": {}}], nodeSelector={"disk": "ssd"},
                tolerations=[{"key": "k", "operator": "Exists"}], affinity={})
    spec["containers"][0].update(
        env=[{"name": "A", "value": "1"}], volumeMounts=[{"name": "v", "mountPath": "/v"}],
        resources={"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": 128}},
        command=["nginx"], args=["-g", "daemon off;"],
    )
    obj["metadata"]["creationTimestamp"] = None
    obj["status"] = {}
    assert decode_errors(obj) == []


# ----------------------------------------------------------------------- the whole apply


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  strategy:
    rollingUpdate:
      maxSurge: 0
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.14.2
"""


def test_admit_returns_the_defaulted_object():
    ok = MANIFEST.replace("maxSurge: 0", "maxSurge: 1")
    out = admit(load_manifests(ok)[0])
    assert out["spec"]["revisionHistoryLimit"] == 10
    assert out["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


def test_admit_raises_every_problem_with_lines():
    text = MANIFEST.replace("replicas: 3", "replicas: -3").replace("app: web\n    spec",
                                                                    "app: other\n    spec")
    with pytest.raises(ValidationError) as info:
        admit(load_manifests(text)[0])
    assert [(e.field, e.line) for e in info.value.errors] == [
        ("spec.replicas", 6),
        ("spec.template.metadata.labels", 16),
        ("spec.strategy.rollingUpdate.maxUnavailable", 13),
    ]
    assert str(info.value) == (
        'The Deployment "web" is invalid: [spec.replicas: Invalid value: -3: must be greater than '
        'or equal to 0, spec.template.metadata.labels: Invalid value: map[string]string{"app":'
        '"other"}: `selector` does not match template `labels`, spec.strategy.rollingUpdate.'
        "maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0]")


def test_admit_single_error_has_no_brackets():
    with pytest.raises(ValidationError) as info:
        admit(load_manifests(MANIFEST)[0])
    assert str(info.value) == ('The Deployment "web" is invalid: spec.strategy.rollingUpdate.'
                               "maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0")
    assert info.value.errors[0].as_dict() == {
        "field": "spec.strategy.rollingUpdate.maxUnavailable",
        "message": "Invalid value: 0: may not be 0 when `maxSurge` is 0", "line": 13}


def test_admit_decoding_failure_is_a_bad_request():
    with pytest.raises(ValidationError) as info:
        admit(load_manifests(MANIFEST.replace("replicas: 3", "replicas: three"))[0])
    assert str(info.value) == (
        'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" '
        "cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field "
        "DeploymentSpec.spec.replicas of type int32")
    assert info.value.errors[0].line == 6


def test_admit_lists_every_unknown_field():
    text = MANIFEST.replace("replicas: 3", "replica: 3\n  paused2: true")
    with pytest.raises(ValidationError) as info:
        admit(load_manifests(text)[0])
    assert str(info.value).endswith(
        'strict decoding error: unknown field "spec.replica", unknown field "spec.paused2"')


def test_admit_unknown_kind_has_its_line():
    with pytest.raises(ValidationError) as info:
        admit(load_manifests(MANIFEST.replace("kind: Deployment", "kind: Deploymnet"))[0])
    assert info.value.errors == [FieldError(
        "kind", 'no matches for kind "Deploymnet" in version "apps/v1"', 2)]


def test_admit_checks_selector_immutability_against_old():
    old = admit(load_manifests(MANIFEST.replace("maxSurge: 0", "maxSurge: 1"))[0])
    changed = MANIFEST.replace("maxSurge: 0", "maxSurge: 1").replace("app: web", "app: api")
    with pytest.raises(ValidationError) as info:
        admit(load_manifests(changed)[0], old)
    assert [e.field for e in info.value.errors] == ["spec.selector"]
    assert info.value.errors[0].line == 7


def test_identical_messages_are_reported_once():
    error = ValidationError([FieldError("a", "m"), FieldError("a", "m")], "Deployment", "x")
    assert str(error) == 'The Deployment "x" is invalid: a: m'


# ----------------------------------------------------------------------- hostile input

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                 max_size=3),
    max_leaves=8,
)
_PATHS = [
    "spec", "spec.replicas", "spec.selector", "spec.selector.matchLabels", "spec.strategy",
    "spec.strategy.type", "spec.strategy.rollingUpdate", "spec.strategy.rollingUpdate.maxSurge",
    "spec.template", "spec.template.metadata", "spec.template.metadata.labels",
    "spec.template.spec", "spec.template.spec.containers", "spec.template.spec.containers.0",
    "spec.template.spec.containers.0.ports", "spec.template.spec.containers.0.readinessProbe",
    "spec.template.spec.containers.0.resources", "metadata", "metadata.name", "metadata.labels",
    "spec.minReadySeconds", "spec.progressDeadlineSeconds",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(_PATHS), _json), min_size=1, max_size=3))
def test_any_mutation_is_admitted_or_refused_never_crashes(mutations):
    obj = valid_deployment()
    for path, value in mutations:
        try:
            _set(path, value)(obj)
        except (KeyError, TypeError, IndexError):
            pass  # the path no longer exists after an earlier mutation
    try:
        out = admit(load_manifests(obj)[0])
    except ValidationError as error:
        assert error.errors and str(error)
    else:
        assert validate_deployment(out) == []


@pytest.mark.parametrize(
    "change, field",
    [
        (_set("spec.replicas", -1.0), "spec.replicas"),
        (_set("spec.template.spec.containers", [None]), "spec.template.spec.containers[0].name"),
        (_set("spec.template.spec.containers.0.ports", [None]),
         "spec.template.spec.containers[0].ports[0].containerPort"),
    ],
    ids=["whole-float-is-an-int", "null-container-is-empty", "null-port-is-empty"],
)
def test_values_are_checked_as_go_decodes_them(change, field):
    obj = valid_deployment()
    change(obj)
    with pytest.raises(ValidationError) as info:
        admit(load_manifests(obj)[0])
    assert info.value.errors[0].field == field
