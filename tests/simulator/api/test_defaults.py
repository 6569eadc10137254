"""API-server defaulting (pkg/apis/apps/v1/defaults.go, pkg/apis/core/v1/defaults.go)."""

import copy

import pytest

from simulator.api.defaults import (
    default_deployment,
    default_pod_template,
    default_replicaset,
    image_pull_policy,
)


def deployment(**spec):
    base = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.14.2"}]},
            },
        },
    }
    base["spec"].update(spec)
    return base


def test_minimal_deployment_gets_every_default_as_kubectl_get_shows_it():
    out = default_deployment(deployment())
    assert out["metadata"] == {"name": "web", "namespace": "default"}
    spec = out["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    # Zero values are omitted by the API's JSON, as `kubectl get -o yaml` shows.
    assert "minReadySeconds" not in spec and "paused" not in spec
    assert spec["template"]["spec"] == {
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.14.2",
                "imagePullPolicy": "IfNotPresent",
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }
        ],
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
    }


def test_input_is_not_modified():
    obj = deployment()
    before = copy.deepcopy(obj)
    default_deployment(obj)
    assert obj == before


@pytest.mark.parametrize(
    "strategy, expected",
    [
        ({"type": "Recreate"}, {"type": "Recreate"}),
        ({"rollingUpdate": {"maxSurge": 1}},
         {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}),
        ({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
         {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}),
        ({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}},
         {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}),  # validation forbids it
        ({"type": "Canary"}, {"type": "Canary"}),
    ],
    ids=["recreate-untouched", "surge-only", "unavailable-zero-kept", "recreate-with-rolling",
         "unknown-type"],
)
def test_rolling_update_parameters_only_for_rolling_update(strategy, expected):
    assert default_deployment(deployment(strategy=strategy))["spec"]["strategy"] == expected


@pytest.mark.parametrize(
    "field, given, expected",
    [
        ("replicas", 0, 0),
        ("replicas", None, 1),
        ("revisionHistoryLimit", 0, 0),
        ("progressDeadlineSeconds", 30, 30),
        ("progressDeadlineSeconds", None, 600),
    ],
    ids=["replicas-zero-kept", "replicas-null", "history-zero-kept", "deadline-kept",
         "deadline-null"],
)
def test_pointer_fields_default_only_when_unset(field, given, expected):
    assert default_deployment(deployment(**{field: given}))["spec"][field] == expected


@pytest.mark.parametrize(
    "image, policy",
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.14.2", "IfNotPresent"),
        ("localhost:5000/nginx", "Always"),
        ("localhost:5000/nginx:1.0", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
        ("nginx:latest@sha256:" + "a" * 64, "Always"),
        ("", "IfNotPresent"),
    ],
    ids=["untagged", "latest", "tagged", "registry-port-untagged", "registry-port-tagged",
         "digest", "latest-and-digest", "empty"],
)
def test_image_pull_policy(image, policy):
    assert image_pull_policy(image) == policy


def test_explicit_pull_policy_is_kept():
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "Never"
    out = default_deployment(obj)
    assert out["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_probes_ports_env_and_lifecycle_defaults():
    container = {
        "name": "web",
        "image": "guangzhengli/hellok8s:liveness",
        "ports": [{"containerPort": 3000}, {"containerPort": 53, "protocol": "UDP"}],
        "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 3000},
                          "initialDelaySeconds": 3, "periodSeconds": 3},
        "readinessProbe": {"tcpSocket": {"port": 3000}, "periodSeconds": 0},
        "startupProbe": {"httpGet": {"port": "http"}, "failureThreshold": 30},
        "lifecycle": {"preStop": {"httpGet": {"port": 3000, "path": "/stop"}}},
    }
    out = default_pod_template({"spec": {"containers": [container]}})["spec"]["containers"][0]
    assert out["ports"] == [{"containerPort": 3000, "protocol": "TCP"},
                            {"containerPort": 53, "protocol": "UDP"}]
    assert out["env"][0]["valueFrom"]["fieldRef"] == {"fieldPath": "metadata.name", "apiVersion": "v1"}
    assert out["livenessProbe"] == {
        "httpGet": {"path": "/healthz", "port": 3000, "scheme": "HTTP"},
        "initialDelaySeconds": 3, "periodSeconds": 3,
        "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3,
    }
    # periodSeconds is a plain int32: an explicit 0 is defaulted like an absent one.
    assert out["readinessProbe"] == {"tcpSocket": {"port": 3000}, "periodSeconds": 10,
                                     "timeoutSeconds": 1, "successThreshold": 1,
                                     "failureThreshold": 3}
    assert out["startupProbe"]["httpGet"] == {"port": "http", "path": "/", "scheme": "HTTP"}
    assert out["startupProbe"]["failureThreshold"] == 30
    assert out["lifecycle"]["preStop"]["httpGet"]["scheme"] == "HTTP"


def test_replicaset_defaults():
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r", "namespace": "x"},
          "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    out = default_replicaset(rs)
    assert out["metadata"]["namespace"] == "x"
    assert out["spec"]["replicas"] == 1
    assert "strategy" not in out["spec"] and "revisionHistoryLimit" not in out["spec"]
    assert out["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    assert out["spec"]["template"]["spec"]["restartPolicy"] == "Always"


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"spec": "three"},
        {"metadata": [], "spec": {"strategy": "fast", "template": 5}},
        {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": [1]},
                  "template": {"spec": {"containers": "web"}}}},
        {"spec": {"template": {"spec": {"containers": [7, {"image": 3, "ports": [1],
                                                           "livenessProbe": "x"}]}}}},
    ],
    ids=["empty", "spec-string", "wrong-types", "rolling-list", "containers-junk"],
)
def test_wrong_shapes_never_crash_defaulting(obj):
    default_deployment(obj)
    default_replicaset(obj)
