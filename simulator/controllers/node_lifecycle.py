"""Node health: a node whose kubelet stops reporting turns NotReady, its pods lose
readiness, and after the NoExecute toleration (300 s) they are evicted and replaced."""
from __future__ import annotations

from simulator.controllers import scheduler
from simulator.kubelet import kubelet
from simulator.store import NAMESPACE, Store

COMPONENT = "node-controller"
EVICTION_COMPONENT = "taint-eviction-controller"
# DefaultTolerationSeconds admission gives every pod 300 s for not-ready/unreachable taints
EVICTION_MS = 300_000


def set_ready(store: Store, name: str, ready: bool) -> None:
    """Mark a node Ready again or NotReady (its kubelet stopped posting status)."""
    node = store.nodes[name]
    if node.ready == ready:
        return
    node.ready = ready
    node.ready_since = store.time
    store.changed("Node", node)
    status = "NodeReady" if ready else "NodeNotReady"
    store.record_event("Node", node, "Normal", status,
                       f"Node {name} status is now: {status}", COMPONENT)
    pods = [store.pods[n] for n in node.pods]
    if ready:
        for pod in pods:
            pod.not_ready_by_node = False
            store.wake_pod(pod)   # the kubelet syncs its pods again
        scheduler.retry_pending(store)
        return
    for pod in pods:
        pod.not_ready_by_node = True
        store.record_event("Pod", pod, "Warning", "NodeNotReady", "Node is not ready", COMPONENT)
        kubelet.set_ready(store, pod, False)
    store.timers.schedule(store.time + EVICTION_MS, "evict", name)


def on_evict_timer(store: Store, name: str, due: int) -> None:
    """The pods' toleration ran out: delete them (they stay Terminating while the node is down)."""
    node = store.nodes.get(name)
    if node is None or node.ready or node.ready_since + EVICTION_MS != due:
        return   # the node came back, or went down again later: a later timer evicts
    for pod_name in list(node.pods):
        pod = store.pods[pod_name]
        if pod.deletion_time is None:
            store.record_event("Pod", pod, "Normal", "TaintManagerEviction",
                               f"Marking for deletion Pod {NAMESPACE}/{pod.name}",
                               EVICTION_COMPONENT)
            store.delete_pod(pod)
