"""What the cluster is waiting for, and until when: the timers a learner cannot see.

Each countdown is read from the state the controllers and the kubelet keep (probe workers'
grids, back-off entries, the minReadySeconds start, the Progressing condition's time, a
NotReady node's toleration, a terminating pod's grace period), never from a second copy of
their rules, so a countdown ends exactly when the engine acts.
"""
from __future__ import annotations

from simulator.controllers import node_lifecycle
from simulator.controllers.deployment import conditions as cond
from simulator.controllers.deployment import rollout_math as rm
from simulator.kubelet import backoff, probes
from simulator.objects import NAMESPACE
from simulator.store import Store
from simulator.timers import seconds

# what a countdown is about
MIN_READY = "minReadySeconds"
PROBE = "probe"
CRASH_LOOP = "CrashLoopBackOff"
IMAGE_PULL = "ImagePullBackOff"
GRACE = "terminationGracePeriodSeconds"
PROGRESS_DEADLINE = "progressDeadlineSeconds"
NODE_EVICTION = "tolerationSeconds"


def _countdown(kind: str, name: str, what: str, since: int | None, at: int, note: str,
               **extra) -> dict:
    return {"kind": kind, "name": name, "what": what,
            "since": None if since is None else seconds(since), "at": seconds(at),
            "note": note, **extra}


def countdowns(store: Store) -> list[dict]:
    """Every running countdown, soonest first (ties in object order):
    ``{"kind", "name", "what", "since", "at", "note", ...}`` with times in simulated seconds;
    probes add ``"container"``, ``"probe"``, ``"run"`` and ``"threshold"``."""
    out: list[dict] = []
    for pod in store.pods.values():
        out.extend(_pod(store, pod))
    for d in store.deployments.values():
        out.extend(_deployment(store, d))
    for node in store.nodes.values():
        if not node.ready:
            at = node.ready_since + node_lifecycle.EVICTION_MS
            out.append(_countdown("Node", node.name, NODE_EVICTION, node.ready_since, at,
                                  "its pods are evicted when the NoExecute toleration "
                                  f"({node_lifecycle.EVICTION_MS // 1000} s) runs out"))
    out.sort(key=lambda c: c["at"])
    return out


def _pod(store: Store, pod) -> list[dict]:
    if pod.deletion_time is not None:
        # the kubelet stops it when its process exits (terminate_at), the grace period at most
        at = pod.terminate_at if pod.terminate_at is not None else \
            pod.deletion_time + (pod.grace or 0) * 1000
        return [_countdown("Pod", pod.name, GRACE, pod.deletion_time, at,
                           f"stopped by then: its process exits or the grace period "
                           f"({pod.grace} s) ends")]
    out = []
    if pod.ready and not pod.available:
        rs = store.replicasets.get(pod.rs) if pod.rs else None
        min_ready = rs.min_ready_seconds if rs is not None else 0
        if min_ready > 0:
            out.append(_countdown("Pod", pod.name, MIN_READY, pod.ready_since,
                                  pod.ready_since + min_ready * 1000,
                                  f"available once ready for {min_ready} s"))
    for c in pod.containers:
        out.extend(_container(store, pod, c))
    return out


def _container(store: Store, pod, c) -> list[dict]:
    out = []
    if c.state == "waiting" and c.reason == "CrashLoopBackOff" and c.finished_at is not None:
        key = backoff.restart_key(pod.name, NAMESPACE, pod.uid, c.name)
        at = store.restart_backoff.release_at(key, c.finished_at)
        out.append(_countdown("Pod", pod.name, CRASH_LOOP, c.finished_at, at,
                              f"container {c.name} restarts after its back-off "
                              f"({(at - c.finished_at) // 1000} s)", container=c.name))
    elif c.state == "waiting" and c.reason == "ImagePullBackOff":
        at = store.pull_backoff.release_at(backoff.pull_key(pod.uid, c.image))
        if at is not None:
            out.append(_countdown("Pod", pod.name, IMAGE_PULL, None, at,
                                  f"the kubelet pulls {c.image} again", container=c.name))
    if c.state != "running":
        return out
    for probe_type, worker in c.probes.items():
        at = worker.next_run_at()
        if at is None or worker.on_hold:
            continue
        # a streak of results other than the current one flips it at the threshold
        failing = worker.last_result == probes.FAILURE
        threshold = worker.spec["failureThreshold" if failing else "successThreshold"]
        run = worker.result_run if worker.last_result not in (None, worker.result) else 0
        out.append(_countdown(
            "Pod", pod.name, PROBE, None, at,
            f"{probe_type} probe of {c.name} runs every {worker.period // 1000} s"
            + (f"; {run} of {threshold} {'failures' if failing else 'successes'} in a row"
               if run else ""),
            container=c.name, probe=probe_type, run=run, threshold=threshold))
    return out


def _deployment(store: Store, d) -> list[dict]:
    deadline = d.spec.get("progressDeadlineSeconds")
    progressing = cond.get_condition(d.status.get("conditions"), cond.PROGRESSING)
    if (not rm.has_progress_deadline(deadline) or progressing is None or d.spec.get("paused")
            or progressing.get("reason") in (rm.NEW_RS_AVAILABLE_REASON, rm.TIMED_OUT_REASON)):
        return []
    since = progressing["last_update_time"]
    return [_countdown("Deployment", d.name, PROGRESS_DEADLINE, since, since + deadline * 1000,
                       f"ProgressDeadlineExceeded if nothing progresses in {deadline} s")]
