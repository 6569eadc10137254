"""Service defaulting and validation: cases after core/validation's TestValidateService and
TestValidateServiceUpdate tables and core/v1 SetDefaults_Service, plus the decoder and the
lifecycle hooks of the pod template (validateLifecycle)."""
from __future__ import annotations

import copy

import pytest

from simulator.api.service_allocation import check_requested
from simulator.api.service_validation import default_service, validate_service
from simulator.api.validation import decode_errors, validate_lifecycle


def valid_service() -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "valid", "namespace": "default"},
            "spec": {"selector": {"key": "val"},
                     "ports": [{"name": "p", "port": 8675, "targetPort": 8675}]}}


def changed(**spec) -> dict:
    svc = valid_service()
    svc["spec"].update(spec)
    return svc


def errors_of(svc: dict, old: dict | None = None) -> list[str]:
    return [str(e) for e in validate_service(default_service(svc, old), old)]


INVALID = [
    ("bad-name", dict(metadata={"name": "1abc", "namespace": "default"}),
     "metadata.name: Invalid value: \"1abc\": a DNS-1035 label must consist of lower case "
     "alphanumeric characters or '-', start with an alphabetic character, and end with an "
     "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
     "'[a-z]([-a-z0-9]*[a-z0-9])?')"),
    ("missing-ports", dict(ports=[]), "spec.ports: Required value"),
    ("bad-type", dict(type="Magic"),
     'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", '
     '"LoadBalancer", "NodePort"'),
    ("port-zero", dict(ports=[{"port": 0, "targetPort": 80}]),
     "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"),
    ("bad-protocol", dict(ports=[{"port": 80, "protocol": "HTTP"}]),
     'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'),
    ("bad-target-name", dict(ports=[{"port": 80, "targetPort": "Web_Port"}]),
     'spec.ports[0].targetPort: Invalid value: "Web_Port": must contain only alpha-numeric '
     "characters (a-z, 0-9), and hyphens (-)"),
    ("target-out-of-range", dict(ports=[{"port": 80, "targetPort": 65536}]),
     "spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535, inclusive"),
    ("unnamed-of-two", dict(ports=[{"name": "a", "port": 80}, {"port": 81}]),
     "spec.ports[1].name: Required value"),
    ("duplicate-name", dict(ports=[{"name": "a", "port": 80}, {"name": "a", "port": 81}]),
     'spec.ports[1].name: Duplicate value: "a"'),
    ("duplicate-port", dict(ports=[{"name": "a", "port": 80}, {"name": "b", "port": 80}]),
     'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", '
     'AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, '
     'StrVal:""}, NodePort:0}'),
    ("node-port-on-cluster-ip", dict(ports=[{"port": 80, "nodePort": 30001}]),
     "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
    ("bad-cluster-ip", dict(clusterIP="10.0.0.256"),
     'spec.clusterIPs[0]: Invalid value: "10.0.0.256": must be a valid IP address, '
     "(e.g. 10.9.8.7 or 2001:db8::ffff)"),
    ("headless-node-port", dict(type="NodePort", clusterIP="None"),
     "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort "
     "services"),
    ("external-name-missing", dict(type="ExternalName", ports=[]), "spec.externalName: Required value"),
    ("bad-affinity", dict(sessionAffinity="Sticky"),
     'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'),
    ("traffic-policy-on-cluster-ip", dict(externalTrafficPolicy="Local"),
     'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for '
     "externally-accessible services"),
    ("bad-selector", dict(selector={"key": "a b"}),
     "spec.selector: Invalid value: \"a b\": a valid label must be an empty string or consist "
     "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
     "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
     "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
    ("dual-stack", dict(ipFamilyPolicy="RequireDualStack"),
     "spec.ipFamilyPolicy: Forbidden: the simulation does not model dual-stack Services"),
]


@pytest.mark.parametrize("change,error", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_services(change, error):
    svc = valid_service()
    if "metadata" in change:
        svc.update(change)
    else:
        svc["spec"].update(change)
    assert errors_of(svc) == [error]


VALID = [
    ("cluster-ip", {}),
    ("headless-without-ports", dict(clusterIP="None", ports=[])),
    ("named-target", dict(ports=[{"port": 80, "targetPort": "http"}])),
    ("node-port", dict(type="NodePort", ports=[{"port": 80, "nodePort": 30001}])),
    ("load-balancer-local", dict(type="LoadBalancer", externalTrafficPolicy="Local")),
    ("external-name", dict(type="ExternalName", externalName="db.example.com", ports=[])),
    ("no-selector", dict(selector=None)),
    ("publish-not-ready", dict(publishNotReadyAddresses=True)),
    ("udp-and-tcp-same-port", dict(ports=[{"name": "a", "port": 53, "protocol": "UDP"},
                                          {"name": "b", "port": 53, "protocol": "TCP"}])),
]


@pytest.mark.parametrize("change", [c[1] for c in VALID], ids=[c[0] for c in VALID])
def test_valid_services(change):
    assert errors_of(changed(**change)) == []


DEFAULTS = [
    ("cluster-ip", {}, {"type": "ClusterIP", "sessionAffinity": "None",
                        "internalTrafficPolicy": "Cluster", "ipFamilyPolicy": "SingleStack",
                        "ipFamilies": ["IPv4"]}),
    ("node-port", dict(type="NodePort"), {"externalTrafficPolicy": "Cluster"}),
    ("load-balancer", dict(type="LoadBalancer"), {"externalTrafficPolicy": "Cluster",
                                                  "allocateLoadBalancerNodePorts": True}),
    ("client-ip", dict(sessionAffinity="ClientIP"),
     {"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}}}),
    ("cluster-ip-given", dict(clusterIP="10.96.0.7"), {"clusterIPs": ["10.96.0.7"]}),
    ("external-name", dict(type="ExternalName", externalName="x.example", ports=[]),
     {"type": "ExternalName"}),
]


@pytest.mark.parametrize("change,expected", [c[1:] for c in DEFAULTS], ids=[c[0] for c in DEFAULTS])
def test_defaults(change, expected):
    spec = default_service(changed(**change))["spec"]
    assert {k: spec.get(k) for k in expected} == expected
    if change.get("type") == "ExternalName":
        assert "ipFamilies" not in spec and "internalTrafficPolicy" not in spec


def test_target_port_defaults_to_port():
    svc = changed(ports=[{"port": 80}, {"name": "b", "port": 81, "targetPort": 0}])
    assert [p["targetPort"] for p in default_service(svc)["spec"]["ports"]] == [80, 81]


UPDATES = [
    ("cluster-ip-kept-when-left-out", dict(type="NodePort"), dict(type="NodePort"), []),
    ("cluster-ip-changed", {}, dict(clusterIP="10.96.0.9"),
     ['spec.clusterIPs[0]: Invalid value: "10.96.0.9": may not change once set']),
    ("to-external-name", {}, dict(type="ExternalName", externalName="x.example", clusterIP="",
                                  clusterIPs=[]), []),
]


@pytest.mark.parametrize("old_change,new_change,errors", [c[1:] for c in UPDATES],
                         ids=[c[0] for c in UPDATES])
def test_updates(old_change, new_change, errors):
    old = default_service(changed(clusterIP="10.96.0.8", **old_change))
    assert errors_of(changed(**new_change), old) == errors


def test_an_update_keeps_node_ports_and_drops_them_with_the_type():
    old = default_service(changed(type="NodePort", clusterIP="10.96.0.8",
                                  ports=[{"name": "p", "port": 80, "nodePort": 30007}]))
    kept = default_service(changed(type="NodePort", ports=[{"name": "p", "port": 80}]), old)
    assert kept["spec"]["ports"][0]["nodePort"] == 30007
    live = copy.deepcopy(old)   # an apply merges the live object: its node port and policy stay
    live["spec"]["type"] = "ClusterIP"
    dropped = default_service(live, old)["spec"]
    assert "nodePort" not in dropped["ports"][0] and "externalTrafficPolicy" not in dropped
    assert validate_service(default_service(live, old), old) == []


ALLOCATION = [
    ("free-ip", dict(clusterIP="10.96.0.20"), set(), set(), []),
    ("taken-ip", dict(clusterIP="10.96.0.20"), {"10.96.0.20"}, set(),
     ['spec.clusterIPs: Invalid value: []string{"10.96.0.20"}: failed to allocate IP '
      "10.96.0.20: provided IP is already allocated"]),
    ("two-ports-one-node-port", dict(type="NodePort", ports=[
        {"name": "a", "port": 80, "nodePort": 30100}, {"name": "b", "port": 81, "nodePort": 30100}]),
     set(), set(), ["spec.ports[1].nodePort: Duplicate value: 30100"]),
]


@pytest.mark.parametrize("change,ips,ports,errors", [c[1:] for c in ALLOCATION],
                         ids=[c[0] for c in ALLOCATION])
def test_requested_addresses_and_ports(change, ips, ports, errors):
    spec = default_service(changed(**change))["spec"]
    found = [str(e) for e in validate_service({"metadata": {"name": "valid",
                                                            "namespace": "default"},
                                               "spec": spec})]
    found += [str(e) for e in check_requested(spec, None, ips, ports)]
    assert found == errors


def test_the_decoder_knows_the_service_fields():
    svc = valid_service()
    svc["spec"]["ports"][0]["port"] = "80"
    svc["spec"]["colour"] = "blue"
    assert [str(e) for e in decode_errors(svc)] == [
        "spec.ports[0].port: json: cannot unmarshal string into Go struct field "
        "ServicePort.spec.ports.port of type int32",
        'spec.colour: unknown field "spec.colour"']


LIFECYCLES = [
    ("sleep", {"preStop": {"sleep": {"seconds": 5}}}, 30, []),
    ("sleep-zero", {"preStop": {"sleep": {"seconds": 0}}}, 30,
     ["c.lifecycle.preStop.sleep: Invalid value: 0: must be greater than 0 and less than "
      "terminationGracePeriodSeconds (30)"]),
    ("sleep-past-grace", {"preStop": {"sleep": {"seconds": 31}}}, 30,
     ["c.lifecycle.preStop.sleep: Invalid value: 31: must be greater than 0 and less than "
      "terminationGracePeriodSeconds (30)"]),
    ("exec", {"preStop": {"exec": {"command": ["sleep", "5"]}}}, 30, []),
    ("exec-empty", {"preStop": {"exec": {"command": []}}}, 30,
     ["c.lifecycle.preStop.exec.command: Required value"]),
    ("two-handlers", {"preStop": {"sleep": {"seconds": 1}, "exec": {"command": ["true"]}}}, 30,
     ["c.lifecycle.preStop.sleep: Forbidden: may not specify more than 1 handler type"]),
    ("no-handler", {"postStart": {}}, 30,
     ["c.lifecycle.postStart: Required value: must specify a handler type"]),
]


@pytest.mark.parametrize("lifecycle,grace,errors", [c[1:] for c in LIFECYCLES],
                         ids=[c[0] for c in LIFECYCLES])
def test_lifecycle_hooks(lifecycle, grace, errors):
    assert [str(e) for e in validate_lifecycle(lifecycle, grace, "c.lifecycle")] == errors
