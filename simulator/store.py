"""The cluster's object store: objects, the work queue, the timer queue, change log, events.

Controllers and the kubelet mutate objects through the store's helpers so that change
records, RS pod counters and work-queue entries stay consistent.
"""
from __future__ import annotations

import math
import random
from collections import deque

from simulator.api import render
from simulator.errors import EngineStuck
from simulator.event_correlator import EventCorrelator
from simulator.names import new_uid
from simulator.objects import NAMESPACE, Deployment, Node, Pod, ReplicaSet
from simulator.timers import EPOCH, TimerQueue, seconds

_EPOCH_NS = int(EPOCH.timestamp()) * 1_000_000_000
EVENT_TTL_MS = 3_600_000            # kube-apiserver --event-ttl default (1 h)
# How often one cause (a command, or the timers of one instant) may make a controller look
# at one object. Every pass either writes (and so moves a size or a status towards its
# target, waking whoever reads it) or ends that object's chain. A rollout's writes per
# cause are a few per ReplicaSet plus one per burst of pod creations, which the pod budget
# bounds; past this the controllers are not converging.
PASSES_PER_CAUSE = 64
PASSES_PER_REPLICASET = 4
PASSES_PER_BURST = 4


class Store:
    """All state of one simulated cluster. Instants and durations are integer milliseconds
    (timers.py)."""

    def __init__(self, seed: int, tick_ms: int, catalogue, restart_backoff, pull_backoff,
                 pod_budget: int):
        self.seed = seed
        self.tick = tick_ms
        self.pod_budget = pod_budget     # Σ replicas + maxSurge the API admits (api/pod_budget.py)
        self.steps = 0                   # completed ticks; time = steps * tick between steps
        self.time = 0
        self.catalogue = catalogue       # images.ImageCatalogue: how each image behaves
        self.restart_backoff = restart_backoff   # backoff.RestartBackoff (kubelet)
        self.pull_backoff = pull_backoff         # backoff.ImagePullBackoff (kubelet)
        self.rng = random.Random(seed)
        self.deployments: dict[str, Deployment] = {}
        self.replicasets: dict[str, ReplicaSet] = {}
        self.pods: dict[str, Pod] = {}
        self.nodes: dict[str, Node] = {}
        self.orphans: set[str] = set()   # names of pods no ReplicaSet owns (derived, not state)
        # the events as last written to the API, in creation order; None holds the place of
        # one the spam filter has not let through yet (it does not exist for kubectl)
        self.events: dict[str, dict | None] = {}
        self.event_seq = 0
        self._nano = (None, 0)   # (time, its Unix nanoseconds): events come in bursts per instant
        self.correlators: dict[tuple, EventCorrelator] = {}   # (component, host) -> its own
        self.event_expiry: deque = deque()   # [expiry time, event name, that write], time order
        self.timers = TimerQueue()
        self.queue: deque = deque()
        self.queued: set = set()
        self.changes: list = []
        self.change_batch = 0   # objects note the batch their record is in (recorded_in)
        # resourceVersions: each batch of change records (a step, or a command's changes) is
        # published under one version; objects keep the version of their last change
        self.resource_version = 0        # the version of the last batch handed over
        self.open_version: int | None = None   # the open batch's version, once a caller named it
        self.recorded_twice: set = set()   # ids of objects with two records in the batch
        # per Deployment uid, the last explanation recorded (controllers/deployment/explain.py)
        self.explanations: dict[str, dict] = {}
        self._behaviors: dict = {}      # image -> ImageBehavior, a cache of catalogue lookups
        self.render_cache: dict = {}    # render.py's shared read-only pieces (not state)

    def behavior(self, image: str):
        """How `image` behaves (the catalogue's answer, cached)."""
        found = self._behaviors.get(image)
        if found is None:
            found = self._behaviors[image] = self.catalogue.lookup(image)
        return found

    def forget_behaviors(self) -> None:
        """The catalogue changed: look images up again."""
        self._behaviors.clear()

    # --- work queue -------------------------------------------------------------------
    def enqueue(self, controller: str, name: str) -> None:
        """Ask `controller` ("deployment", "replicaset", "scheduler") to look at `name`."""
        key = (controller, name)
        if key not in self.queued:
            self.queued.add(key)
            self.queue.append(key)

    def drain(self, handlers: dict, burst: int) -> None:
        """Run queued controller work until nothing is left, as the real controllers
        react to each other's writes within milliseconds.

        One drain is one cause's consequences; a controller that looks at one object more
        often than `passes_allowed(burst)` is not converging: EngineStuck names it."""
        queue, queued = self.queue, self.queued
        passes: dict = {}
        allowed = PASSES_PER_CAUSE   # raised to the exact bound only when a busy key reaches it
        while queue:
            key = queue.popleft()
            queued.discard(key)
            count = passes.get(key, 0) + 1
            passes[key] = count
            if count > allowed:
                allowed = self.passes_allowed(burst)
                if count > allowed:
                    kind = {"deployment": "Deployment", "replicaset": "ReplicaSet"}.get(key[0], "Pod")
                    raise EngineStuck(kind, key[1], f"{key[0]} controller", self.time,
                                      f"looked at it {count} times for one cause "
                                      f"(at most {allowed}) without settling")
            handlers[key[0]](self, key[1])

    def passes_allowed(self, burst: int) -> int:
        """The most passes one cause may need over one object: PASSES_PER_CAUSE, plus a few
        per ReplicaSet and per `burst` pods any ReplicaSet may have to create (the pod
        budget, or more if a restored simulation already holds more)."""
        replicas = sum(rs.replicas for rs in self.replicasets.values())
        bursts = math.ceil(max(self.pod_budget, replicas) / burst)
        return (PASSES_PER_CAUSE + PASSES_PER_REPLICASET * len(self.replicasets)
                + PASSES_PER_BURST * bursts)

    # --- change log -------------------------------------------------------------------
    def changed(self, kind: str, obj, change: str = "MODIFIED") -> None:
        """Record that `obj` changed; rendered once, at the end of the step.

        An object changed several times in one step gets one record, at the place of its
        first change, showing its final state (as a watch may coalesce updates). Events
        are recorded by record_event, one record per write."""
        if obj.recorded_in == self.change_batch:
            if change == "MODIFIED":
                return
            # changed, then deleted: both records show the final state (rendered once)
            self.recorded_twice.add(id(obj))
        self.changes.append((change, kind, obj))
        # a deleted object has no later changes; one re-created under its name is a new
        # object with its own records
        obj.recorded_in = self.change_batch

    def take_changes(self, resource_version: int | None = None) -> tuple[list, set, int]:
        """Hand over and forget the change records gathered since the last call, with the
        ids of the objects that have two of them (changed, then deleted) and the
        resourceVersion the batch is published under: `resource_version` if given (see
        name_version), else the one named before, else the last one + 1. Every object
        in the batch is stamped with it (events: their metadata)."""
        if resource_version is not None:
            self.name_version(resource_version)
        version = self.batch_version()
        text = str(version)
        out = self.changes, self.recorded_twice, version
        for _, _, obj in self.changes:
            if type(obj) is dict:   # an event as written, or what a snapshot kept of an object
                obj["metadata"]["resourceVersion"] = text
            else:
                obj.resource_version = version
        self.changes, self.recorded_twice = [], set()
        self.change_batch += 1
        self.resource_version, self.open_version = version, None
        return out

    def batch_version(self) -> int:
        """The resourceVersion the open batch will be published under (as far as known now:
        a caller may still name a later one before the batch is handed over)."""
        return self.open_version if self.open_version is not None else self.resource_version + 1

    def name_version(self, version: int) -> None:
        """The caller will publish the open batch under `version`: an int greater than every
        version before, the same for every call about one batch. ValueError otherwise."""
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValueError(f"resource_version must be an integer, got {version!r}")
        if version <= self.resource_version:
            raise ValueError(f"resource_version {version} is not after the last one, "
                             f"{self.resource_version}")
        if self.open_version is not None and version != self.open_version:
            raise ValueError(f"resource_version {version}: this batch was already named "
                             f"{self.open_version}")
        self.open_version = version

    def version_of(self, obj) -> int:
        """An object's resourceVersion: its last change's batch (the open one's if it changed
        since the last hand-over)."""
        if obj.recorded_in == self.change_batch:
            return self.batch_version()
        return obj.resource_version

    # --- events -----------------------------------------------------------------------
    def record_event(self, kind: str, obj, type_: str, reason: str, message: str,
                     component: str, host: str | None = None,
                     field_path: str | None = None) -> dict | None:
        """Emit a core/v1 Event through the source's correlator (event_correlator.py): it may
        be combined with similar ones, counted up as a repeat of an earlier one, and its
        write dropped by the spam filter (the API object then stays as it was, but its count
        keeps growing for the next write). Returns the event as written, None if dropped."""
        now = self.time
        correlator = self.correlators.get((component, host))
        if correlator is None:
            correlator = self.correlators[(component, host)] = EventCorrelator()
        # the UID alone names the object in the correlator's keys (kind, namespace and name
        # add nothing), and small keys keep its caches cheap when thousands of pods churn
        message, logged, allowed = correlator.correlate(obj.uid, type_, reason, field_path,
                                                        message, now)
        name = logged[0]
        if name is not None and name in self.events:   # a repeat: counted up
            logged[1] += 1
            if not allowed:   # its object is built only if the write goes through
                return None
            api = render.event_update(logged[2], logged[1], now, message)
        else:   # new, or its API object expired: a new event
            self.event_seq += 1
            at, nano = self._nano
            if at != now:
                nano = _EPOCH_NS + now * 1_000_000
                self._nano = (now, nano)
            # the recorder names events <object>.<UnixNano>; adding the event sequence keeps
            # names unique for events recorded at the same simulated instant
            name = "%s.%x" % (obj.name, nano + self.event_seq)
            api = render.event(self.event_seq, name, render.involved_object(kind, obj, field_path),
                               type_, reason, message, component, host, now)
            logged[0], logged[1], logged[2] = name, 1, api
            if not allowed:   # holds its place in creation order for its first write
                self.events[name] = None
                return None
        # a watch delivers every write (count updates included): one record each
        self.events[name] = api
        self.event_expiry.append((now + EVENT_TTL_MS, name, api))
        self.changes.append(("EVENT", "Event", api))
        return api

    def explain(self, d, why) -> None:
        """Record why the Deployment controller did what it just did (an Explanation), if it
        says something other than the last one recorded for `d`."""
        last = self.explanations.get(d.uid)
        if last is not None and last["reason"] == why.reason and last["message"] == why.message:
            return
        said = {"deployment": d.name, "time": seconds(self.time), **why.as_record()}
        self.explanations[d.uid] = said
        # the record is its own dict: handing it over stamps its metadata
        self.changes.append(("EXPLAINED", "Explanation", {"metadata": {"name": d.name}, **said}))

    def expire_events(self) -> None:
        """The API server deletes events an hour after their last write (--event-ttl)."""
        expiry = self.event_expiry
        while expiry and expiry[0][0] <= self.time:
            _, name, written = expiry.popleft()
            # only if no later write of it replaced that object
            if written is not None and self.events.get(name) is written:
                del self.events[name]

    # --- ids --------------------------------------------------------------------------
    def new_uid(self) -> str:
        """A UID drawn from the cluster's seeded generator."""
        return new_uid(self.rng)

    # --- pods and their ReplicaSet's counters -----------------------------------------
    def owner_of(self, pod: Pod) -> ReplicaSet | None:
        """The ReplicaSet that owns the pod now: None for an orphan, or when its owner is
        gone (a ReplicaSet of the same name made later is another object)."""
        rs = self.replicasets.get(pod.rs)
        return rs if rs is not None and rs.uid == pod.rs_uid else None

    def orphan(self, pod: Pod) -> None:
        """Its owner let go of the pod (the garbage collector orphaning a deleted owner's
        dependents): no ownerReference; a ReplicaSet whose selector matches may adopt it."""
        rs = self.owner_of(pod)
        if rs is not None:
            rs.pods.pop(pod.name, None)
        pod.rs = pod.rs_uid = None
        self.orphans.add(pod.name)
        self.changed("Pod", pod)

    def adopt(self, rs: ReplicaSet, pod: Pod) -> None:
        """The ReplicaSet controller claims an orphan pod its selector matches."""
        self.orphans.discard(pod.name)
        pod.rs, pod.rs_uid = rs.name, rs.uid
        rs.pods[pod.name] = None
        pod.counted = [False, False, False]   # counted from scratch in its new owner
        self.changed("Pod", pod)
        self.recount(pod)

    def remove_replicaset(self, rs: ReplicaSet) -> None:
        """The ReplicaSet object is gone from the API (its pods are the garbage collector's
        business)."""
        rs.deleting = True
        del self.replicasets[rs.name]
        self.changed("ReplicaSet", rs, "DELETED")

    def recount(self, pod: Pod) -> None:
        """Bring the owning RS's live counters in line with the pod; wake the RS if needed."""
        active = pod.deletion_time is None and pod.phase not in ("Succeeded", "Failed")
        ready = active and pod.ready
        available = ready and pod.available
        old = pod.counted
        if old[0] == active and old[1] == ready and old[2] == available:
            return
        rs = self.replicasets.get(pod.rs)   # owner_of, inlined: this runs on every pod change
        if rs is not None and rs.uid == pod.rs_uid:
            rs.live_active += active - old[0]
            rs.live_ready += ready - old[1]
            rs.live_available += available - old[2]
            self.enqueue("replicaset", rs.name)
        pod.counted = [active, ready, available]

    def pod_changed(self, pod: Pod) -> None:
        """A pod's status changed: record it and update its RS's counters."""
        self.changed("Pod", pod)
        self.recount(pod)

    def remove_pod(self, pod: Pod) -> None:
        """The pod object is gone from the API."""
        pod.deletion_time = pod.deletion_time if pod.deletion_time is not None else self.time
        self.recount(pod)
        del self.pods[pod.name]
        self.orphans.discard(pod.name)
        rs = self.owner_of(pod)
        if rs is not None:
            rs.pods.pop(pod.name, None)
            self.enqueue("replicaset", rs.name)
            if rs.owner:
                # Recreate waits for the last old pod to be gone
                self.enqueue("deployment", rs.owner)
        node = self.nodes.get(pod.node) if pod.node else None
        if node is not None:
            node.pods.pop(pod.name, None)
        self.changed("Pod", pod, "DELETED")

    # --- API-side pod deletion ---------------------------------------------------------
    def wake_pod(self, pod: Pod) -> None:
        """Have the node's kubelet look at the pod now (something about it changed)."""
        pod.wake = self.timers.schedule(self.time, "kubelet", pod.name)

    def rearm(self, due: int, action: str, key: str, kind: str, what: str) -> int:
        """Schedule a timer from its own handler. The rule that keeps every instant finite:
        a timer never fires again at the instant it fired unless something changed, so a
        handler re-arms strictly later; at the same instant it would find the same state
        and fire for ever. Only a change from outside (wake_pod) runs it again now."""
        if due <= self.time:
            raise EngineStuck(kind, key, what, self.time,
                              f"re-armed for t={due / 1000:g}s, not after the instant it ran")
        return self.timers.schedule(due, action, key)

    def delete_pod(self, pod: Pod, grace: int | None = None) -> None:
        """A DELETE on the pod, as the pod strategy and the generic registry take it: with
        `grace` seconds (None: the pod's terminationGracePeriodSeconds; negative: 1), 0 for
        a pod not bound to a node or finished. Grace 0 removes the object at once; else it
        shows Terminating until its kubelet has stopped it. A pod already terminating may
        only have its grace period shortened (its deadline counted from the first delete)."""
        if grace is not None and grace < 0:
            grace = 1
        if pod.deletion_time is not None:
            if grace is None or grace >= pod.grace:
                return   # its graceful deletion goes on as it was
            pod.grace = grace
            if grace == 0:
                self.remove_pod(pod)
                return
            if pod.terminate_at is not None:   # the kubelet stops it by the new deadline
                pod.terminate_at = min(pod.terminate_at,
                                       max(self.time, pod.deletion_time + grace * 1000))
            self.pod_changed(pod)
            if self.nodes[pod.node].ready:
                self.wake_pod(pod)
            return
        if pod.node is None or pod.phase in ("Succeeded", "Failed"):
            grace = 0
        elif grace is None:
            grace = pod.spec.get("terminationGracePeriodSeconds", 30)
        if grace == 0:
            self.remove_pod(pod)
            return
        pod.deletion_time = self.time
        pod.grace = grace
        self.pod_changed(pod)
        if self.nodes[pod.node].ready:
            self.wake_pod(pod)
