"""The endpoint-slice controller's endpoints and conditions (staging/src/k8s.io/endpointslice
utils_test.go's podToEndpoint cases, seen through a running cluster), its ports, slicing
and placeholder, and the Endpoints derived from the slices."""
from __future__ import annotations

import pytest

from simulator import Cluster
from simulator.controllers.endpointslice import MAX_ENDPOINTS

APP = """
apiVersion: rolloutviz.dev/v1
kind: ImageBehavior
metadata: {name: app}
spec:
  image: example.com/app:%s
  startupSeconds: 0
  http:
  - port: 8080
    paths:
    - path: /ready
      responses: [{fromSeconds: 0, status: %d}]
"""
CONTAINER = """
ports: [{name: http, containerPort: 8080}]
readinessProbe:
  httpGet: {path: /ready, port: 8080}
  periodSeconds: 1
lifecycle:
  preStop:
    sleep: {seconds: 20}
"""


def deployment_yaml(image: str, replicas: int) -> str:
    container = "".join(f"        {line}\n" for line in CONTAINER.strip().splitlines())
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
            f"  replicas: {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n"
            "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
            f"      - name: app\n        image: {image}\n{container}")


def service(publish: bool = False, target="http") -> str:
    return ("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
            f"  selector: {{app: web}}\n  publishNotReadyAddresses: {str(publish).lower()}\n"
            f"  ports: [{{name: web, port: 80, targetPort: {target}}}]\n")


def cluster(image: str, publish: bool = False, replicas: int = 1, target="http") -> Cluster:
    c = Cluster(seed=5)
    c.apply(APP % ("ready", 200) + "---" + APP % ("unready", 500))
    c.apply(deployment_yaml(f"example.com/app:{image}", replicas))
    c.apply(service(publish, target))
    c.advance(10)
    return c


def endpoints(c: Cluster) -> list[dict]:
    return [e for s in c.list("endpointslice") for e in s["endpoints"] or []]


CONDITIONS = [
    # name, image, publishNotReadyAddresses, delete the pod, conditions
    ("ready", "ready", False, False, {"ready": True, "serving": True, "terminating": False}),
    ("not-ready", "unready", False, False,
     {"ready": False, "serving": False, "terminating": False}),
    ("terminating", "ready", False, True, {"ready": False, "serving": True, "terminating": True}),
    ("terminating-not-ready", "unready", False, True,
     {"ready": False, "serving": False, "terminating": True}),
    ("publish-not-ready", "unready", True, False,
     {"ready": True, "serving": True, "terminating": False}),
    ("publish-not-ready-terminating", "unready", True, True,
     {"ready": True, "serving": True, "terminating": True}),
]


@pytest.mark.parametrize("image,publish,delete,conditions", [c[1:] for c in CONDITIONS],
                         ids=[c[0] for c in CONDITIONS])
def test_endpoint_conditions(image, publish, delete, conditions):
    c = cluster(image, publish)
    if delete:
        c.delete_pod(c.list("pod")[0]["metadata"]["name"])
        c.step()
    pod = next(p for p in c.list("pod") if ("deletionTimestamp" in p["metadata"]) == delete)
    [endpoint] = [e for e in endpoints(c) if e["targetRef"]["name"] == pod["metadata"]["name"]]
    assert endpoint["conditions"] == conditions
    legacy = c.get("endpoints", "web").get("subsets") or []
    listed = {where: [a["targetRef"]["name"] for s in legacy for a in s.get(where, [])]
              for where in ("addresses", "notReadyAddresses")}
    name = pod["metadata"]["name"]
    if delete and not publish:   # Endpoints leave terminating pods out
        assert name not in listed["addresses"] + listed["notReadyAddresses"]
    else:
        assert name in listed["addresses" if conditions["ready"] else "notReadyAddresses"]


def test_a_pod_without_an_address_is_not_listed():
    c = Cluster(seed=5, nodes=1)
    c.apply(APP % ("ready", 200))
    c.set_node_ready("node-1", False)   # its kubelet never admits the pod: no IP
    c.apply(deployment_yaml("example.com/app:ready", 1))
    c.apply(service())
    c.advance(5)
    assert c.list("pod")[0]["status"].get("podIP") is None
    assert endpoints(c) == []


def test_a_named_target_port_missing_on_the_pod_gives_no_port():
    c = cluster("ready", target="metrics")
    [endpoint_slice] = c.list("endpointslice")
    assert endpoint_slice["ports"] is None and len(endpoint_slice["endpoints"]) == 1
    c.send_traffic("web", rate=10)
    c.advance(1)
    assert c.traffic("web")["errors"] == {"no endpoints": 10}


def test_named_and_numbered_target_ports_resolve_on_the_pod():
    for target, number in (("http", 8080), (8080, 8080), (9999, 9999)):
        [endpoint_slice] = cluster("ready", target=target).list("endpointslice")
        assert endpoint_slice["ports"] == [{"name": "web", "port": number, "protocol": "TCP"}]


def test_more_pods_than_a_slice_holds_fill_several_slices():
    c = cluster("ready", replicas=MAX_ENDPOINTS + 5)
    sizes = sorted(len(s["endpoints"]) for s in c.list("endpointslice"))
    assert sizes == [5, MAX_ENDPOINTS]
    c.scale("web", 3)
    c.advance(30)   # the pods stop (preStop 20 s), their endpoints go; the slices that empty go
    assert sum(len(s["endpoints"] or []) for s in c.list("endpointslice")) == 3
    assert len(c.list("endpointslice")) == 1


def test_no_pods_left_leaves_a_placeholder():
    c = cluster("ready")
    before = {s["metadata"]["name"] for s in c.list("endpointslice")}
    c.scale("web", 0)
    c.advance(30)
    [placeholder] = c.list("endpointslice")
    assert (placeholder["ports"], placeholder["endpoints"]) == (None, None)
    assert placeholder["metadata"]["name"] not in before   # the emptied slice went
    assert "subsets" not in c.get("endpoints", "web")
