"""What applying an edited manifest would do to each Deployment in it, predicted before it is
applied: the resolved maxSurge/maxUnavailable with their rounding, whether a rollout starts,
its waves, peak pods, minimum available and duration, and warnings in plain words.

Read from the store and the apply's planned writes (what the API server would store, already
validated, as `Cluster.apply` plans them); computed by `rollout_plan` (the controller's arithmetic on
counts) and `pod_timing` (the kubelet's probe workers against the images' behaviour). Nothing
changes. The assumptions (the old pods all available, new pods spread over the nodes) are in
the README's What-if section; the background run checks them.
"""
from __future__ import annotations

from simulator.api import registry
from simulator.controllers.deployment import rollout_math as rm
from simulator.controllers.deployment import sync as deployment_controller
from simulator.controllers.deployment.sync import templates_equal_ignoring_hash
from simulator.kubelet import lifecycle
from simulator.kubelet.images import ImageBehavior, ImageCatalogue
from simulator.kubelet.kubelet import SANDBOX_MS
from simulator.store import Store
from simulator.timers import ms
from simulator.whatif import pod_timing, rollout_plan
from simulator.whatif.warnings import Advice

# what an apply does to a Deployment
CREATE = "create"
ROLLOUT = "rollout"
SCALE = "scale"
PAUSED = "paused"
NONE = "none"

COMPLETE = "complete"
DEADLINE = rm.TIMED_OUT_REASON
STUCK = "stuck"   # never completes and has no progress deadline to say so


def predict(store: Store, plans: list) -> dict:
    """``{"deployments": [prediction, ...]}`` for the Deployments among ``plans`` (the
    planned writes of one apply, in document order); see docs/contracts.md for the shape."""
    catalogue = ImageCatalogue.from_dict(store.catalogue.to_dict())
    for plan in plans:
        if isinstance(plan, ImageBehavior):
            catalogue.add(plan)
    services = {s.name: s.spec for s in store.services.values()}
    services.update({p.name: p.stored["spec"] for p in plans
                     if isinstance(p, registry.Write) and p.kind == "Service"})
    return {"deployments": [_deployment(store, p, catalogue, services) for p in plans
                            if isinstance(p, registry.Write) and p.kind == "Deployment"]}


# ---------------------------------------------------------------- one Deployment

def _deployment(store: Store, write, catalogue: ImageCatalogue, services: dict) -> dict:
    spec = write.stored["spec"]
    live = store.deployments.get(write.name)
    replicas = spec["replicas"]
    strategy = spec["strategy"]["type"]
    rolling = spec["strategy"].get("rollingUpdate") or {}
    surge_spec, unavailable_spec = rolling.get("maxSurge"), rolling.get("maxUnavailable")
    surge = rm.max_surge(replicas, surge_spec, unavailable_spec, strategy)
    unavailable = rm.max_unavailable(replicas, surge_spec, unavailable_spec, strategy)
    change, change_sentence = _change(store, live, spec)
    advice = Advice(write.lines)
    out = {
        "name": write.name, "change": change, "starts_rollout": change in (CREATE, ROLLOUT),
        "strategy": strategy, "replicas": replicas,
        "max_surge": surge, "max_unavailable": unavailable,
        "rounding": rounding_sentence(replicas, surge_spec, unavailable_spec, strategy),
        "min_ready_seconds": spec.get("minReadySeconds", 0),
        "progress_deadline_seconds": spec.get("progressDeadlineSeconds"),
        "sentences": [change_sentence],
    }
    old_rss, taken_back = _replica_sets(store, live, spec)
    old_pods = [store.pods[name] for rs in old_rss for name in rs.pods]
    # two node models, one per way the scheduler's random tie-breaks can go: the pessimistic
    # one (new pods onto nodes that must pull) is the prediction, the other bounds it
    runs = []
    for prefer_image in (False, True):
        nodes = _Nodes(store, old_pods, prefer_image)
        new_pod = _NewPods(spec, catalogue, nodes)
        if change in (CREATE, ROLLOUT):
            result = _rollout(store, spec, new_pod, nodes, catalogue, old_rss, taken_back,
                              surge_spec, unavailable_spec)
        else:
            result = _scaling(live, spec, change, new_pod)
        runs.append((result, new_pod, nodes))
    (result, new_pod, nodes), (other, _, _) = runs
    out.update(result)
    for key in ("duration_seconds", "waves"):
        if other[key] != result[key] and None not in (other[key], result[key]):
            out[key.replace("_seconds", "") + "_range"] = sorted([other[key], result[key]])
    timing = new_pod.first
    if timing is not None:
        out["pod"] = _pod_numbers(timing)
        out["sentences"].append(_pod_sentence(timing))
    out["sentences"].append(_plan_sentence(out, surge, unavailable))
    advice.review(out, spec, timing, services, store, catalogue, nodes)
    out["warnings"] = advice.warnings
    return out


def _change(store: Store, live, spec: dict) -> tuple[str, str]:
    """What the apply changes, and that in one sentence."""
    if live is None:
        return CREATE, (f"a new Deployment: its first ReplicaSet starts {spec['replicas']} "
                        f"pod{'s' if spec['replicas'] != 1 else ''}")
    old = live.spec
    if not templates_equal_ignoring_hash(old["template"], spec["template"]):
        what = _template_difference(old["template"], spec["template"])
        if spec.get("paused"):
            return PAUSED, (f"the pod template changes ({what}), but the Deployment is paused: "
                            "no rollout until `kubectl rollout resume`")
        return ROLLOUT, f"the pod template changes ({what}): a rollout starts"
    if old.get("paused") and not spec.get("paused") and _pending(store, live):
        return ROLLOUT, ("the Deployment is resumed: the rollout of its pod template, held while "
                         "it was paused, starts")
    if old.get("replicas", 1) != spec["replicas"]:
        return SCALE, (f"only replicas change ({old.get('replicas', 1)} → {spec['replicas']}): "
                       "no rollout, the current ReplicaSet scales")
    return NONE, "the pod template does not change: no rollout starts"


def _pending(store: Store, live) -> bool:
    """Whether a paused Deployment holds a rollout back: no ReplicaSet has its template yet, or
    older ones still have pods."""
    owned = deployment_controller.owned_replica_sets(store, live)
    new_rs = deployment_controller.find_new_replica_set(live, owned)
    return new_rs is None or any(rs.replicas > 0 for rs in owned if rs is not new_rs)


def _template_difference(old: dict, new: dict) -> str:
    """"image a → b", and whether anything else of the template changes, in words."""
    before = {c.get("name"): c.get("image") for c in old["spec"].get("containers") or []}
    changes = [f"image {before[c['name']]} → {c['image']}" for c in new["spec"].get("containers") or []
               if c.get("name") in before and before[c["name"]] != c.get("image")]

    def without_images(template: dict) -> dict:
        containers = [{k: v for k, v in c.items() if k != "image"} for c in template["spec"].get("containers") or []]
        return {**template, "spec": {**template["spec"], "containers": containers}}
    if not templates_equal_ignoring_hash(without_images(old), without_images(new)):
        changes.append("other fields" if changes else "fields other than images")
    return " and ".join(changes)


def rounding_sentence(replicas: int, surge_spec, unavailable_spec, strategy: str) -> str:
    """maxSurge/maxUnavailable resolved against ``replicas`` with their rounding, as in
    ``25% of 3 → surge 1 (rounded up), unavailable 0 (rounded down)``."""
    if strategy != rm.ROLLING_UPDATE:
        return f"{strategy}: no surge; every old pod is stopped before a new one starts"
    surge, unavailable = rm.resolve_fenceposts(surge_spec, unavailable_spec, replicas)
    raw_unavailable = rm.int_or_percent(unavailable_spec, replicas, round_up=False)

    def part(spec, value: int, word: str, rounding: str) -> str:
        if isinstance(spec, str):
            exact = int(spec[:-1]) * replicas % 100 == 0
            return f"{word} {value} ({'exact' if exact else rounding})"
        return f"{word} {value}"

    if isinstance(surge_spec, str) and surge_spec == unavailable_spec:
        text = (f"{surge_spec} of {replicas} → {part(surge_spec, surge, 'surge', 'rounded up')}, "
                f"{part(unavailable_spec, raw_unavailable, 'unavailable', 'rounded down')}")
    else:
        halves = []
        for spec, value, word, rounding in ((surge_spec, surge, "surge", "rounded up"),
                                            (unavailable_spec, raw_unavailable, "unavailable",
                                             "rounded down")):
            shown = spec if spec is not None else 0
            prefix = f"{shown} of {replicas}" if isinstance(spec, str) else f"{shown}"
            halves.append(f"max{word.capitalize()} {prefix} → {part(spec, value, word, rounding)}")
        text = ", ".join(halves)
    if not isinstance(surge_spec, str) and not isinstance(unavailable_spec, str):
        text += " (whole numbers: no rounding)"
    if surge == 0 and raw_unavailable == 0:
        text += "; both 0 would never let the rollout move, so unavailable becomes 1"
    if rm.max_unavailable(replicas, surge_spec, unavailable_spec) < unavailable:
        text += f"; unavailable is capped at the {replicas} replicas"
    return text


# ---------------------------------------------------------------- new pods on nodes

class _Nodes:
    """The Ready, schedulable nodes as the scheduler sees them during the rollout: the pods on
    each (terminating ones until they are gone), this Deployment's old and new pods on each,
    and the images each holds (or will, once a pull ends).

    A new pod goes to a node with the fewest pods; old pods are deleted from the nodes with
    the most pods of the Deployment first. Where nodes tie the scheduler draws one at random:
    ``prefer_image`` says which way this model breaks such ties (True: onto a node holding
    the image; False: onto one that must pull it), so two models bound the duration."""

    def __init__(self, store: Store, old_pods: list, prefer_image: bool):
        usable = [n for n in store.nodes.values() if n.ready and n.unschedulable_since is None]
        index = {n.name: i for i, n in enumerate(usable)}
        self.names = [n.name for n in usable]
        self.total = len(store.nodes)
        self.prefer_image = prefer_image
        self.pods = [len(n.pods) for n in usable]
        self.leaving = [[] for _ in usable]   # instants (ms after t0) pods on the node are gone
        for n in usable:
            for name in n.pods:
                pod = store.pods.get(name)
                if pod is not None and pod.deletion_time is not None:
                    gone = (pod.terminate_at if pod.terminate_at is not None else store.time) - store.time
                    self.leaving[index[n.name]].append(max(0, gone))
        self.old = [0] * len(usable)
        for pod in old_pods:
            if pod.node in index and pod.deletion_time is None:
                self.old[index[pod.node]] += 1
        self.new = [0] * len(usable)
        self.images = [{image: 0 for image in n.images} for n in usable]  # image -> present from
        self.old_gone_ms = 0

    def on(self, node: int, at: int) -> int:
        return self.pods[node] - sum(1 for gone in self.leaving[node] if gone <= at)

    def place(self, images: list[str], at: int, old: bool = False) -> int | None:
        """The node a pod created at ``at`` is bound to (None: no node); ``old``: a pod of an
        old ReplicaSet."""
        if not self.names:
            return None
        counts = [self.on(i, at) for i in range(len(self.names))]
        fewest = min(counts)
        tied = [i for i, c in enumerate(counts) if c == fewest]
        start = at + SANDBOX_MS
        holds = [i for i in tied if all(self.images[i].get(image, start + 1) <= start for image in images)]
        lacks = [i for i in tied if i not in holds]
        node = ((holds or lacks) if self.prefer_image else (lacks or holds))[0]
        self.pods[node] += 1
        if old:
            self.old[node] += 1
        else:
            self.new[node] += 1
        return node

    def remove_old(self, count: int, at: int) -> None:
        """Old pods deleted at ``at``: from the nodes with the most of the Deployment's pods."""
        for _ in range(count):
            with_old = [i for i in range(len(self.names)) if self.old[i] > 0]
            if not with_old:
                return
            node = max(with_old, key=lambda i: self.old[i] + self.new[i])
            self.old[node] -= 1
            self.leaving[node].append(at + self.old_gone_ms)

    def pulls(self, node: int, image: str, policy: str, at: int) -> bool:
        present = self.images[node].get(image)
        return policy == "Always" or present is None or present > at

    def pulled(self, node: int, image: str, at: int) -> None:
        self.images[node][image] = min(self.images[node].get(image, at), at)


class _NewPods:
    """The new pods' (ready, available) delays, pod by pod: which ones pull depends on the
    node each lands on and when; the timing of each pull pattern is worked out once."""

    def __init__(self, spec: dict, catalogue: ImageCatalogue, nodes: _Nodes, old: bool = False):
        self.template = spec["template"]["spec"]
        self.min_ready = spec.get("minReadySeconds", 0)
        self.catalogue, self.nodes, self.old = catalogue, nodes, old
        self.timings: dict[tuple, pod_timing.PodTiming] = {}
        self.first: pod_timing.PodTiming | None = None

    def timing(self, node: int | None, created: int) -> pod_timing.PodTiming:
        containers = self.template.get("containers") or []
        start = created + SANDBOX_MS
        key = tuple(node is not None and self.nodes.pulls(node, c["image"], c.get("imagePullPolicy", "IfNotPresent"),
                                                          start)
                    for c in containers)
        found = self.timings.get(key)
        if found is None:
            pulls = dict(zip((c["image"] for c in containers), key))
            found = self.timings[key] = pod_timing.pod_timing(
                self.template, self.catalogue.lookup, lambda image, policy: pulls[image],
                self.min_ready)
        return found

    def __call__(self, index: int, created: int) -> tuple[int | None, int | None]:
        node = self.nodes.place([c["image"] for c in self.template.get("containers") or []], created,
                                self.old)
        if node is None:
            return None, None   # no node to run on: Pending
        timing = self.timing(node, created)
        if self.first is None:
            self.first = timing
        for c in timing.containers:
            if c.pull_ms and c.problem != pod_timing.PULL_FAILS:
                self.nodes.pulled(node, c.image, created + SANDBOX_MS + c.pull_ms)
        return timing.ready_ms, timing.available_ms


# ---------------------------------------------------------------- the plans

def _replica_sets(store: Store, live, spec: dict) -> tuple[list, int]:
    """The old ReplicaSets, and the available pods of one whose template is the edited one
    (the controller takes it back as the new ReplicaSet, e.g. an edit back to a former image)."""
    if live is None:
        return [], 0
    old_rss, taken_back, found = [], 0, False
    for rs in deployment_controller.owned_replica_sets(store, live):
        if not found and templates_equal_ignoring_hash(rs.template, spec["template"]):
            found, taken_back = True, min(rs.status["available_replicas"], rs.replicas)
        else:
            old_rss.append(rs)
    return old_rss, taken_back


def _rollout(store: Store, spec: dict, new_pod: _NewPods, nodes: _Nodes,
             catalogue: ImageCatalogue, old_rss: list, taken_back: int, surge_spec,
             unavailable_spec) -> dict:
    replicas = spec["replicas"]
    deadline = spec.get("progressDeadlineSeconds")
    old_replicas = sum(rs.replicas for rs in old_rss)
    old_available = sum(min(rs.status["available_replicas"], rs.replicas) for rs in old_rss)
    old = [0] * old_available + [None] * (old_replicas - old_available)
    nodes.old_gone_ms = _old_pods_gone(store, old_rss, catalogue)
    if spec["strategy"]["type"] == rm.RECREATE:
        plan = rollout_plan.recreate(replicas, old, nodes.old_gone_ms, new_pod, deadline,
                                     nodes.remove_old)
    else:
        old = _scaling_event_first(old_rss, old, replicas, catalogue, nodes)
        plan = rollout_plan.rolling(replicas, surge_spec, unavailable_spec, old, new_pod,
                                    deadline, taken_back, nodes.remove_old)
    return _plan_numbers(plan, old_replicas, old_available)


def _scaling_event_first(old_rss: list, old: list, replicas: int, catalogue: ImageCatalogue,
                         nodes: _Nodes) -> list:
    """An edit that changes replicas too is a scaling event first (isScalingEvent: the
    active ReplicaSet's desired-replicas annotation differs): the one active old ReplicaSet
    is set to ``replicas`` before the rollout starts; its added pods start like any pod of
    its template."""
    active = [rs for rs in old_rss if rs.replicas > 0]
    views = [deployment_controller.rs_view(rs) for rs in active]
    if len(active) != 1 or not rm.is_scaling_event(replicas, views):
        return old
    rs = active[0]
    if replicas < len(old):
        nodes.remove_old(len(old) - replicas, 0)
        return rollout_plan.scaled_first(old, replicas, [])
    adding = _NewPods({"template": rs.template, "minReadySeconds": rs.min_ready_seconds},
                      catalogue, nodes, old=True)
    return rollout_plan.scaled_first(old, replicas,
                                     [adding(i, 0)[1] for i in range(replicas - len(old))])


def _old_pods_gone(store: Store, old_rss: list, catalogue: ImageCatalogue) -> int:
    """When the last old pod is gone after they are all deleted at t0: each container's
    preStop hook, then SIGTERM and its image's shutdown time, within the grace period."""
    gone = 0
    for rs in old_rss:
        for name in rs.pods:
            pod = store.pods[name]
            if pod.deletion_time is not None:
                gone = max(gone, (pod.terminate_at or store.time) - store.time)
                continue
            grace = pod.spec.get("terminationGracePeriodSeconds", 30) * 1000
            for c, c_spec in zip(pod.containers, pod.spec["containers"]):
                if c.state == "running":
                    shutdown = ms(catalogue.lookup(c.image).shutdown_seconds())
                    gone = max(gone, lifecycle.stop_plan(0, grace, lifecycle.pre_stop_ms(c_spec),
                                                         shutdown)[1])
    return gone


def _scaling(live, spec: dict, change: str, new_pod: _NewPods) -> dict:
    """No rollout: the current ReplicaSet scales (or nothing moves)."""
    replicas = spec["replicas"]
    current = live.status.get("replicas", 0) if live is not None else 0
    available = live.status.get("available_replicas", 0) if live is not None else 0
    if change == PAUSED or replicas <= current:
        kept = min(available, replicas)
        outcome = PAUSED if change == PAUSED else COMPLETE if kept == replicas else STUCK
        return {"peak_pods": min(current, replicas), "min_available": kept, "waves": 0,
                "duration_seconds": 0.0 if outcome == COMPLETE else None, "outcome": outcome,
                "deadline_seconds": None}
    times = [new_pod(i, 0)[1] for i in range(replicas - current)]
    done = None if None in times else max(times)
    return {"peak_pods": replicas, "min_available": min(available, replicas), "waves": 0,
            "duration_seconds": None if done is None else done / 1000,
            "outcome": COMPLETE if done is not None else STUCK, "deadline_seconds": None}


def _plan_numbers(plan: rollout_plan.Plan, old_replicas: int, old_available: int) -> dict:
    if plan.complete_ms is not None:
        outcome = COMPLETE
    elif plan.deadline_ms is not None:
        outcome = DEADLINE
    else:
        outcome = STUCK
    return {"peak_pods": plan.peak_pods, "min_available": plan.min_available,
            "waves": len(plan.waves), "wave_times": [t / 1000 for t in plan.waves],
            "duration_seconds": None if plan.complete_ms is None else plan.complete_ms / 1000,
            "outcome": outcome,
            "deadline_seconds": None if plan.deadline_ms is None else plan.deadline_ms / 1000,
            "old_replicas": old_replicas, "old_available": old_available,
            "new_replicas_at_end": plan.new_replicas, "new_available_at_end": plan.new_available}


# ---------------------------------------------------------------- sentences

def _pod_numbers(timing: pod_timing.PodTiming) -> dict:
    def sec(value):
        return None if value is None else value / 1000
    pull = max((c.pull_ms for c in timing.containers), default=0)
    running = [c.running_ms for c in timing.containers]
    return {"pull_seconds": pull / 1000,
            "running_seconds": None if None in running or not running else max(running) / 1000,
            "ready_seconds": sec(timing.ready_ms), "available_seconds": sec(timing.available_ms),
            "min_ready_seconds": timing.min_ready_ms / 1000}


def _pod_sentence(timing: pod_timing.PodTiming) -> str:
    """How long one new pod (the first) takes, step by step."""
    problem = timing.problem
    if problem is not None:
        return f"a new pod never becomes available: {problem.detail}"
    parts = [f"{SANDBOX_MS / 1000:g} s sandbox"]
    for c in timing.containers:
        if c.pull_ms:
            parts.append(f"{c.pull_ms / 1000:g} s pull of {c.image} (on each node that lacks it)")
    c = max(timing.containers, key=lambda c: c.ready_ms)
    if c.ready_ms > c.running_ms:
        parts.append(f"ready {(c.ready_ms - c.running_ms) / 1000:g} s after the start "
                     f"({c.probe_runs} readiness probe run{'s' if c.probe_runs != 1 else ''})")
    else:
        parts.append("ready when it starts" + (" (no readiness probe)" if not c.probe_runs else ""))
    if timing.min_ready_ms:
        parts.append(f"minReadySeconds {timing.min_ready_ms / 1000:g}")
    return f"a new pod is available {timing.available_ms / 1000:g} s after it is created: " + ", ".join(parts)


def _plan_sentence(out: dict, surge: int, unavailable: int) -> str:
    replicas = out["replicas"]
    bits = []
    if out["starts_rollout"]:
        waves = out["waves"]
        bits.append(f"{waves} wave{'s' if waves != 1 else ''} of new pods")
    if out["strategy"] == rm.ROLLING_UPDATE and out["starts_rollout"]:
        bits.append(f"at most {_pods(out['peak_pods'])} ({replicas} + surge {surge})"
                    if out["peak_pods"] == replicas + surge else f"at most {_pods(out['peak_pods'])}")
        bits.append(f"never fewer than {out['min_available']} available"
                    + (f" ({replicas} − unavailable {unavailable})"
                       if out["min_available"] == replicas - unavailable else ""))
    else:
        bits.append(f"at most {_pods(out['peak_pods'])}")
        bits.append(f"never fewer than {out['min_available']} available")
    if out["outcome"] == COMPLETE and "duration_range" in out:
        low, high = out["duration_range"]
        bits.append(f"done {low:g}–{high:g} s after the apply (the scheduler breaks ties between "
                    "nodes at random: a new pod may land on a node that already holds the image)")
    elif out["outcome"] == COMPLETE:
        bits.append(f"done {out['duration_seconds']:g} s after the apply")
    elif out["outcome"] == DEADLINE:
        bits.append(f"it never completes: ProgressDeadlineExceeded {out['deadline_seconds']:g} s "
                    "after the apply")
    else:
        bits.append("it never completes (no progress deadline reports it)")
    return "; ".join(bits)


def _pods(n: int) -> str:
    return f"{n} pod" if n == 1 else f"{n} pods"
