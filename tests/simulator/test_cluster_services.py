"""Services through Cluster.apply and the Kubernetes API: defaults, allocation of cluster IPs
and node ports, the load balancer's provisioning, updates, deletion; their EndpointSlices
and Endpoints; kube-proxy's propagation delay."""
from __future__ import annotations

import json

import pytest

from cluster_helpers import deployment_yaml, event_messages
from simulator import Cluster
from simulator.api.status import StatusError
from simulator.errors import ValidationError

HELLO = deployment_yaml("guangzhengli/hellok8s:v1", 2,
                        container_extra="ports: [{name: http, containerPort: 3000}]")


def service_yaml(type_: str = "ClusterIP", name: str = "web", extra: str = "",
                 ports: str = "[{port: 80, targetPort: http}]") -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n"
            f"  type: {type_}\n  selector: {{app: web}}\n  ports: {ports}\n{extra}")


def running(*docs: str, seconds: float = 20, **kwargs) -> Cluster:
    c = Cluster(seed=3, **kwargs)
    for doc in docs:
        c.apply(doc)
    c.advance(seconds)
    return c


def test_apply_defaults_and_allocates_deterministically():
    c = running(HELLO)
    assert c.apply(service_yaml("NodePort")) == ["service/web created"]
    svc = c.get("service", "web")
    spec = svc["spec"]
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert spec["clusterIP"].startswith("10.") and spec["clusterIP"] not in ("10.96.0.1",)
    port = spec["ports"][0]
    assert (port["protocol"], port["targetPort"]) == ("TCP", "http")
    assert 30000 <= port["nodePort"] <= 32767
    assert {k: spec[k] for k in ("type", "sessionAffinity", "externalTrafficPolicy",
                                 "internalTrafficPolicy", "ipFamilyPolicy", "ipFamilies")} == {
        "type": "NodePort", "sessionAffinity": "None", "externalTrafficPolicy": "Cluster",
        "internalTrafficPolicy": "Cluster", "ipFamilyPolicy": "SingleStack",
        "ipFamilies": ["IPv4"]}
    assert svc["status"] == {"loadBalancer": {}}
    assert [s["metadata"]["name"] for s in c.list("svc")] == ["web"]
    again = running(HELLO)
    again.apply(service_yaml("NodePort"))
    assert again.get("service", "web")["spec"] == spec   # same seed, same addresses
    assert c.apply(service_yaml("NodePort")) == ["service/web unchanged"]


def test_target_port_defaults_to_the_port():
    c = running(HELLO)
    c.apply(service_yaml(ports="[{port: 3000}]"))
    assert c.get("svc", "web")["spec"]["ports"] == [
        {"port": 3000, "protocol": "TCP", "targetPort": 3000}]


def test_a_load_balancer_gets_its_address_after_provisioning():
    c = running(HELLO)
    c.apply(service_yaml("LoadBalancer"))
    c.advance(4)
    assert c.get("svc", "web")["status"] == {"loadBalancer": {}}
    c.advance(1)
    assert c.get("svc", "web")["status"] == {
        "loadBalancer": {"ingress": [{"ip": "203.0.113.10", "ipMode": "VIP"}]}}
    assert event_messages(c, "EnsuringLoadBalancer", "Service") == ["Ensuring load balancer"]
    assert event_messages(c, "EnsuredLoadBalancer", "Service") == ["Ensured load balancer"]
    c.apply(service_yaml("LoadBalancer", name="other"))
    c.advance(5)
    assert c.get("svc", "other")["status"]["loadBalancer"]["ingress"][0]["ip"] == "203.0.113.11"
    # back to ClusterIP: the address and the node ports go
    c.apply(service_yaml("ClusterIP"))
    spec = c.get("svc", "web")
    assert spec["status"] == {"loadBalancer": {}}
    assert "nodePort" not in spec["spec"]["ports"][0]
    assert event_messages(c, "DeletedLoadBalancer", "Service") == ["Deleted load balancer"]


@pytest.mark.parametrize("first,second,error", [
    (service_yaml(extra="  clusterIP: 10.96.5.5\n"),
     service_yaml(name="b", extra="  clusterIP: 10.96.5.5\n"),
     'The Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.5.5"}: '
     "failed to allocate IP 10.96.5.5: provided IP is already allocated"),
    (None, service_yaml(extra="  clusterIP: 192.168.0.1\n"),
     'The Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.0.1"}: '
     "failed to allocate IP 192.168.0.1: the provided IP (192.168.0.1) is not in the valid "
     "range. The range of valid IPs is 10.96.0.0/12"),
    (service_yaml("NodePort", ports="[{port: 80, nodePort: 30080}]"),
     service_yaml("NodePort", name="b", ports="[{port: 80, nodePort: 30080}]"),
     'The Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port '
     "is already allocated"),
    (None, service_yaml("NodePort", ports="[{port: 80, nodePort: 80}]"),
     'The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is '
     "not in the valid range. The range of valid ports is 30000-32767"),
], ids=["ip-taken", "ip-out-of-range", "node-port-taken", "node-port-out-of-range"])
def test_the_allocators_refuse_what_is_taken_or_out_of_range(first, second, error):
    c = Cluster()
    if first:
        c.apply(first)
    state = json.dumps(c.snapshot(), sort_keys=True)
    with pytest.raises(ValidationError) as caught:
        c.apply(second)
    assert str(caught.value) == error
    assert json.dumps(c.snapshot(), sort_keys=True) == state


def test_the_cluster_ip_may_not_change():
    c = Cluster()
    c.apply(service_yaml(extra="  clusterIP: 10.96.5.5\n"))
    with pytest.raises(ValidationError, match=r'spec.clusterIPs\[0\]: Invalid value: "10.96.5.6": '
                                              "may not change once set"):
        c.apply(service_yaml(extra="  clusterIP: 10.96.5.6\n"))


def test_endpoint_slices_and_endpoints_follow_the_pods():
    c = running(HELLO, service_yaml())
    [es] = c.list("endpointslice")
    pods = {p["metadata"]["name"]: p for p in c.list("pod")}
    meta = es["metadata"]
    assert meta["name"].startswith("web-") and meta["generateName"] == "web-"
    assert meta["labels"] == {"kubernetes.io/service-name": "web",
                              "endpointslice.kubernetes.io/managed-by":
                                  "endpointslice-controller.k8s.io"}
    svc = c.get("svc", "web")
    assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Service", "name": "web",
                                        "uid": svc["metadata"]["uid"], "controller": True,
                                        "blockOwnerDeletion": True}]
    assert es["addressType"] == "IPv4"
    assert es["ports"] == [{"name": "", "port": 3000, "protocol": "TCP"}]
    assert sorted(e["targetRef"]["name"] for e in es["endpoints"]) == sorted(pods)
    for e in es["endpoints"]:
        pod = pods[e["targetRef"]["name"]]
        assert e["addresses"] == [pod["status"]["podIP"]]
        assert e["nodeName"] == pod["spec"]["nodeName"]
        assert e["conditions"] == {"ready": True, "serving": True, "terminating": False}
    [subset] = c.get("endpoints", "web")["subsets"]
    assert subset["ports"] == [{"port": 3000, "protocol": "TCP"}]
    assert sorted(a["ip"] for a in subset["addresses"]) == sorted(
        p["status"]["podIP"] for p in pods.values())


def test_a_service_without_pods_keeps_one_placeholder_slice():
    c = Cluster()
    c.apply(service_yaml())
    [es] = c.list("endpointslice")
    assert (es["ports"], es["endpoints"]) == (None, None)
    assert "subsets" not in c.get("endpoints", "web")
    c.advance(5)
    assert [s["metadata"]["name"] for s in c.list("endpointslice")] == [es["metadata"]["name"]]


@pytest.mark.parametrize("delay,failing_steps", [(2.5, [0, 1, 2]), (0.5, [0]), (0, [3])],
                         ids=["2.5s", "0.5s", "instant"])
def test_kube_proxy_learns_of_changes_after_its_delay(delay, failing_steps):
    """A deleted pod's endpoint stops being ready at once, but kube-proxy keeps sending
    it requests until it learns: the pod, SIGTERMed, refuses them. (Without a readiness
    probe its replacement is ready as its container starts, 0.5 s before the app listens:
    a kube-proxy that learns at once sends it requests too early.)"""
    c = running(HELLO, service_yaml(), proxy_delay=delay)
    assert c.proxy_delay == delay
    c.send_traffic("web", rate=100)
    c.advance(2)
    c.delete_pod(sorted(p["metadata"]["name"] for p in c.list("pod"))[0])
    ticks = [r["object"] for _ in range(8) for r in c.step() if r["kind"] == "Traffic"]
    assert [i for i, t in enumerate(ticks) if t["failed"]] == failing_steps
    assert all(set(t["errors"]) <= {"connection refused"} for t in ticks)


@pytest.mark.parametrize("delay,error", [
    (-1, "proxy_delay must be 0 or more seconds, got -1"),
    ("1", "proxy_delay must be 0 or more seconds, got '1'"),
    (0.0005, "proxy_delay must be a whole number of milliseconds, got 0.0005 s"),
], ids=["negative", "text", "sub-millisecond"])
def test_bad_proxy_delays_are_refused(delay, error):
    with pytest.raises(ValueError, match=error):
        Cluster(proxy_delay=delay)


def test_deleting_a_service_deletes_its_slices_and_endpoints():
    c = running(HELLO, service_yaml())
    answer = c.delete("svc", "web")
    assert (answer["code"], answer["line"]) == (200, 'service "web" deleted')
    assert (c.list("svc"), c.list("endpointslice"), c.list("endpoints")) == ([], [], [])
    records = c.take_changes()
    assert sorted((r["kind"], r["type"]) for r in records) == [
        ("EndpointSlice", "DELETED"), ("Endpoints", "DELETED"), ("Service", "DELETED")]


def test_services_through_the_kubernetes_api():
    c = running(HELLO)
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 3000}]}}
    answer = c.create("services", body)
    assert (answer["code"], answer["line"]) == (201, "service/api created")
    assert answer["body"]["spec"]["clusterIP"] == c.get("svc", "api")["spec"]["clusterIP"]
    dry = c.create("services", dict(body, metadata={"name": "dry"}), dry_run=True)
    assert dry["body"]["spec"]["clusterIP"].startswith("10.") and "dry" not in {
        s["metadata"]["name"] for s in c.list("svc")}
    patched = c.patch("services", "api", {"spec": {"type": "NodePort"}},
                      "application/merge-patch+json")
    assert patched["body"]["spec"]["ports"][0]["nodePort"] >= 30000
    listed = c.read_list("services", field_selector="spec.type=NodePort")
    assert [s["metadata"]["name"] for s in listed["items"]] == ["api"]
    with pytest.raises(StatusError) as caught:
        c.create("services", dict(body, spec={"selector": {"app": "web"}}))
    assert caught.value.status["message"] == 'Service "api" is invalid: spec.ports: Required value'


def test_services_survive_snapshot_and_restore():
    c = running(HELLO, service_yaml("LoadBalancer"), seconds=2)
    c.send_traffic("web", rate=10)
    twin = Cluster.restore(json.loads(json.dumps(c.snapshot())))
    assert [twin.step() for _ in range(30)] == [c.step() for _ in range(30)]
    assert twin.list("endpointslice") == c.list("endpointslice")
    assert twin.proxy_delay == c.proxy_delay == 1.0


@pytest.mark.parametrize("spec,error", [
    ("  clusterIP: None\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 3000}]\n",
     'service "web" is headless: kube-proxy does not route it'),
    ("  type: ExternalName\n  externalName: db.example.com\n  selector: {app: web}\n",
     'service "web" is an ExternalName service: it has no endpoints to send requests to'),
], ids=["headless", "external-name"])
def test_services_kube_proxy_does_not_route(spec, error):
    c = running(HELLO)
    c.apply(f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n{spec}")
    with pytest.raises(ValueError, match=error):
        c.send_traffic("web", rate=1)
    svc = c.get("svc", "web")["spec"]
    if svc["type"] == "ExternalName":   # no cluster IP, no endpoints
        assert "clusterIP" not in svc and c.list("endpointslice") == []
    else:   # a headless Service's slices list the pods for DNS
        [es] = c.list("endpointslice")
        assert es["metadata"]["labels"]["service.kubernetes.io/headless"] == ""
        assert len(es["endpoints"]) == 2


def test_two_services_of_one_apply_may_not_ask_for_the_same_address_or_port():
    c = Cluster()
    for extra, ports, error in [
            ("  clusterIP: 10.96.7.7\n", "[{port: 80}]",
             'The Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.7.7"}: '
             "failed to allocate IP 10.96.7.7: provided IP is already allocated"),
            ("", "[{port: 80, nodePort: 30500}]",
             'The Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30500: '
             "provided port is already allocated")]:
        kind = "NodePort" if "nodePort" in ports else "ClusterIP"
        with pytest.raises(ValidationError) as caught:
            c.apply(service_yaml(kind, "a", extra, ports) + "---\n" + service_yaml(kind, "b", extra, ports))
        assert str(caught.value) == error
        assert c.list("svc") == []
