"""The cluster's object store: objects, the work queue, the timer queue, change log, events.

Controllers and the kubelet mutate objects through the store's helpers so that change
records, RS pod counters and work-queue entries stay consistent.
"""
from __future__ import annotations

import random
from collections import OrderedDict, deque
from functools import lru_cache

from simulator.names import new_uid
from simulator.objects import Deployment, Event, Node, Pod, ReplicaSet
from simulator.timers import EPOCH, TimerQueue

NAMESPACE = "default"
_EPOCH_NS = int(EPOCH.timestamp()) * 1_000_000_000
AGGREGATE_MAX_EVENTS = 10          # client-go EventAggregator: maxEvents
AGGREGATE_INTERVAL_SECONDS = 600   # ... and its 10-minute window
EVENT_TTL_SECONDS = 3600.0         # kube-apiserver --event-ttl default
CORRELATOR_CACHE_SIZE = 4096       # client-go's LRU caches (maxLruCacheEntries)
SPAM_BURST = 25                    # client-go EventSourceObjectSpamFilter: burst ...
SPAM_REFILL_SECONDS = 300.0        # ... and one token per 5 minutes
_MAX_QUEUE_ROUNDS = 5_000_000  # a guard against controllers that never settle


@lru_cache(maxsize=64)
def _unix_nano(t: float) -> int:
    """Simulated seconds as Unix nanoseconds (many events share an instant)."""
    return _EPOCH_NS + int(round(t * 1e9))


class Store:
    """All state of one simulated cluster."""

    def __init__(self, seed: int, tick: float, catalogue, restart_backoff, pull_backoff):
        self.seed = seed
        self.tick = tick
        self.steps = 0                   # completed ticks; time = steps * tick between steps
        self.time = 0.0
        self.catalogue = catalogue       # images.ImageCatalogue: how each image behaves
        self.restart_backoff = restart_backoff   # backoff.RestartBackoff (kubelet)
        self.pull_backoff = pull_backoff         # backoff.ImagePullBackoff (kubelet)
        self.rng = random.Random(seed)
        self.deployments: dict[str, Deployment] = {}
        self.replicasets: dict[str, ReplicaSet] = {}
        self.pods: dict[str, Pod] = {}
        self.nodes: dict[str, Node] = {}
        self.events: dict[str, Event] = {}
        self.event_keys = CorrelatorCache()       # aggregation key -> event name
        self.event_seq = 0
        self.similar_events = CorrelatorCache()   # aggregation key -> [messages, last seen]
        self.spam_buckets = CorrelatorCache()     # source + object -> [tokens, last update]
        self.event_expiry: deque = deque()            # [expiry time, event name], time order
        self.timers = TimerQueue()
        self.queue: deque = deque()
        self.queued: set = set()
        self.changes: list = []
        self.change_index: dict = {}
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

    def drain(self, handlers: dict) -> None:
        """Run queued controller work until nothing is left, as the real controllers
        react to each other's writes within milliseconds."""
        rounds = 0
        while self.queue:
            key = self.queue.popleft()
            self.queued.discard(key)
            handlers[key[0]](self, key[1])
            rounds += 1
            if rounds > _MAX_QUEUE_ROUNDS:
                raise RuntimeError("controllers did not settle")

    # --- change log -------------------------------------------------------------------
    def changed(self, kind: str, obj, change: str = "MODIFIED") -> None:
        """Record that `obj` changed; rendered once, at the end of the step.

        An object changed several times in one step gets one record, at the place of its
        first change, showing its final state (as a watch may coalesce updates). Events
        are recorded by record_event, one record per write."""
        key = (kind, obj.name)
        if change == "MODIFIED" and key in self.change_index:
            return
        self.change_index[key] = len(self.changes)
        self.changes.append((change, kind, obj))
        if change == "DELETED":
            # a later re-creation under the same name must get its own record
            self.change_index.pop(key)

    def take_changes(self) -> list:
        """Hand over and forget the change records gathered since the last call."""
        out, self.changes, self.change_index = self.changes, [], {}
        return out

    # --- events -----------------------------------------------------------------------
    def record_event(self, kind: str, obj, type_: str, reason: str, message: str,
                     component: str, host: str | None = None,
                     field_path: str | None = None) -> Event:
        """Emit a core/v1 Event as client-go's event correlator does: an identical earlier
        event is counted up; from the 10th distinct message with the same source, object,
        type and reason within 10 minutes on, they are combined into one event
        ("(combined from similar events): ...") that is counted up. Writes about one object
        from one source are then rate limited (burst 25, one more every 5 minutes); a dropped
        write leaves the API object as it was, but its count keeps growing for the next."""
        now = self.time
        # client-go's aggregate key: source, object, type and reason (no field path)
        similar = (component, host, kind, obj.name, obj.uid, type_, reason)
        record = self.similar_events.touch(similar)
        if record is None or now - record[1] > AGGREGATE_INTERVAL_SECONDS:
            record = [[message], now]
            self.similar_events.put(similar, record)
        else:
            messages = record[0]
            if len(messages) < AGGREGATE_MAX_EVENTS and message not in messages:
                messages.append(message)
            record[1] = now
        if len(record[0]) >= AGGREGATE_MAX_EVENTS:
            message = "(combined from similar events): " + message
            key = similar
        else:
            key = (*similar, field_path, message)
        name = self.event_keys.touch(key)
        ev = self.events.get(name) if name is not None else None
        if ev is not None:
            ev.count += 1
            ev.last = now
            ev.message = message
        else:
            # the recorder names events <object>.<UnixNano>; adding the event sequence keeps
            # names unique for events recorded at the same simulated instant
            self.event_seq += 1
            name = f"{obj.name}.{_unix_nano(now) + self.event_seq:x}"
            ev = Event(name, self.event_seq, type_, reason, message, kind, obj.name, obj.uid,
                       field_path, component, host, now)
            self.events[name] = ev
            self.event_keys.put(key, name)
        if self._spam_filter_accepts(similar[:5]):
            # a watch delivers every write (count updates included): one record each
            ev.written = [ev.count, now, message]
            self.event_expiry.append([now + EVENT_TTL_SECONDS, name])
            self.changes.append(("EVENT", "Event", (ev, ev.count, now, message)))
        return ev

    def expire_events(self) -> None:
        """The API server deletes events an hour after their last write (--event-ttl)."""
        expiry = self.event_expiry
        while expiry and expiry[0][0] <= self.time:
            _, name = expiry.popleft()
            ev = self.events.get(name)
            if ev is not None and ev.written is not None and ev.written[1] + EVENT_TTL_SECONDS <= self.time:
                del self.events[name]

    def _spam_filter_accepts(self, key: tuple) -> bool:
        """EventSourceObjectSpamFilter: a token bucket per source and object."""
        now = self.time
        bucket = self.spam_buckets.touch(key)
        if bucket is None:
            self.spam_buckets.put(key, [SPAM_BURST - 1.0, now])
            return True
        tokens = bucket[0] + (now - bucket[1]) / SPAM_REFILL_SECONDS
        if tokens > SPAM_BURST:
            tokens = float(SPAM_BURST)
        bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - 1.0
        return True

    # --- ids --------------------------------------------------------------------------
    def new_uid(self) -> str:
        """A UID drawn from the cluster's seeded generator."""
        return new_uid(self.rng)

    # --- pods and their ReplicaSet's counters -----------------------------------------
    def recount(self, pod: Pod) -> None:
        """Bring the owning RS's live counters in line with the pod; wake the RS if needed."""
        active = pod.deletion_time is None and pod.phase not in ("Succeeded", "Failed")
        ready = active and pod.ready
        available = ready and pod.available
        old = pod.counted
        if old[0] == active and old[1] == ready and old[2] == available:
            return
        rs = self.replicasets.get(pod.rs)
        if rs is not None:
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
        rs = self.replicasets.get(pod.rs)
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
        """Have the node's kubelet look at the pod now."""
        pod.wake = self.timers.schedule(self.time, "kubelet", pod.name)

    def delete_pod(self, pod: Pod, grace: float | None = None) -> None:
        """A DELETE on the pod: graceful (Terminating) once bound to a node, else at once."""
        if pod.deletion_time is not None:
            return
        if pod.node is None or pod.phase in ("Succeeded", "Failed"):
            self.remove_pod(pod)
            return
        if grace is None:
            grace = pod.spec.get("terminationGracePeriodSeconds", 30)
        pod.deletion_time = self.time
        pod.grace = grace
        self.pod_changed(pod)
        if self.nodes[pod.node].ready:
            self.wake_pod(pod)


class CorrelatorCache:
    """One of the event correlator's caches: client-go keeps them in LRU caches of 4096
    entries (groupcache/lru), where every Get or Add makes its entry the most recent one.
    An OrderedDict moves an entry to the end and drops the oldest in O(1) (wrapped, not
    subclassed: a subclass's popitem() goes through a Python-level pop())."""

    __slots__ = ("_entries",)

    def __init__(self, items=()):
        self._entries = OrderedDict(items)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self):
        """(key, value) pairs, least recently used first."""
        return self._entries.items()

    def touch(self, key):
        """The value of `key` (None if absent), which becomes the most recently used."""
        entries = self._entries
        value = entries.get(key)
        if value is not None:
            entries.move_to_end(key)
        return value

    def put(self, key, value) -> None:
        """Insert or update `key` as the most recently used (after touch(), an existing key
        already is), dropping the least recently used entry when the cache is full."""
        entries = self._entries
        entries[key] = value
        if len(entries) > CORRELATOR_CACHE_SIZE:
            entries.popitem(last=False)
