"""The default scheduler, reduced to what a rollout shows: bind each pending pod to a Ready,
schedulable (not cordoned) node with the fewest pods (the spreading scores), ties broken by
the seeded generator."""
from __future__ import annotations

from simulator.store import NAMESPACE, Store

COMPONENT = "default-scheduler"
UNSCHEDULABLE = "node(s) were unschedulable"
UNREACHABLE = "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"


def schedule(store: Store, name: str) -> None:
    """Bind one pending pod, or report why it cannot be placed (it stays Pending)."""
    pod = store.pods.get(name)
    if pod is None or pod.node is not None or pod.deletion_time is not None:
        return
    # the Ready, schedulable nodes with the fewest pods, in node order, in one pass
    best: list = []
    fewest = 0
    for n in store.nodes.values():
        if n.ready and n.unschedulable_since is None:
            count = len(n.pods)
            if not best or count < fewest:
                best, fewest = [n], count
            elif count == fewest:
                best.append(n)
    if not best:
        store.record_event("Pod", pod, "Warning", "FailedScheduling",
                           no_node_message(store.nodes.values()), COMPONENT)
        return
    node = best[0] if len(best) == 1 else best[store.rng.randrange(len(best))]
    pod.node = node.name
    pod.scheduled_at = store.time
    node.pods[pod.name] = None
    store.record_event("Pod", pod, "Normal", "Scheduled",
                       f"Successfully assigned {NAMESPACE}/{pod.name} to {node.name}", COMPONENT)
    store.changed("Pod", pod)
    store.wake_pod(pod)


def no_node_message(nodes) -> str:
    """The FitError when no node fits: per filter reason the nodes it ruled out (the first
    failing filter counts: NodeUnschedulable before TaintToleration), sorted as strings;
    none of them can be helped by preemption."""
    reasons: dict[str, int] = {}
    for n in nodes:
        reason = (UNSCHEDULABLE if n.unschedulable_since is not None
                  else UNREACHABLE if not n.ready else None)
        if reason:
            reasons[reason] = reasons.get(reason, 0) + 1
    total = len(nodes)
    counted = ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
    return (f"0/{total} nodes are available: {counted}. preemption: 0/{total} nodes are "
            f"available: {total} Preemption is not helpful for scheduling.")


def retry_pending(store: Store) -> None:
    """A node became schedulable: try every unbound pod again."""
    for pod in store.pods.values():
        if pod.node is None and pod.deletion_time is None:
            store.enqueue("scheduler", pod.name)
