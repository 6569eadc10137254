"""Objects as `kubectl get -o yaml` prints them: JSON-like dicts rendered from the engine's
internal objects, only when someone asks (a step's change records, get, list).

Rendered dicts share no mutable state with the engine except the pod spec's nested
container definitions, which the engine never changes; treat results as read-only.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from hashlib import sha256
from typing import TYPE_CHECKING

from simulator.objects import NAMESPACE, Container, Deployment, Node, Pod, ReplicaSet
from simulator.timers import rfc3339

if TYPE_CHECKING:   # the store renders events as they are written: no import at run time
    from simulator.store import Store

_CONDITION_KEYS = {"type": "type", "status": "status", "reason": "reason", "message": "message",
                   "last_update_time": "lastUpdateTime",
                   "last_transition_time": "lastTransitionTime"}
_TIME_KEYS = ("last_update_time", "last_transition_time")
_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
     "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
     "tolerationSeconds": 300},
]


def _conditions(conditions: list[dict]) -> list[dict]:
    return [{_CONDITION_KEYS[k]: (rfc3339(v) if k in _TIME_KEYS else v) for k, v in c.items()}
            for c in conditions]


def _meta(store: Store, obj, extra: dict | None = None) -> dict:
    meta = {"name": obj.name, "namespace": NAMESPACE, "uid": obj.uid,
            "resourceVersion": str(store.version_of(obj)),
            "creationTimestamp": rfc3339(obj.created)}
    labels = getattr(obj, "labels", None)
    if labels:
        meta["labels"] = dict(labels)
    annotations = getattr(obj, "annotations", None)
    if annotations:
        meta["annotations"] = dict(annotations)
    if extra:
        meta.update(extra)
    return meta


def deployment(store: Store, d: Deployment) -> dict:
    """apps/v1 Deployment."""
    s = d.status
    status = {"observedGeneration": s["observed_generation"], "replicas": s["replicas"],
              "updatedReplicas": s["updated_replicas"], "readyReplicas": s["ready_replicas"],
              "availableReplicas": s["available_replicas"],
              "unavailableReplicas": s["unavailable_replicas"],
              "conditions": _conditions(s.get("conditions", []))}
    if "collision_count" in s:
        status["collisionCount"] = s["collision_count"]
    # the API omits zero counts (omitempty), as kubectl shows them
    status = {k: v for k, v in status.items() if v}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": _meta(store, d, {"generation": d.generation}),
            "spec": copy.deepcopy(d.spec), "status": status}


def replicaset(store: Store, rs: ReplicaSet) -> dict:
    """apps/v1 ReplicaSet, with its controller ownerReference when a Deployment owns it."""
    extra = {"generation": rs.generation}
    if rs.owner:
        extra["ownerReferences"] = controller_reference("Deployment", rs.owner, rs.owner_uid)
    spec = {"replicas": rs.replicas, "selector": copy.deepcopy(rs.selector),
            "template": copy.deepcopy(rs.template)}
    if rs.min_ready_seconds:
        spec["minReadySeconds"] = rs.min_ready_seconds
    s = rs.status
    status = {"replicas": s["replicas"], "fullyLabeledReplicas": s["fully_labeled_replicas"],
              "readyReplicas": s["ready_replicas"], "availableReplicas": s["available_replicas"],
              "observedGeneration": s["observed_generation"]}
    status = {k: v for k, v in status.items() if v or k == "replicas"}   # replicas: no omitempty
    if rs.conditions:
        status["conditions"] = _conditions(rs.conditions)
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": _meta(store, rs, extra),
            "spec": spec, "status": status}


def pod(store: Store, p: Pod) -> dict:
    """core/v1 Pod: spec from the ReplicaSet's template, status from the kubelet."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": _pod_meta(store, p),
            "spec": _pod_spec(store, p), "status": _pod_status(store, p)}


def _pod_meta(store: Store, p: Pod) -> dict:
    # a pod's metadata changes rarely (deleted, its grace shortened, orphaned, adopted):
    # renders share all of it but the resourceVersion
    memo = p.rendered_meta
    if memo is None or memo[0] != (p.deletion_time, p.grace, p.rs_uid):
        meta = {"name": p.name, "generateName": p.generate_name, "namespace": NAMESPACE,
                "uid": p.uid,
                "creationTimestamp": rfc3339(p.created), "labels": dict(p.labels)}
        if p.rs_uid is not None:   # an orphan has none
            meta["ownerReferences"] = _owner_references(p.rs, p.rs_uid)
        if p.annotations:
            meta["annotations"] = dict(p.annotations)
        if p.deletion_time is not None:
            meta["deletionTimestamp"] = rfc3339(p.deletion_time + (p.grace or 0) * 1000)
            meta["deletionGracePeriodSeconds"] = p.grace
        memo = p.rendered_meta = ((p.deletion_time, p.grace, p.rs_uid), meta)
    meta = memo[1].copy()
    # store.version_of, inlined: every pod record renders this
    meta["resourceVersion"] = str(p.resource_version if p.recorded_in != store.change_batch
                                  else store.batch_version())
    return meta


def controller_reference(kind: str, name: str, uid: str) -> list:
    """The ownerReferences a controller sets on what it creates (a new list)."""
    return [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid,
             "controller": True, "blockOwnerDeletion": True}]


@lru_cache(maxsize=1024)
def _owner_references(rs: str, rs_uid: str) -> list:
    return controller_reference("ReplicaSet", rs, rs_uid)


def _pod_spec(store: Store, p: Pod) -> dict:
    # pods of one ReplicaSet on one node have the same spec: render it once
    key = (p.rs, p.node)
    cached = store.render_cache.get(key)
    if cached is not None and cached[0] is p.spec:
        return cached[1]
    spec = dict(p.spec)
    spec.setdefault("tolerations", _TOLERATIONS)
    if p.node:
        spec["nodeName"] = p.node
    store.render_cache[key] = (p.spec, spec)
    return spec


def _pod_status(store: Store, p: Pod) -> dict:
    status: dict = {"phase": p.phase, "qosClass": "BestEffort"}
    if p.reason:
        status["reason"] = p.reason
    if p.message:
        status["message"] = p.message
    if p.admitted_at is not None:
        sandbox_ready = False
        not_ready = []
        for c in p.containers:
            if c.container_id:
                sandbox_ready = True
            if not c.ready:
                not_ready.append(c.name)
        status["conditions"] = _pod_conditions(sandbox_ready, p.admitted_at, p.initialized_at,
                                               p.ready, p.ready_since, " ".join(not_ready),
                                               p.scheduled_at)
    elif p.scheduled_at is not None:
        status["conditions"] = _pod_conditions(scheduled_at=p.scheduled_at)
    if p.node:
        status["hostIP"] = _host_ip(store.nodes[p.node].index)
    if p.ip:
        status["podIP"] = p.ip
        status["podIPs"] = _pod_ips(p.ip)
    if p.admitted_at is not None:
        status["startTime"] = rfc3339(p.admitted_at)
        status["containerStatuses"] = list(map(_container_status, p.containers))
    return status


@lru_cache(maxsize=1024)
def _pod_ips(ip: str) -> list:
    # a node hands out at most 253 addresses in turn: one shared (read-only) list each
    return [{"ip": ip}]


@lru_cache(maxsize=4096)
def _pod_conditions(sandbox_ready=False, admitted_at=None, initialized_at=None, ready=False,
                    ready_since=None, not_ready="", scheduled_at=None) -> list:
    """A pod's conditions; pods started together have the same ones, so one list (read-only)
    serves them all."""
    conditions = []
    if admitted_at is not None:
        conditions += [_pod_condition("PodReadyToStartContainers", sandbox_ready, admitted_at),
                       _pod_condition("Initialized", True, initialized_at),
                       _pod_condition("Ready", ready, ready_since, not_ready),
                       _pod_condition("ContainersReady", ready, ready_since, not_ready)]
    if scheduled_at is not None:
        conditions.append(_pod_condition("PodScheduled", True, scheduled_at))
    return conditions


def _pod_condition(type_: str, ok: bool, since: int, not_ready: str = "") -> dict:
    c = {"type": type_, "status": "True" if ok else "False", "lastProbeTime": None,
         "lastTransitionTime": rfc3339(since)}
    if not ok and type_ in ("Ready", "ContainersReady"):
        c["reason"] = "ContainersNotReady"
        c["message"] = f"containers with unready status: [{not_ready}]"
    return c


def _terminated(exit_code, reason, started_at, finished_at, container_id) -> dict:
    t = {"exitCode": exit_code, "reason": reason, "startedAt": rfc3339(started_at),
         "finishedAt": rfc3339(finished_at)}
    if container_id:
        t["containerID"] = container_id
    return {"terminated": t}


@lru_cache(maxsize=4096)
def _running(started_at: int) -> dict:
    return {"running": {"startedAt": rfc3339(started_at)}}


@lru_cache(maxsize=1024)
def _waiting(reason: str, message: str | None) -> dict:
    waiting = {"reason": reason}
    if message:
        waiting["message"] = message
    return {"waiting": waiting}


def _container_status(c: Container) -> dict:
    # running and waiting states are shared between containers (read-only)
    if c.state == "running":
        state = _running(c.started_at)
    elif c.state == "terminated":
        state = _terminated(c.exit_code, c.reason, c.started_at, c.finished_at, c.container_id)
    else:
        state = _waiting(c.reason, c.message)
    last = {}
    if c.last_state:
        ls = c.last_state
        last = _terminated(ls["exit_code"], ls["reason"], ls["started_at"], ls["finished_at"],
                           ls["container_id"])
    status = {"name": c.name, "image": c.image, "imageID": "", "ready": c.ready,
              "started": c.started, "restartCount": c.restart_count, "state": state,
              "lastState": last}
    if c.container_id:
        status["containerID"] = c.container_id
        status["imageID"] = _image_id(c.image)
    return status


@lru_cache(maxsize=1024)
def _image_id(image: str) -> str:
    name = image.split(":", 1)[0]
    if "/" not in name:
        name = "library/" + name
    # a stable stand-in digest (Python's hash() is salted per process)
    return f"docker.io/{name}@sha256:" + sha256(image.encode()).hexdigest()


@lru_cache(maxsize=256)
def _host_ip(node_index: int) -> str:
    return f"172.18.0.{node_index + 1}"


_NODE_PRESSURES = (("MemoryPressure", "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available"),
                   ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                   ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"))
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"


def node(store: Store, n: Node) -> dict:
    """core/v1 Node: Ready, or Unknown with the unreachable taints while its kubelet is away;
    cordoned nodes carry the unschedulable taint the node lifecycle controller adds."""
    since = rfc3339(n.ready_since)
    if n.ready:
        conditions = [{"type": kind, "status": "False", "reason": reason, "message": message}
                      for kind, reason, message in _NODE_PRESSURES]
        conditions.append({"type": "Ready", "status": "True", "reason": "KubeletReady",
                           "message": "kubelet is posting ready status"})
    else:   # the node lifecycle controller marks every condition Unknown
        conditions = [{"type": kind, "status": "Unknown", "reason": "NodeStatusUnknown",
                       "message": "Kubelet stopped posting node status."}
                      for kind in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")]
    for condition in conditions:
        condition["lastHeartbeatTime"] = condition["lastTransitionTime"] = since
    spec: dict = {"podCIDR": f"10.244.{n.index}.0/24", "podCIDRs": [f"10.244.{n.index}.0/24"]}
    taints = []   # (added, taint): the controller appends each as it adds it
    if n.unschedulable_since is not None:
        spec["unschedulable"] = True
        taints.append((n.unschedulable_since, {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule",
                                               "timeAdded": rfc3339(n.unschedulable_since)}))
    if not n.ready:
        taints += [(n.ready_since, {"key": UNREACHABLE_TAINT, "effect": effect, "timeAdded": since})
                   for effect in ("NoSchedule", "NoExecute")]
    if taints:
        spec["taints"] = [taint for _, taint in sorted(taints, key=lambda t: t[0])]
    meta = _meta(store, n)
    del meta["namespace"]   # nodes are cluster-scoped
    resources = {"cpu": "4", "ephemeral-storage": "100Gi", "memory": "8Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec,
            "status": {"capacity": resources, "allocatable": dict(resources),
                       "conditions": conditions,
                       "addresses": [{"type": "InternalIP", "address": _host_ip(n.index)},
                                     {"type": "Hostname", "address": n.name}],
                       "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                       "nodeInfo": _node_info(n.uid)}}


@lru_cache(maxsize=64)
def _node_info(uid: str) -> dict:
    """What the kubelet reports about its machine; the IDs are derived from the node's UID
    (every field is required by the API's OpenAPI schema, so clients that check it, such
    as the official Python client, read the node)."""
    def ids(purpose: str) -> str:
        return sha256(f"{uid}/{purpose}".encode()).hexdigest()
    boot, system = ids("boot"), ids("system")
    return {"machineID": ids("machine")[:32],
            "systemUUID": f"{system[:8]}-{system[8:12]}-{system[12:16]}-{system[16:20]}-{system[20:32]}",
            "bootID": f"{boot[:8]}-{boot[8:12]}-{boot[12:16]}-{boot[16:20]}-{boot[20:32]}",
            "kernelVersion": "6.8.0-1015-gcp", "osImage": "Debian GNU/Linux 12 (bookworm)",
            "containerRuntimeVersion": "containerd://1.7.18", "kubeletVersion": "v1.31.0",
            "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"}


_API_VERSIONS = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "Pod": "v1", "Node": "v1"}


def event(seq: int, name: str, involved: dict, type_: str, reason: str, message: str,
          component: str, host: str | None, first: int) -> dict:
    """core/v1 Event as the event recorder first writes it (count 1, at `first`); a later
    write of it is event_update() of this. `involved` is its involvedObject(); the UID is
    spread from the sequence number `seq` (no draw from the cluster's RNG): one of 256
    fixed random-looking heads, then 48 bits that are a bijection of `seq` (so UIDs stay
    unique), cheap enough for tens of thousands of events."""
    first_s = rfc3339(first)
    ev = _event_template(type_, reason, component, host).copy()
    ev["metadata"] = {"name": name, "namespace": NAMESPACE,
                      "uid": _UID_HEADS[seq & 0xFF]
                      + "%012x" % (seq * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFF),
                      "creationTimestamp": first_s}
    ev["involvedObject"] = involved
    ev["message"] = message
    ev["firstTimestamp"] = ev["lastTimestamp"] = first_s
    return ev


@lru_cache(maxsize=1024)
def _event_template(type_: str, reason: str, component: str, host: str | None) -> dict:
    # the keys in the order the API writes them, and what one source's events of one type
    # and reason share; copying it costs less than building all the keys anew
    return {"apiVersion": "v1", "kind": "Event", "metadata": None, "involvedObject": None,
            "reason": reason, "message": None,
            "source": {"component": component, "host": host} if host else {"component": component},
            "firstTimestamp": None, "lastTimestamp": None, "count": 1,
            "type": type_, "eventTime": None, "reportingComponent": component,
            "reportingInstance": host or ""}


def event_update(first_write: dict, count: int, last: int, message: str) -> dict:
    """A later write of an event: its first write with the new count, time and message
    (a new dict, keys in the same order; the first one stays as it was)."""
    return {**first_write, "metadata": first_write["metadata"].copy(), "message": message,
            "lastTimestamp": rfc3339(last), "count": count}


def involved_object(kind: str, obj, field_path: str | None) -> dict:
    """An event's involvedObject. A pod keeps its last one, shared read-only by its next
    events with the same field path: they come in runs (Scheduled, then its container's
    Pulling, Pulled, Created, Started, ...). The few events of other kinds each get their own."""
    if kind != "Pod":
        return involved_object_of(kind, obj.name, obj.uid, field_path)
    memo = obj.rendered_involved
    if memo is None or memo[0] != field_path:
        memo = obj.rendered_involved = (field_path, involved_object_of(kind, obj.name, obj.uid,
                                                                       field_path))
    return memo[1]


def involved_object_of(kind: str, name: str, uid: str, field_path: str | None) -> dict:
    """The involvedObject naming an object of `kind` by name and UID."""
    involved = {"apiVersion": _API_VERSIONS[kind], "kind": kind, "name": name, "uid": uid}
    if kind != "Node":
        involved["namespace"] = NAMESPACE
    if field_path:
        involved["fieldPath"] = field_path
    return involved


def _uid_head(i: int) -> str:
    h = sha256(b"rolloutviz-event-%d" % i).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-"


_UID_HEADS = [_uid_head(i) for i in range(256)]


RENDERERS = {"Deployment": deployment, "ReplicaSet": replicaset, "Pod": pod, "Node": node}


def render(store: Store, kind: str, obj) -> dict:
    """Render any engine object of `kind` (events are kept as they were written)."""
    return RENDERERS[kind](store, obj)
