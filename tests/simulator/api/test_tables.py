"""Server-side Tables: cells ported from pkg/printers/internalversion printers_test.go (Go
objects rewritten in the shape ``kubectl get -o yaml`` prints), kubectl 1.32's captured
output (../shared/kubernetes-api/requests.md), and Tables of a running simulation checked
against the text views."""
import datetime

import pytest

from simulator.api.status import StatusError
from simulator.api.tables import cells, column_definitions, node_roles, node_status, table
from simulator.cluster import Cluster
from simulator.kubectl.printers import get_text
from simulator.timers import EPOCH

DAY = 86400.0
NOW = 30 * DAY


def ts(seconds: float) -> str:
    return (EPOCH + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name, **extra):
    return {"name": name, **extra}


# --- columns ----------------------------------------------------------------------------------

COLUMN_NAMES = [
    ("Pod", ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node",
             "Readiness Gates"], 5),
    ("Deployment", ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images",
                    "Selector"], 5),
    ("ReplicaSet", ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images",
                    "Selector"], 5),
    ("Node", ["Name", "Status", "Roles", "Age", "Version", "Internal-IP", "External-IP",
              "OS-Image", "Kernel-Version", "Container-Runtime"], 5),
    ("Event", ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message",
               "First Seen", "Count", "Name"], None),
    ("Service", ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"], 6),
    ("Endpoints", ["Name", "Endpoints", "Age"], 3),
    ("EndpointSlice", ["Name", "AddressType", "Ports", "Endpoints", "Age"], 5),
    ("Namespace", ["Name", "Status", "Age"], 3),
]


@pytest.mark.parametrize("kind,names,narrow", COLUMN_NAMES, ids=[c[0] for c in COLUMN_NAMES])
def test_column_definitions(kind, names, narrow):
    columns = column_definitions(kind)
    assert [c["name"] for c in columns] == names
    assert all(set(c) == {"name", "type", "format", "description", "priority"} for c in columns)
    assert all(c["description"] for c in columns)
    if narrow is not None:  # the wide columns come last
        assert [c["priority"] for c in columns] == [0] * narrow + [1] * (len(names) - narrow)
    assert [c["name"] for c in columns if c["format"] == "name"] == ["Name"]


def test_event_columns_interleave_wide_ones():
    assert [c["priority"] for c in column_definitions("Event")] == [0, 0, 0, 0, 1, 1, 0, 1, 1, 1]


# --- pods: TestPrintPod / TestPrintPodwide / TestPrintNonTerminatedPod ---------------------------

def pod(name, statuses=(), containers=2, phase="podPhase", reason=None, conditions=None,
        deleted=False, **spec):
    status = {"phase": phase, "containerStatuses": list(statuses)}
    if reason:
        status["reason"] = reason
    if conditions:
        status["conditions"] = conditions
    metadata = meta(name)
    if deleted:
        metadata["deletionTimestamp"] = ts(NOW - 10)
    return {"kind": "Pod", "metadata": metadata,
            "spec": {"containers": [{"name": f"c{i}"} for i in range(containers)], **spec},
            "status": status}


RUNNING_READY = {"ready": True, "restartCount": 3, "state": {"running": {}}}
NOT_RUNNING = {"restartCount": 3}


def restarted(count, seconds_ago, ready=True):
    return {"ready": ready, "restartCount": count, "state": {"running": {}},
            "lastState": {"terminated": {"finishedAt": ts(NOW - seconds_ago)}}}


POD_CASES = [
    ("name-ready-restarts", pod("test1", [RUNNING_READY, NOT_RUNNING]),
     ["test1", "1/2", "podPhase", "6", "<unknown>"]),
    ("container-waiting-overrides-phase",
     pod("test2", [RUNNING_READY, {"state": {"waiting": {"reason": "ContainerWaitingReason"}},
                                   "restartCount": 3}]),
     ["test2", "1/2", "ContainerWaitingReason", "6", "<unknown>"]),
    ("first-container-wins",
     pod("test3", [{"state": {"waiting": {"reason": "ContainerWaitingReason"}}, "restartCount": 3},
                   {"state": {"terminated": {"reason": "ContainerTerminatedReason"}},
                    "restartCount": 3}]),
     ["test3", "0/2", "ContainerWaitingReason", "6", "<unknown>"]),
    ("ready-is-not-running", pod("test4", [RUNNING_READY, {"ready": True, "restartCount": 3}]),
     ["test4", "1/2", "podPhase", "6", "<unknown>"]),
    ("pod-reason", pod("test5", [RUNNING_READY, {"ready": True, "restartCount": 3}],
                       reason="podReason"),
     ["test5", "1/2", "podReason", "6", "<unknown>"]),
    ("completed-and-running-not-ready",
     pod("test6", [{"ready": True, "restartCount": 3,
                    "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                   RUNNING_READY], phase="Running"),
     ["test6", "1/2", "NotReady", "6", "<unknown>"]),
    ("completed-and-running-ready",
     pod("test6", [{"ready": True, "restartCount": 3,
                    "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                   RUNNING_READY], phase="Running",
         conditions=[{"type": "Ready", "status": "True"}]),
     ["test6", "1/2", "Running", "6", "<unknown>"]),
    ("restarted-5d-ago", pod("test12", [restarted(3, 5 * DAY)], containers=1, phase="Running"),
     ["test12", "1/1", "Running", "3 (5d ago)", "<unknown>"]),
    ("one-restarted-10d-ago",
     pod("test13", [{"ready": True, "restartCount": 0, "state": {"running": {}}},
                    restarted(3, 10 * DAY)], phase="Running"),
     ["test13", "2/2", "Running", "3 (10d ago)", "<unknown>"]),
    ("latest-restart-counts",
     pod("test14", [restarted(6, 5 * DAY), restarted(3, 20 * DAY)], phase="Running"),
     ["test14", "2/2", "Running", "9 (5d ago)", "<unknown>"]),
    ("scheduling-gated",
     pod("test15", conditions=[{"type": "PodScheduled", "status": "False",
                                "reason": "SchedulingGated"}]),
     ["test15", "0/2", "SchedulingGated", "0", "<unknown>"]),
    ("succeeded", pod("test16", [{"ready": False, "restartCount": 0, "state": {
        "terminated": {"reason": "Completed", "exitCode": 0}}}], containers=1, phase="Succeeded"),
     ["test16", "0/1", "Completed", "0", "<unknown>"]),
    ("failed", pod("test17", [{"ready": False, "restartCount": 0, "state": {
        "terminated": {"reason": "Error", "exitCode": 1}}}], containers=1, phase="Failed"),
     ["test17", "0/1", "Error", "0", "<unknown>"]),
    ("succeeded-being-deleted", pod("test18", [{"ready": False, "restartCount": 0, "state": {
        "terminated": {"reason": "Completed", "exitCode": 0}}}], containers=1, phase="Succeeded",
        deleted=True),
     ["test18", "0/1", "Completed", "0", "<unknown>"]),
    ("running-being-deleted", pod("test19", [{"ready": False, "restartCount": 0,
                                              "state": {"running": {}}}],
                                  containers=1, phase="Running", deleted=True),
     ["test19", "0/1", "Terminating", "0", "<unknown>"]),
    ("pending-being-deleted", pod("test20", containers=1, phase="Pending", deleted=True),
     ["test20", "0/1", "Terminating", "0", "<unknown>"]),
    ("node-lost-being-deleted", pod("lost", containers=1, phase="Running", reason="NodeLost",
                                    deleted=True),
     ["lost", "0/1", "Unknown", "0", "<unknown>"]),
    ("crash-loop", pod("crash", [{"restartCount": 4, "state": {"waiting": {
        "reason": "CrashLoopBackOff"}}, "lastState": {"terminated": {"finishedAt": ts(NOW - 125)}}}],
        containers=1, phase="Running"),
     ["crash", "0/1", "CrashLoopBackOff", "4 (2m5s ago)", "<unknown>"]),
    ("phase-unknown", pod("test3", [RUNNING_READY, NOT_RUNNING], phase="Unknown"),
     ["test3", "1/2", "Unknown", "6", "<unknown>"]),
]


@pytest.mark.parametrize("obj,want", [c[1:] for c in POD_CASES], ids=[c[0] for c in POD_CASES])
def test_pod_cells(obj, want):
    assert cells(obj, NOW)[:5] == want


WIDE_CASES = [
    ("node-ip-gates",
     pod("test1", [RUNNING_READY, NOT_RUNNING], nodeName="test1",
         readinessGates=[{"conditionType": "condition1"}, {"conditionType": "condition2"},
                         {"conditionType": "condition3"}],
         conditions=[{"type": "condition1", "status": "False"},
                     {"type": "condition2", "status": "True"}]),
     {"podIPs": [{"ip": "1.1.1.1"}, {"ip": "2001:db8::"}], "nominatedNodeName": "node1"},
     ["test1", "1/2", "podPhase", "6", "<unknown>", "1.1.1.1", "test1", "node1", "1/3"]),
    ("none", pod("test2", [RUNNING_READY, {"state": {"waiting": {
        "reason": "ContainerWaitingReason"}}, "restartCount": 3}]), {},
     ["test2", "1/2", "ContainerWaitingReason", "6", "<unknown>", "<none>", "<none>", "<none>",
      "<none>"]),
]


@pytest.mark.parametrize("obj,status,want", [c[1:] for c in WIDE_CASES], ids=[c[0] for c in WIDE_CASES])
def test_pod_wide_cells(obj, status, want):
    obj["status"].update(status)
    assert cells(obj, NOW) == want


@pytest.mark.parametrize("phase,conditions", [
    ("Running", None),
    ("Succeeded", [{"type": "Completed", "status": "True", "reason": "Succeeded",
                    "message": "The pod has completed successfully."}]),
    ("Failed", [{"type": "Completed", "status": "True", "reason": "Failed",
                 "message": "The pod failed."}]),
])
def test_pod_row_conditions(phase, conditions):
    """TestPrintPodConditions: finished pods' rows say so (kubectl get hides them)."""
    row = table("Pod", [pod("test1", [RUNNING_READY, NOT_RUNNING], phase=phase)], NOW)["rows"][0]
    assert row.get("conditions") == conditions


# --- deployments and replicasets --------------------------------------------------------------------

def test_deployment_cells_as_kubectl_printed_them():
    """requests.md 10-get-wide: ``web 4/4 4 4 15s app nginx:1.16.1 app=web``."""
    deployment = {"kind": "Deployment", "metadata": meta("web", creationTimestamp=ts(NOW - 15)),
                  "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"spec": {"containers": [
                               {"name": "app", "image": "nginx:1.16.1"}]}}},
                  "status": {"readyReplicas": 4, "updatedReplicas": 4, "availableReplicas": 4}}
    assert cells(deployment, NOW) == ["web", "4/4", 4, 4, "15s", "app", "nginx:1.16.1", "app=web"]


def test_deployment_without_status_or_selector():
    deployment = {"kind": "Deployment", "metadata": meta("d"),
                  "spec": {"replicas": 2, "template": {"spec": {"containers": [
                      {"name": "a", "image": "i1"}, {"name": "b", "image": "i2"}]}}}}
    assert cells(deployment, NOW) == ["d", "0/2", 0, 0, "<unknown>", "a,b", "i1,i2", ""]


def test_deployment_with_unreadable_selector():
    deployment = {"kind": "Deployment", "metadata": meta("d"),
                  "spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "Bad"}]}}}
    assert cells(deployment, NOW)[-1] == "<invalid>"


RS_CASES = [
    ("test-print-replica-set",
     {"kind": "ReplicaSet", "metadata": meta("test1", creationTimestamp=ts(NOW + 1.9)),
      "spec": {"replicas": 5, "selector": {"matchLabels": {"foo": "bar"}},
               "template": {"spec": {"containers": [{"name": "fake-container1", "image": "fake-image1"},
                                                    {"name": "fake-container2", "image": "fake-image2"}]}}},
      "status": {"replicas": 5, "readyReplicas": 2}},
     ["test1", 5, 5, 2, "0s", "fake-container1,fake-container2", "fake-image1,fake-image2",
      "foo=bar"]),
    ("no-selector", {"kind": "ReplicaSet", "metadata": meta("replicaset1"), "spec": {"replicas": 4},
                     "status": {"replicas": 3, "readyReplicas": 1}},
     ["replicaset1", 4, 3, 1, "<unknown>", "", "", "<none>"]),
    ("hash-selector", {"kind": "ReplicaSet", "metadata": meta("web-788bd89646", creationTimestamp=ts(NOW - 15)),
                       "spec": {"replicas": 0, "selector": {"matchLabels": {
                           "app": "web", "pod-template-hash": "788bd89646"}}},
                       "status": {"replicas": 0}},
     ["web-788bd89646", 0, 0, 0, "15s", "", "", "app=web,pod-template-hash=788bd89646"]),
]


@pytest.mark.parametrize("obj,want", [c[1:] for c in RS_CASES], ids=[c[0] for c in RS_CASES])
def test_replicaset_cells(obj, want):
    assert cells(obj, NOW) == want


# --- nodes: TestPrintNodeStatus / Role / OSImage / ExternalIP / InternalIP --------------------------

def node(name="foo", conditions=None, unschedulable=False, labels=None, addresses=None, info=None):
    obj = {"kind": "Node", "metadata": meta(name, labels=labels or {}),
           "spec": {"unschedulable": True} if unschedulable else {},
           "status": {"conditions": conditions or [], "addresses": addresses or [],
                      "nodeInfo": info or {}}}
    return obj


READY, NOT_READY = {"type": "Ready", "status": "True"}, {"type": "Ready", "status": "False"}
NODE_STATUS = [
    ("ready", node(conditions=[READY]), "Ready"),
    ("cordoned", node(conditions=[READY], unschedulable=True), "Ready,SchedulingDisabled"),
    ("duplicate-ready", node(conditions=[READY, READY]), "Ready"),
    ("not-ready", node(conditions=[NOT_READY]), "NotReady"),
    ("not-ready-cordoned", node(conditions=[NOT_READY], unschedulable=True),
     "NotReady,SchedulingDisabled"),
    ("other-condition", node(conditions=[{"type": "InvalidValue", "status": "True"}]), "Unknown"),
    ("empty-condition", node(conditions=[{}]), "Unknown"),
    ("other-cordoned", node(conditions=[{"type": "InvalidValue", "status": "True"}],
                            unschedulable=True), "Unknown,SchedulingDisabled"),
    ("unknown-status", node(conditions=[{"type": "Ready", "status": "Unknown"}]), "NotReady"),
    ("last-ready-wins", node(conditions=[READY, NOT_READY]), "NotReady"),
]


@pytest.mark.parametrize("obj,want", [c[1:] for c in NODE_STATUS], ids=[c[0] for c in NODE_STATUS])
def test_node_status(obj, want):
    assert node_status(obj) == want


@pytest.mark.parametrize("labels,want", [
    ({}, "<none>"),
    ({"node-role.kubernetes.io/master": "", "node-role.kubernetes.io/control-plane": "",
      "node-role.kubernetes.io/proxy": "", "kubernetes.io/role": "node"},
     "control-plane,master,node,proxy"),
    ({"kubernetes.io/role": "node"}, "node"),
    ({"node-role.kubernetes.io/": "", "kubernetes.io/role": ""}, "<none>"),
], ids=["none", "many", "legacy-label", "empty-role"])
def test_node_roles(labels, want):
    assert node_roles(node(labels=labels)) == want


NODE_WIDE = [
    ("os-image", node(info={"osImage": "fake-os-image"},
                      addresses=[{"type": "ExternalIP", "address": "1.1.1.1"}]),
     ["<none>", "1.1.1.1", "fake-os-image", "<unknown>", "<unknown>"]),
    ("kernel", node(info={"kernelVersion": "fake-kernel-version"},
                    addresses=[{"type": "ExternalIP", "address": "1.1.1.1"}]),
     ["<none>", "1.1.1.1", "<unknown>", "fake-kernel-version", "<unknown>"]),
    ("runtime", node(info={"containerRuntimeVersion": "foo://1.2.3"},
                     addresses=[{"type": "ExternalIP", "address": "1.1.1.1"}]),
     ["<none>", "1.1.1.1", "<unknown>", "<unknown>", "foo://1.2.3"]),
    ("internal-ip", node(addresses=[{"type": "InternalIP", "address": "1.1.1.1"}]),
     ["1.1.1.1", "<none>", "<unknown>", "<unknown>", "<unknown>"]),
    ("first-of-each", node(addresses=[{"type": "ExternalIP", "address": "2.2.2.2"},
                                      {"type": "InternalIP", "address": "3.3.3.3"},
                                      {"type": "ExternalIP", "address": "4.4.4.4"}]),
     ["3.3.3.3", "2.2.2.2", "<unknown>", "<unknown>", "<unknown>"]),
]


@pytest.mark.parametrize("obj,want", [c[1:] for c in NODE_WIDE], ids=[c[0] for c in NODE_WIDE])
def test_node_wide_cells(obj, want):
    assert cells(obj, NOW) == ["foo", "Unknown", "<none>", "<unknown>", "", *want]


# --- events: TestPrintEvent ----------------------------------------------------------------------------

def event(**fields):
    base = {"kind": "Event", "metadata": meta(fields.pop("name", "event1")),
            "involvedObject": {"kind": "Deployment", "name": "Deployment Name",
                               "fieldPath": "spec.containers{foo}"},
            "reason": "Event Reason", "message": "Message Data", "type": "Warning",
            "source": {"component": "kubelet", "host": "Node1"}}
    base.update(fields)
    return base


EVENT_CASES = [
    ("basic", event(type="Normal", source={"component": "kubelet"},
                    involvedObject={"kind": "Pod", "name": "Pod Name",
                                    "fieldPath": "spec.containers{foo}"},
                    firstTimestamp=ts(NOW - 3 * DAY), lastTimestamp=ts(NOW - 2 * DAY), count=6),
     ["2d", "Normal", "Event Reason", "pod/Pod Name", "spec.containers{foo}", "kubelet",
      "Message Data", "3d", 6, "event1"]),
    ("wide", event(name="event2", firstTimestamp=ts(NOW - 3 * DAY), lastTimestamp=ts(NOW - 2 * DAY),
                   count=6),
     ["2d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}",
      "kubelet, Node1", "Message Data", "3d", 6, "event2"]),
    ("no-first-timestamp", event(name="event3", eventTime=ts(NOW - 3 * DAY),
                                 lastTimestamp=ts(NOW - 3 * DAY), count=1),
     ["3d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}",
      "kubelet, Node1", "Message Data", "3d", 1, "event3"]),
    ("no-last-timestamp", event(name="event4", eventTime=ts(NOW - 3 * DAY),
                                firstTimestamp=ts(NOW - 3 * DAY), count=1),
     ["3d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}",
      "kubelet, Node1", "Message Data", "3d", 1, "event4"]),
    ("event-time-only", event(name="event5", eventTime=ts(NOW - 3 * DAY), count=1),
     ["3d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}",
      "kubelet, Node1", "Message Data", "3d", 1, "event5"]),
    ("series", event(name="event6", eventTime=ts(NOW - 3 * DAY),
                     series={"count": 2, "lastObservedTime": ts(NOW - 2 * DAY)}),
     ["2d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}",
      "kubelet, Node1", "Message Data", "3d", 2, "event6"]),
    ("singleton-without-count", event(name="event7", eventTime=ts(NOW - 3 * DAY)),
     ["3d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}",
      "kubelet, Node1", "Message Data", "3d", 1, "event7"]),
    ("reporting-controller-source", event(name="event2", source={}, reportingComponent="kubelet",
                                          reportingInstance="test",
                                          firstTimestamp=ts(NOW - 3 * DAY),
                                          lastTimestamp=ts(NOW - 2 * DAY), count=6),
     ["2d", "Warning", "Event Reason", "deployment/Deployment Name", "spec.containers{foo}",
      "kubelet, test", "Message Data", "3d", 6, "event2"]),
    ("no-times", event(name="e", count=1),
     ["<unknown>", "Warning", "Event Reason", "deployment/Deployment Name",
      "spec.containers{foo}", "kubelet, Node1", "Message Data", "<unknown>", 1, "e"]),
    ("unnamed-object-and-trimmed-message", event(
        involvedObject={"kind": "Node"}, message="  spaced \n", count=2,
        firstTimestamp=ts(NOW - 10), lastTimestamp=ts(NOW - 5)),
     ["5s", "Warning", "Event Reason", "node", "", "kubelet, Node1", "spaced", "10s", 2, "event1"]),
]


@pytest.mark.parametrize("obj,want", [c[1:] for c in EVENT_CASES], ids=[c[0] for c in EVENT_CASES])
def test_event_cells(obj, want):
    assert cells(obj, NOW) == want


# --- services: TestPrintService / TestPrintServiceLoadBalancer --------------------------------------

def service(kind="ClusterIP", ports=(), cluster_ips=("10.9.8.7",), selector=None, ingress=None,
            **spec):
    obj = {"kind": "Service", "metadata": meta("svc"),
           "spec": {"type": kind, "ports": list(ports), "clusterIPs": list(cluster_ips), **spec}}
    if selector:
        obj["spec"]["selector"] = selector
    if ingress is not None:
        obj["status"] = {"loadBalancer": {"ingress": ingress}}
    return obj


SERVICE_CASES = [
    ("cluster-ip", service(ports=[{"protocol": "tcp", "port": 2233}], selector={"foo": "bar"}),
     ["ClusterIP", "10.9.8.7", "<none>", "2233/tcp", "<unknown>", "foo=bar"]),
    ("node-port", service("NodePort", [{"protocol": "tcp", "port": 8888, "nodePort": 9999}]),
     ["NodePort", "10.9.8.7", "<none>", "8888:9999/tcp", "<unknown>", "<none>"]),
    ("load-balancer-pending", service("LoadBalancer", [{"protocol": "tcp", "port": 8888}]),
     ["LoadBalancer", "10.9.8.7", "<pending>", "8888/tcp", "<unknown>", "<none>"]),
    ("load-balancer-ips", service("LoadBalancer", [{"protocol": "TCP", "port": 80}],
                                  ingress=[{"ip": "3.4.5.6"}, {"ip": "2.3.4.5"}]),
     ["LoadBalancer", "10.9.8.7", "2.3.4.5,3.4.5.6", "80/TCP", "<unknown>", "<none>"]),
    ("load-balancer-not-clipped", service("LoadBalancer", [{"protocol": "TCP", "port": 80}],
                                          ingress=[{"ip": "2.3.4.5"}, {"ip": "3.4.5.6"},
                                                   {"ip": "5.6.7.8", "hostname": "host5678"}]),
     ["LoadBalancer", "10.9.8.7", "2.3.4.5,3.4.5.6,5.6.7.8", "80/TCP", "<unknown>", "<none>"]),
    ("load-balancer-and-external", service("LoadBalancer", [{"protocol": "TCP", "port": 80}],
                                           ingress=[{"hostname": "lb.example"}],
                                           externalIPs=["80.11.12.10"]),
     ["LoadBalancer", "10.9.8.7", "lb.example,80.11.12.10", "80/TCP", "<unknown>", "<none>"]),
    ("external-ips", service(ports=[{"protocol": "TCP", "port": 80}],
                             externalIPs=["80.11.12.10", "80.11.12.11"]),
     ["ClusterIP", "10.9.8.7", "80.11.12.10,80.11.12.11", "80/TCP", "<unknown>", "<none>"]),
    ("external-name", service("ExternalName", cluster_ips=(), externalName="my.database.example.com"),
     ["ExternalName", "<none>", "my.database.example.com", "<none>", "<unknown>", "<none>"]),
    ("headless", service(cluster_ips=("None",), ports=[{"port": 80}]),
     ["ClusterIP", "None", "<none>", "80/TCP", "<unknown>", "<none>"]),
    ("cluster-ip-only", service(cluster_ips=(), clusterIP="10.96.0.1", ports=[{"port": 443}]),
     ["ClusterIP", "10.96.0.1", "<none>", "443/TCP", "<unknown>", "<none>"]),
    ("unknown-type", service("Other"), ["Other", "10.9.8.7", "<unknown>", "<none>", "<unknown>",
                                        "<none>"]),
]


@pytest.mark.parametrize("obj,want", [c[1:] for c in SERVICE_CASES], ids=[c[0] for c in SERVICE_CASES])
def test_service_cells(obj, want):
    assert cells(obj, NOW) == ["svc", *want]


# --- endpoints, endpoint slices, namespaces ------------------------------------------------------------

ENDPOINTS_CASES = [
    ("none", [], "<none>"),
    ("ports", [{"addresses": [{"ip": "10.244.1.2"}, {"ip": "10.244.2.2"}],
                "ports": [{"port": 80}]}], "10.244.1.2:80,10.244.2.2:80"),
    ("headless", [{"addresses": [{"ip": "10.0.0.1"}]}], "10.0.0.1"),
    ("ipv6", [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 8080}]}], "[fd00::1]:8080"),
    ("more", [{"addresses": [{"ip": f"10.0.0.{i}"} for i in range(1, 6)],
               "ports": [{"port": 80}]}], "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more..."),
    ("no-addresses", [{"ports": [{"port": 80}]}], ""),
]


@pytest.mark.parametrize("subsets,want", [c[1:] for c in ENDPOINTS_CASES],
                         ids=[c[0] for c in ENDPOINTS_CASES])
def test_endpoints_cells(subsets, want):
    obj = {"kind": "Endpoints", "metadata": meta("web", creationTimestamp=ts(NOW - 130)),
           "subsets": subsets}
    assert cells(obj, NOW) == ["web", want, "2m10s"]


SLICE_CASES = [
    ("empty", [], [], "<unset>", "<unset>"),
    ("ports-and-addresses", [{"port": 80}, {"name": "https"}, {}],
     [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3"]}],
     "80,https,*", "10.0.0.1,10.0.0.2,10.0.0.3"),
    ("more", [{"port": p} for p in range(1, 6)],
     [{"addresses": [f"10.0.0.{i}"]} for i in range(1, 5)],
     "1,2,3 + 2 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more..."),
]


@pytest.mark.parametrize("ports,endpoints,port_cell,endpoint_cell", [c[1:] for c in SLICE_CASES],
                         ids=[c[0] for c in SLICE_CASES])
def test_endpointslice_cells(ports, endpoints, port_cell, endpoint_cell):
    obj = {"kind": "EndpointSlice", "metadata": meta("web-abc"), "addressType": "IPv4",
           "ports": ports, "endpoints": endpoints}
    assert cells(obj, NOW) == ["web-abc", "IPv4", port_cell, endpoint_cell, "<unknown>"]


@pytest.mark.parametrize("obj,want", [
    ({"kind": "Namespace", "metadata": meta("namespace1", creationTimestamp=ts(NOW + 1.9)),
      "status": {"phase": "FooStatus"}}, ["namespace1", "FooStatus", "0s"]),
    ({"kind": "Namespace", "metadata": meta("namespace2")}, ["namespace2", "", "<unknown>"]),
], ids=["with-status", "bare"])
def test_namespace_cells(obj, want):
    """TestPrintNamespace (a creation time 1.9 s ahead still reads 0s)."""
    assert cells(obj, NOW) == want


# --- the Table object ------------------------------------------------------------------------------------

NAMESPACE = {"kind": "Namespace", "apiVersion": "v1",
             "metadata": {"name": "default", "uid": "u", "creationTimestamp": ts(NOW - 60),
                          "labels": {"kubernetes.io/metadata.name": "default"}},
             "status": {"phase": "Active"}}


@pytest.mark.parametrize("include,expected", [
    ("Metadata", {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                  "metadata": NAMESPACE["metadata"]}),
    ("Object", NAMESPACE),
    ("None", None),
])
def test_table_row_objects(include, expected):
    got = table("Namespace", [NAMESPACE], NOW, include_object=include, resource_version="12")
    assert list(got) == ["kind", "apiVersion", "metadata", "columnDefinitions", "rows"]
    assert got["metadata"] == {"resourceVersion": "12"}
    assert got["rows"] == [{"cells": ["default", "Active", "60s"], "object": expected}]


def test_table_without_headers_and_with_continue():
    got = table("Namespace", [NAMESPACE], NOW, headers=False, continue_token="c1")
    assert got["columnDefinitions"] is None
    assert got["metadata"] == {"continue": "c1"}


def test_table_refuses_unknown_include_object():
    with pytest.raises(StatusError) as raised:
        table("Namespace", [NAMESPACE], NOW, include_object="All")
    assert raised.value.status["code"] == 400
    assert raised.value.status["message"] == 'unrecognized includeObject value: "All"'


# --- a simulation's objects, as kubectl's own text views print them --------------------------------------

@pytest.fixture(scope="module")
def rolled_out():
    cluster = Cluster(seed=7)
    cluster.apply(DEPLOYMENT_YAML)
    cluster.advance(30)
    cluster.set_image("web", "app", "nginx:1.16.1")
    cluster.advance(6)
    return cluster


DEPLOYMENT_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.14.2
"""


@pytest.mark.parametrize("kind,text_kind", [("Deployment", "deployment"), ("ReplicaSet", "rs"),
                                            ("Pod", "pods"), ("Node", "nodes"), ("Event", "events")])
def test_simulation_tables_match_the_text_views(rolled_out, kind, text_kind):
    """The narrow cells of every row are the columns ``kubectl get`` prints for the same
    objects (the text view pads them into columns)."""
    store_kind = {"Deployment": "deployment", "ReplicaSet": "replicaset", "Pod": "pod",
                  "Node": "node", "Event": "event"}[kind]
    objects = list(rolled_out.list(store_kind))
    if kind != "Event":
        objects.sort(key=lambda o: o["metadata"]["name"])
    got = table(kind, objects, rolled_out.now)
    narrow = [i for i, c in enumerate(got["columnDefinitions"]) if c["priority"] == 0]
    rows = [[str(row["cells"][i]) for i in narrow] for row in got["rows"]]
    lines = get_text(rolled_out, text_kind).splitlines()[1:]
    assert len(rows) == len(lines) > 0
    for row, line in zip(rows, lines):
        assert line.split() == " ".join(row).split()
