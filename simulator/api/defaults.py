"""API-server defaulting of apps/v1 Deployments and ReplicaSets and their pod templates.

The rules are those of ``pkg/apis/apps/v1/defaults.go`` and ``pkg/apis/core/v1/defaults.go``;
the result reads like ``kubectl get -o yaml``.  Zero values the API omits from JSON
(``minReadySeconds: 0``, ``paused: false``, ``initialDelaySeconds: 0``) stay absent, as there.
Defaulting runs before validation, so it fills in only what has the right shape and never
fails on a wrong type: validation reports those.
"""

from __future__ import annotations

import copy

DEFAULT_NAMESPACE = "default"
DEFAULT_MAX_SURGE = "25%"
DEFAULT_MAX_UNAVAILABLE = "25%"
DEFAULT_REVISION_HISTORY_LIMIT = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30

_PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def default_deployment(obj: dict) -> dict:
    """A deep copy of an apps/v1 Deployment with the API server's defaults applied."""
    out = copy.deepcopy(obj)
    _default_metadata(out)
    spec = _mapping(out, "spec")
    if spec is None:
        return out
    _fill(spec, "replicas", 1)
    strategy = _mapping(spec, "strategy")
    if strategy is not None:
        _fill(strategy, "type", "RollingUpdate")
        # Only RollingUpdate gets the 25%/25% parameters; Recreate stays as written.
        if strategy["type"] == "RollingUpdate":
            rolling = _mapping(strategy, "rollingUpdate")
            if rolling is not None:
                _fill(rolling, "maxUnavailable", DEFAULT_MAX_UNAVAILABLE)
                _fill(rolling, "maxSurge", DEFAULT_MAX_SURGE)
    _fill(spec, "revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
    _fill(spec, "progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS)
    _default_template(spec)
    return out


def default_replicaset(obj: dict) -> dict:
    """A deep copy of an apps/v1 ReplicaSet with the API server's defaults applied."""
    out = copy.deepcopy(obj)
    _default_metadata(out)
    spec = _mapping(out, "spec")
    if spec is None:
        return out
    _fill(spec, "replicas", 1)
    _default_template(spec)
    return out


def default_pod_template(template: dict) -> dict:
    """A deep copy of a pod template (``metadata`` + ``spec``) with core/v1 defaults applied."""
    holder = {"template": copy.deepcopy(template)}
    _default_template(holder)
    return holder["template"]


def image_pull_policy(image: str) -> str:
    """``Always`` for a ``:latest`` or untagged image (unless pinned by digest), else ``IfNotPresent``."""
    if not image:
        return "IfNotPresent"  # no reference to parse; validation reports the missing image
    name = image.split("@", 1)[0]
    if "@" in image:
        tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else ""
    else:
        last = name.rsplit("/", 1)[-1]
        tag = last.rsplit(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _mapping(parent: dict, key: str) -> dict | None:
    """``parent[key]``, created empty when absent; None when it is there but not a mapping."""
    if parent.get(key) is None:
        parent[key] = {}
    value = parent[key]
    return value if isinstance(value, dict) else None


def _fill(mapping: dict, key: str, value) -> None:
    """Set ``key`` when absent, null or an empty string (Go's nil pointer or zero string)."""
    if mapping.get(key) in (None, ""):
        mapping[key] = value


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _default_metadata(obj: dict) -> None:
    meta = _mapping(obj, "metadata")
    if meta is not None:
        _fill(meta, "namespace", DEFAULT_NAMESPACE)


def _default_template(spec: dict) -> None:
    template = _mapping(spec, "template")
    if template is None:
        return
    pod_spec = _mapping(template, "spec")
    if pod_spec is None:
        return
    _fill(pod_spec, "restartPolicy", "Always")
    _fill(pod_spec, "terminationGracePeriodSeconds", DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS)
    _fill(pod_spec, "dnsPolicy", "ClusterFirst")
    _fill(pod_spec, "securityContext", {})
    _fill(pod_spec, "schedulerName", "default-scheduler")
    for key in ("initContainers", "containers"):
        for container in _dicts(pod_spec.get(key)):
            _default_container(container)


def _default_container(container: dict) -> None:
    image = container.get("image")
    if image is None or isinstance(image, str):
        _fill(container, "imagePullPolicy", image_pull_policy(image or ""))
    _fill(container, "terminationMessagePath", "/dev/termination-log")
    _fill(container, "terminationMessagePolicy", "File")
    if container.get("resources") is None:
        container["resources"] = {}
    for port in _dicts(container.get("ports")):
        _fill(port, "protocol", "TCP")
    for env in _dicts(container.get("env")):
        value_from = env.get("valueFrom")
        if isinstance(value_from, dict) and isinstance(value_from.get("fieldRef"), dict):
            _fill(value_from["fieldRef"], "apiVersion", "v1")
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = container.get(key)
        if isinstance(probe, dict):
            for name, value in _PROBE_DEFAULTS.items():
                # These are plain int32s in Go, so an explicit 0 is "unset" and defaulted too.
                if probe.get(name) in (None, 0) and not isinstance(probe.get(name), bool):
                    probe[name] = value
            _default_http_get(probe)
    lifecycle = container.get("lifecycle")
    if isinstance(lifecycle, dict):
        for handler in (lifecycle.get("postStart"), lifecycle.get("preStop")):
            if isinstance(handler, dict):
                _default_http_get(handler)


def _default_http_get(handler: dict) -> None:
    http_get = handler.get("httpGet")
    if isinstance(http_get, dict):
        _fill(http_get, "path", "/")
        _fill(http_get, "scheme", "HTTP")
