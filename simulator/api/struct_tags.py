"""The served kinds' Go types as the patch engine and request decoding need them.

``TYPES`` gathers the ``patchStrategy``/``patchMergeKey`` struct tags of k8s.io/api (core/v1,
apps/v1, autoscaling/v1, discovery/v1) and metav1, v1.32: which lists a strategic merge
patch merges, and by which key. It also tells string maps and string lists apart, which is
what ``drop_nulls`` needs to treat ``null``s as Go's decoding does.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListOf:
    """A list field: ``item`` names the struct type of its items (None: strings);
    ``strategy`` "merge" merges it (by ``merge_key`` for structs, as a set for strings);
    otherwise a patch replaces it whole."""

    item: str | None = None
    strategy: str = ""
    merge_key: str = ""


STRING_MAP = "map[string]string"     # labels, annotations, selectors: null decodes to ""
QUANTITY_MAP = "map[string]Quantity"  # resource lists: null decodes to the zero quantity
_MAP_ZERO = {STRING_MAP: "", QUANTITY_MAP: "0"}
STRINGS = ListOf()
MERGE = "merge"

# Go type name -> {JSON field: a struct type name, a map kind or ListOf}, for the types the
# served kinds contain (k8s.io/api core/v1, apps/v1, autoscaling/v1, discovery/v1 and
# metav1, v1.32). Fields left out have no patch strategy: maps merge, lists are replaced.
TYPES: dict[str, dict] = {
    "ObjectMeta": {"labels": STRING_MAP, "annotations": STRING_MAP,
                   "finalizers": ListOf(None, MERGE),
                   "ownerReferences": ListOf("OwnerReference", MERGE, "uid"),
                   "managedFields": ListOf("ManagedFieldsEntry")},
    "LabelSelector": {"matchLabels": STRING_MAP,
                      "matchExpressions": ListOf("LabelSelectorRequirement")},
    "LabelSelectorRequirement": {"values": STRINGS},
    "Deployment": {"metadata": "ObjectMeta", "spec": "DeploymentSpec",
                   "status": "DeploymentStatus"},
    "DeploymentSpec": {"selector": "LabelSelector", "template": "PodTemplateSpec"},
    "DeploymentStatus": {"conditions": ListOf("DeploymentCondition", MERGE, "type")},
    "ReplicaSet": {"metadata": "ObjectMeta", "spec": "ReplicaSetSpec",
                   "status": "ReplicaSetStatus"},
    "ReplicaSetSpec": {"selector": "LabelSelector", "template": "PodTemplateSpec"},
    "ReplicaSetStatus": {"conditions": ListOf("ReplicaSetCondition", MERGE, "type")},
    "Scale": {"metadata": "ObjectMeta"},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "Pod": {"metadata": "ObjectMeta", "spec": "PodSpec", "status": "PodStatus"},
    "PodSpec": {
        "volumes": ListOf("Volume", MERGE, "name"),
        "initContainers": ListOf("Container", MERGE, "name"),
        "containers": ListOf("Container", MERGE, "name"),
        "ephemeralContainers": ListOf("Container", MERGE, "name"),
        "imagePullSecrets": ListOf("LocalObjectReference", MERGE, "name"),
        "hostAliases": ListOf("HostAlias", MERGE, "ip"),
        "topologySpreadConstraints": ListOf("TopologySpreadConstraint", MERGE, "topologyKey"),
        "schedulingGates": ListOf("PodSchedulingGate", MERGE, "name"),
        "resourceClaims": ListOf("PodResourceClaim", MERGE, "name"),
        "nodeSelector": STRING_MAP, "overhead": QUANTITY_MAP,
        "tolerations": ListOf("Toleration"), "readinessGates": ListOf("PodReadinessGate"),
        "dnsConfig": "PodDNSConfig"},
    "HostAlias": {"hostnames": STRINGS},
    "TopologySpreadConstraint": {"labelSelector": "LabelSelector", "matchLabelKeys": STRINGS},
    "PodDNSConfig": {"nameservers": STRINGS, "searches": STRINGS,
                     "options": ListOf("PodDNSConfigOption")},
    "Container": {
        "command": STRINGS, "args": STRINGS,
        "ports": ListOf("ContainerPort", MERGE, "containerPort"),
        "envFrom": ListOf("EnvFromSource"),
        "env": ListOf("EnvVar", MERGE, "name"),
        "resources": "ResourceRequirements",
        "resizePolicy": ListOf("ContainerResizePolicy"),
        "volumeMounts": ListOf("VolumeMount", MERGE, "mountPath"),
        "volumeDevices": ListOf("VolumeDevice", MERGE, "devicePath"),
        "livenessProbe": "Probe", "readinessProbe": "Probe", "startupProbe": "Probe",
        "lifecycle": "Lifecycle", "securityContext": "SecurityContext"},
    "ResourceRequirements": {"limits": QUANTITY_MAP, "requests": QUANTITY_MAP,
                             "claims": ListOf("ResourceClaim")},
    "Probe": {"exec": "ExecAction", "httpGet": "HTTPGetAction"},
    "Lifecycle": {"postStart": "LifecycleHandler", "preStop": "LifecycleHandler"},
    "LifecycleHandler": {"exec": "ExecAction", "httpGet": "HTTPGetAction"},
    "ExecAction": {"command": STRINGS},
    "HTTPGetAction": {"httpHeaders": ListOf("HTTPHeader")},
    "SecurityContext": {"capabilities": "Capabilities"},
    "Capabilities": {"add": STRINGS, "drop": STRINGS},
    "PodStatus": {
        "conditions": ListOf("PodCondition", MERGE, "type"),
        "podIPs": ListOf("PodIP", MERGE, "ip"), "hostIPs": ListOf("HostIP", MERGE, "ip"),
        "containerStatuses": ListOf("ContainerStatus"),
        "initContainerStatuses": ListOf("ContainerStatus"),
        "ephemeralContainerStatuses": ListOf("ContainerStatus"),
        "resourceClaimStatuses": ListOf("PodResourceClaimStatus", MERGE, "name")},
    "ContainerStatus": {"volumeMounts": ListOf("VolumeMountStatus", MERGE, "mountPath"),
                        "allocatedResources": QUANTITY_MAP,
                        "allocatedResourcesStatus": ListOf("ResourceStatus", MERGE, "name")},
    "Node": {"metadata": "ObjectMeta", "spec": "NodeSpec", "status": "NodeStatus"},
    "NodeSpec": {"podCIDRs": ListOf(None, MERGE), "taints": ListOf("Taint")},
    "NodeStatus": {"capacity": QUANTITY_MAP, "allocatable": QUANTITY_MAP,
                   "conditions": ListOf("NodeCondition", MERGE, "type"),
                   "addresses": ListOf("NodeAddress", MERGE, "type"),
                   "images": ListOf("ContainerImage"), "volumesInUse": STRINGS},
    "ContainerImage": {"names": STRINGS},
    "Service": {"metadata": "ObjectMeta", "spec": "ServiceSpec", "status": "ServiceStatus"},
    "ServiceSpec": {"ports": ListOf("ServicePort", MERGE, "port"), "selector": STRING_MAP,
                    "clusterIPs": STRINGS, "externalIPs": STRINGS,
                    "loadBalancerSourceRanges": STRINGS, "ipFamilies": STRINGS},
    "ServiceStatus": {"conditions": ListOf("Condition", MERGE, "type"),
                      "loadBalancer": "LoadBalancerStatus"},
    "LoadBalancerStatus": {"ingress": ListOf("LoadBalancerIngress")},
    "Namespace": {"metadata": "ObjectMeta", "spec": "NamespaceSpec",
                  "status": "NamespaceStatus"},
    "NamespaceSpec": {"finalizers": STRINGS},
    "NamespaceStatus": {"conditions": ListOf("NamespaceCondition", MERGE, "type")},
    "Event": {"metadata": "ObjectMeta"},
    "Endpoints": {"metadata": "ObjectMeta", "subsets": ListOf("EndpointSubset")},
    "EndpointSubset": {"addresses": ListOf("EndpointAddress"),
                       "notReadyAddresses": ListOf("EndpointAddress"),
                       "ports": ListOf("EndpointPort")},
    "EndpointSlice": {"metadata": "ObjectMeta", "endpoints": ListOf("Endpoint"),
                      "ports": ListOf("EndpointPort")},
    "Endpoint": {"addresses": STRINGS, "deprecatedTopology": STRING_MAP},
}


def field(type_name: str | None, key: str):
    """The spec of a struct field (a struct type name, a map kind or ListOf), None if not
    modelled."""
    return (TYPES.get(type_name) or {}).get(key) if type_name else None


def struct(spec) -> str | None:
    """The struct type a field holds, None for maps and types not modelled."""
    return spec if isinstance(spec, str) and spec in TYPES else None


def drop_nulls(obj: dict, kind: str) -> dict:
    """A copy of ``obj`` (of ``kind``, e.g. "Deployment") as decoding it into the Go types and
    encoding it again leaves it: ``null`` struct fields are gone (Go keeps the zero value,
    which the encoder leaves out or which validation treats as unset), ``null`` values of
    string maps become "" (quantities "0"), ``null`` strings in string lists "", ``null``
    structs in lists ``{}``.

    Apply it to every object a request carries (create and update bodies, patch results)
    before defaulting and hashing: ``kubectl rollout undo`` sends the ReplicaSet's template
    with ``metadata.creationTimestamp: null``, and ``kubectl create --dry-run -o yaml``
    output carries the same; left in, the null would change the pod-template-hash and
    undo would make a new ReplicaSet instead of scaling the old one back up. Lists of a type
    not in ``TYPES`` keep their ``null`` items.
    """
    return _drop_nulls(obj, kind)


def _drop_nulls(value, spec):
    if isinstance(value, dict):
        if spec in _MAP_ZERO:
            return {k: _MAP_ZERO[spec] if v is None else v for k, v in value.items()}
        type_name = struct(spec)
        return {k: _drop_nulls(v, field(type_name, k)) for k, v in value.items()
                if v is not None}
    if isinstance(value, list) and isinstance(spec, ListOf):
        zero = {} if spec.item else ""
        return [zero if item is None else _drop_nulls(item, spec.item) for item in value]
    if isinstance(value, list):
        return [_drop_nulls(item, None) for item in value]
    return value
