"""Random long scenarios for the soak suite (not a test module): generated from a seed,
run through the public `Cluster` API (the kubectl-like commands and the Kubernetes API's
requests), with invariants checked after every step.

A scenario is plain data (`Scenario`): the cluster's shape and, per step, the commands to
run before it (the first step's apply the initial manifests, one document at a time).
Commands pick their targets from the cluster's state (the n-th pod, modulo how many there
are), so a copy restored from a snapshot replays whatever is still ahead of it.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
import signal
from contextlib import contextmanager
from dataclasses import dataclass, field

from simulator import Cluster
from simulator.api.handlers import APPLY, JSON_PATCH, MERGE
from simulator.api.handlers import STRATEGIC as SMP

TICKS = (0.1, 0.25, 0.3, 0.5, 1.0, 1.0, 2.0, 2.5)
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
BUDGETS = (5_000, 5_000, 5_000, 24, 9)
IMAGES = tuple(f"soak.example/app:v{i}" for i in range(6))
HTTP_PORT, TCP_PORT = 8080, 9000
CHECK = ["cat", "/tmp/healthy"]
STEP_WALL_SECONDS = 20   # a step of these small clusters takes milliseconds: only a hang is this slow


class StepHung(AssertionError):
    """A step (or a command) did not return within STEP_WALL_SECONDS of wall time."""


class InvariantBroken(AssertionError):
    """The cluster did something the controllers never allow."""


@dataclass
class Scenario:
    """One random scenario: run `steps` ticks of `tick` seconds on `nodes` nodes with a pod
    budget of `pod_budget`; `commands[i]` run before step i."""

    seed: int
    tick: float
    nodes: int
    steps: int
    pod_budget: int
    commands: dict = field(default_factory=dict)

    def describe(self) -> str:
        return (f"soak scenario seed={self.seed} (tick {self.tick} s, {self.nodes} nodes, "
                f"{self.steps} steps, pod budget {self.pod_budget})")


# --- generation --------------------------------------------------------------------------
def image_behavior(r: random.Random, image: str) -> dict:
    """An ImageBehavior document: slow or failing pulls, late ports, answers that change
    and slow down over time, exec results, crashes, slow shutdowns."""
    spec: dict = {"image": image,
                  "pull": {"seconds": r.choice([0, 0.1, 0.5, 1.5, 2.2, 7.3, 30])},
                  "startupSeconds": r.choice([0, 0.3, 1, 2.5, 12, 75])}
    if r.random() < 0.1:
        spec["pull"]["error"] = r.choice(["NotFound", "AccessDenied", "RegistryUnreachable"])
    responses, start = [], 0.0
    for _ in range(r.randint(1, 4)):
        step = {"fromSeconds": start, "status": r.choice([200, 200, 204, 301, 404, 500, 503])}
        if r.random() < 0.25:
            step["delaySeconds"] = r.choice([0.5, 1.5, 3, 6, 30])   # slow answers
        responses.append(step)
        start += r.choice([0.5, 5, 15, 40, 120, 300])
    spec["http"] = [{"port": HTTP_PORT, "paths": [{"path": "/healthz", "responses": responses}]}]
    if r.random() < 0.3:
        spec["http"][0]["openAfterSeconds"] = r.choice([0, 4, 30])
    spec["tcp"] = [{"port": TCP_PORT, "openAfterSeconds": r.choice([0, 1, 10, 100])}]
    results, start = [], 0.0
    for _ in range(r.randint(1, 3)):
        results.append({"fromSeconds": start, "exitCode": r.choice([0, 0, 1, 2])})
        start += r.choice([3, 20, 90, 400])
    spec["exec"] = {"commands": [{"command": CHECK, "results": results}],
                    "defaultExitCode": r.choice([0, 1])}
    if r.random() < 0.25:   # the process exits by itself (a crash loop, or a job-like exit)
        code = r.choice([0, 1, 1, 137])
        spec["exit"] = {"afterSeconds": r.choice([0, 0.5, 3, 20, 200]), "exitCode": code}
        if code == 137 and r.random() < 0.5:
            spec["exit"]["reason"] = "OOMKilled"
    spec["shutdownSeconds"] = r.choice([0, 0.5, 0.5, 5, 45, 400])   # 45, 400: hangs on SIGTERM
    return {"apiVersion": "rolloutviz.dev/v1", "kind": "ImageBehavior",
            "metadata": {"name": image.rsplit("/", 1)[-1].replace(":", "-")}, "spec": spec}


def probe(r: random.Random, ptype: str) -> dict:
    """A probe of any kind with timing fields across their range, edge values included."""
    kind = r.choice(["httpGet", "httpGet", "tcpSocket", "exec", "grpc"])
    if kind == "httpGet":
        handler = {"path": "/healthz", "port": r.choice([HTTP_PORT, HTTP_PORT, "http", 3000])}
    elif kind == "tcpSocket":
        handler = {"port": r.choice([TCP_PORT, HTTP_PORT, "nope"])}   # "nope": no such named port
    elif kind == "exec":
        handler = {"command": r.choice([CHECK, ["true"]])}
    else:
        handler = {"port": r.choice([TCP_PORT, HTTP_PORT])}
    spec: dict = {kind: handler}
    for key, values in (("initialDelaySeconds", [0, 0, 1, 3, 10, 45, INT32_MAX]),
                        ("periodSeconds", [1, 1, 2, 3, 5, 10, 17, INT32_MAX]),
                        ("timeoutSeconds", [1, 1, 2, 4, 31, INT32_MAX]),
                        ("failureThreshold", [1, 2, 3, 3, 5, 30, INT32_MAX])):
        if r.random() < 0.8:
            spec[key] = r.choice(values)
    if ptype == "readinessProbe" and r.random() < 0.6:
        spec["successThreshold"] = r.choice([1, 2, 3, 5])   # liveness/startup: must be 1
    return spec


def container(r: random.Random, name: str, image: str) -> dict:
    c: dict = {"name": name, "image": image, "ports": [{"name": "http", "containerPort": HTTP_PORT}]}
    for ptype, chance in (("startupProbe", 0.2), ("readinessProbe", 0.6), ("livenessProbe", 0.5)):
        if r.random() < chance:
            c[ptype] = probe(r, ptype)
    if r.random() < 0.15:
        c["imagePullPolicy"] = "Always"
    return c


def _fencepost(r: random.Random):
    return r.choice([0, 1, 2, 3, "0%", "10%", "25%", "50%", "100%"])


def strategy(r: random.Random) -> dict:
    if r.random() < 0.2:
        return {"type": "Recreate"}
    surge, unavailable = _fencepost(r), _fencepost(r)
    if surge in (0, "0%") and unavailable in (0, "0%"):
        unavailable = 1
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}


def deployment(r: random.Random, name: str, replicas: int | None = None) -> dict:
    """A Deployment with random strategy, timing fields and containers."""
    images = r.sample(IMAGES, 2)
    containers = [container(r, "app", images[0])]
    if r.random() < 0.2:
        containers.append(container(r, "side", images[1]))
    pod_spec: dict = {"containers": containers}
    if r.random() < 0.5:
        pod_spec["terminationGracePeriodSeconds"] = r.choice([0, 1, 5, 30, 60, INT64_MAX])
    spec: dict = {"replicas": r.choice([0, 1, 1, 2, 3, 4, 6]) if replicas is None else replicas,
                  "selector": {"matchLabels": {"app": name}},
                  "strategy": strategy(r),
                  "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}}
    min_ready = r.choice([0, 0, 1, 5, 12, 40])
    if min_ready:
        spec["minReadySeconds"] = min_ready
    if r.random() < 0.5:
        spec["progressDeadlineSeconds"] = r.choice([5, 30, 120, 600, 2147483647])
        if spec["progressDeadlineSeconds"] <= min_ready:
            spec["progressDeadlineSeconds"] = min_ready + 1
    if r.random() < 0.3:
        spec["revisionHistoryLimit"] = r.choice([0, 1, 3])
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


def replica_set(r: random.Random, name: str) -> dict:
    """A bare ReplicaSet (no Deployment owns it)."""
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": r.randint(0, 3), "selector": {"matchLabels": {"bare": name}},
                     "template": {"metadata": {"labels": {"bare": name}},
                                  "spec": {"containers": [container(r, "app", r.choice(IMAGES))]}}}}


def api_command(r: random.Random, names: list[str], nodes: int) -> tuple:
    """One request to the Kubernetes API as data (see run_command): creates, replaces,
    patches of every type (some stale, some invalid, some dry runs), deletes with each
    propagation and grace period, scale, cordon and eviction."""
    name = r.choice(names + ["api0", "api1"])
    dry_run = r.random() < 0.15
    kind = r.choice(["create", "replace", "patch", "patch", "delete", "delete", "scale",
                     "cordon", "evict", "evict"])
    if kind == "create":
        return ("api_create", deployment(r, name), dry_run)
    if kind == "replace":
        return ("api_replace", name, r.choice([0, 1, 3, -1]), r.random() < 0.2, dry_run)
    if kind == "patch":
        patch_type, patch = r.choice([
            (MERGE, {"spec": {"replicas": r.choice([0, 1, 2, 4])}}),
            (SMP, {"spec": {"template": {"spec": {"containers": [
                {"name": "app", "image": r.choice(IMAGES)}]}}}}),
            (SMP, {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None,
                                         "type": "Recreate"}}}),
            (JSON_PATCH, [{"op": "replace", "path": "/spec/minReadySeconds",
                           "value": r.choice([0, 2, 7])}]),
            (MERGE, {"metadata": {"labels": {"app": "elsewhere"}}}),
            (APPLY, deployment(r, name)),
            (MERGE, {"spec": {"replicas": -2}}),   # invalid
        ])
        return ("api_patch", name, patch, patch_type, dry_run)
    if kind == "delete":
        options: dict = {"propagationPolicy": r.choice(["Background", "Orphan", "Foreground"])}
        if r.random() < 0.5:
            options = {"gracePeriodSeconds": r.choice([0, 1, 5, 30, -1])}
        return ("api_delete", r.choice(["deploy", "rs", "pod", "pod"]), r.randrange(1_000),
                options, dry_run)
    if kind == "scale":
        return ("api_scale", name, r.choice([0, 1, 3, 5, -1]), dry_run)
    if kind == "cordon":
        return ("cordon", f"node-{r.randint(1, nodes)}", r.random() < 0.6)
    return ("evict", r.randrange(1_000), r.choice([None, 0, 3]))


def command(r: random.Random, names: list[str], nodes: int) -> tuple:
    """One kubectl-like command as data (see run_command)."""
    name = r.choice(names)
    if r.random() < 0.4:
        return api_command(r, names, nodes)
    kind = r.choice(["apply", "apply", "scale", "set_image", "undo", "undo", "pause", "resume",
                     "restart", "delete_pod", "delete_pod", "node", "behavior"])
    if kind == "apply":
        return ("apply", [deployment(r, name)])
    if kind == "scale":   # the last four: refused by int32 decoding, validation, the budget
        return ("scale", name, r.choice([0, 1, 2, 3, 5, 8, 0, 2, 2**31, 2**63, -1, 10**9]))
    if kind == "set_image":
        return ("set_image", name, "app", r.choice(IMAGES))
    if kind == "undo":
        return ("undo", name, r.choice([0, 0, 1, 2, 3, 5]))
    if kind in ("pause", "resume", "restart"):
        return (kind, name)
    if kind == "delete_pod":
        return ("delete_pod", r.randrange(1_000))
    if kind == "node":
        return ("node", f"node-{r.randint(1, nodes)}", r.random() < 0.5)
    return ("apply", [image_behavior(r, r.choice(IMAGES))])


def generate(seed: int, minutes: float = 15.0) -> Scenario:
    """The scenario of `seed`: at least `minutes` simulated minutes."""
    r = random.Random(seed)
    tick = r.choice(TICKS)
    steps = math.ceil(minutes * 60 / tick) + r.randrange(int(120 / tick))
    nodes = r.randint(1, 4)
    names = [f"d{i}" for i in range(r.randint(1, 3))]
    initial = [image_behavior(r, image) for image in IMAGES]
    initial += [deployment(r, name) for name in names]
    if r.random() < 0.15:
        initial.append(replica_set(r, "bare"))
    commands: dict[int, list] = {0: [("apply", [doc]) for doc in initial]}
    for _ in range(r.randint(4, 30)):
        commands.setdefault(r.randrange(steps), []).append(command(r, names, nodes))
    return Scenario(seed, tick, nodes, steps, r.choice(BUDGETS), commands)


# --- running -----------------------------------------------------------------------------
def _nth(c: Cluster, kind: str, index: int) -> str | None:
    names = sorted(o["metadata"]["name"] for o in c.list(kind))
    return names[index % len(names)] if names else None


def run_api_command(c: Cluster, cmd: tuple, version: int):
    """Run one API request, its changes published under `version`."""
    kind, *args = cmd
    if kind == "api_create":
        return c.create("deployments", args[0], dry_run=args[1], resource_version=version)
    if kind == "api_replace":
        name, replicas, stale, dry_run = args
        current = c.read("deployments", name)
        current["spec"]["replicas"] = replicas
        if stale:
            current["metadata"]["resourceVersion"] = "1"
        return c.replace("deployments", name, current, dry_run=dry_run, resource_version=version)
    if kind == "api_patch":
        name, patch, patch_type, dry_run = args
        return c.patch("deployments", name, patch, patch_type, dry_run=dry_run,
                       field_manager="soak" if patch_type == APPLY else None,
                       resource_version=version)
    if kind == "api_delete":
        what, index, options, dry_run = args
        name = _nth(c, what, index)
        return name and c.delete(what, name, options, dry_run=dry_run, resource_version=version)
    if kind == "api_scale":
        name, replicas, dry_run = args
        return c.patch_scale("deployments", name, {"spec": {"replicas": replicas}}, MERGE,
                             dry_run=dry_run, resource_version=version)
    if kind == "cordon":
        return c.patch("nodes", args[0], {"spec": {"unschedulable": args[1] or None}}, SMP,
                       resource_version=version)
    if kind == "evict":
        name = _nth(c, "pod", args[0])
        options = {} if args[1] is None else {"gracePeriodSeconds": args[1]}
        return name and c.evict(name, {"metadata": {"name": name}, "deleteOptions": options},
                                resource_version=version)
    raise ValueError(f"unknown soak command {kind!r}")


def run_command(c: Cluster, cmd: tuple, version: int | None = None):
    """Run one command; kubectl's (and the API server's) refusals come back as ("refused",
    text). API requests name `version` as their batch's resourceVersion."""
    kind, *args = cmd
    try:
        if kind.startswith("api_") or kind in ("cordon", "evict"):
            return run_api_command(c, cmd, version)
        if kind == "apply":
            return c.apply(args[0])
        if kind == "scale":
            return c.scale(*args)
        if kind == "set_image":
            return c.set_image(*args)
        if kind == "undo":
            return c.rollout_undo(args[0], to_revision=args[1])
        if kind == "pause":
            return c.rollout_pause(args[0])
        if kind == "resume":
            return c.rollout_resume(args[0])
        if kind == "restart":
            return c.rollout_restart(args[0])
        if kind == "delete_pod":
            pods = sorted(p["metadata"]["name"] for p in c.list("pod"))
            return c.delete_pod(pods[args[0] % len(pods)]) if pods else None
        if kind == "node":
            return c.set_node_ready(*args)
    except (KeyError, ValueError) as refused:
        return ("refused", str(refused))
    raise ValueError(f"unknown soak command {kind!r}")


@contextmanager
def wall_guard(what: str, step: int, seconds: float = STEP_WALL_SECONDS):
    """Fail, naming `what` (a scenario and its seed) and the step, if the body runs longer
    than `seconds` of wall time: a hang becomes a failure that says where."""
    def expired(signum, frame):
        raise StepHung(f"{what}: step {step} did not return within {seconds} s of wall time")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Mirror:
    """The objects as the change records describe them, and the invariants checked on them
    after every step."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.objects: dict[str, dict[str, dict]] = {"Deployment": {}, "ReplicaSet": {},
                                                    "Pod": {}, "Node": {}}
        self.totals: dict[str, int] = {}   # Deployment -> Σ spec.replicas of its RSs
        self.demand = 0                    # Σ replicas + maxSurge, as the pod budget counts
        self.explained: list[dict] = []    # the Explanation records of the last step

    def apply(self, records: list[dict]) -> None:
        for rec in records:
            if rec["type"] == "EVENT":
                continue
            if rec["kind"] == "Explanation":
                self.explained.append(rec)
                continue
            bucket = self.objects[rec["kind"]]
            if rec["type"] == "DELETED":
                bucket.pop(rec["name"], None)
            else:
                bucket[rec["name"]] = rec["object"]

    def _check_explanations(self, where: str) -> None:
        """An explanation names a Deployment that exists, and its numbers keep the rules it
        states: a scale-up stays within replicas + maxSurge, a scale-down shrinks."""
        explained, self.explained = self.explained, []
        for rec in explained:
            said = rec["object"]
            numbers = said["numbers"]
            if said["deployment"] not in self.objects["Deployment"]:
                raise InvariantBroken(f"{where}: an explanation for a missing Deployment: {said}")
            if said["reason"] == "ScaledUpNew" and not (
                    numbers["from"] < numbers["to"] and numbers["pods"] <= numbers["max_pods"]):
                raise InvariantBroken(f"{where}: a scale-up breaks its own rule: {said}")
            if said["reason"] == "ScaledDownOld" and not numbers["to"] < numbers["from"]:
                raise InvariantBroken(f"{where}: a scale-down that does not shrink: {said}")

    def check(self, step: int) -> None:
        """The ReplicaSet controller never keeps more active pods than spec.replicas; the
        Deployment controller only grows its ReplicaSets' total up to replicas + maxSurge
        (replicas for Recreate); what all objects ask for never grows past the pod budget."""
        where = f"{self.scenario.describe()}, after step {step}"
        self._check_explanations(where)
        demand = sum(_allowed(d["spec"]) for d in self.objects["Deployment"].values()) + sum(
            rs["spec"]["replicas"] for rs in self.objects["ReplicaSet"].values()
            if not rs["metadata"].get("ownerReferences"))
        if demand > max(self.scenario.pod_budget, self.demand):
            raise InvariantBroken(f"{where}: Deployments and ReplicaSets ask for {demand} pods, "
                                  f"over the budget of {self.scenario.pod_budget}")
        self.demand = demand
        active: dict[str, int] = {}
        for pod in self.objects["Pod"].values():
            meta = pod["metadata"]
            if ("deletionTimestamp" in meta or pod["status"]["phase"] in ("Succeeded", "Failed")
                    or "ownerReferences" not in meta):   # an orphan counts for no ReplicaSet
                continue
            owner = meta["ownerReferences"][0]["name"]
            active[owner] = active.get(owner, 0) + 1
        totals: dict[str, int] = {}
        for name, rs in self.objects["ReplicaSet"].items():
            if active.get(name, 0) > rs["spec"]["replicas"]:
                raise InvariantBroken(f"{where}: ReplicaSet {name} has {active[name]} active pods "
                                      f"for spec.replicas {rs['spec']['replicas']}")
            owners = rs["metadata"].get("ownerReferences")
            if owners:
                totals[owners[0]["name"]] = totals.get(owners[0]["name"], 0) + rs["spec"]["replicas"]
        for name, total in totals.items():
            d = self.objects["Deployment"].get(name)
            if d is None or total <= self.totals.get(name, 0):
                continue
            allowed = _allowed(d["spec"])
            if total > allowed:
                raise InvariantBroken(f"{where}: Deployment {name}'s ReplicaSets grew to {total} "
                                      f"replicas, more than the {allowed} its spec allows")
        self.totals = totals

    def matches(self, c: Cluster) -> None:
        """The change records describe the cluster: their last word on every object is
        what `list()` shows now."""
        for kind, objects in self.objects.items():
            shown = {o["metadata"]["name"]: o for o in c.list(kind)}
            if shown != objects:
                raise InvariantBroken(f"{self.scenario.describe()}: the {kind} records do not "
                                      "add up to what list() shows")


def _allowed(spec: dict) -> int:
    replicas = spec["replicas"]
    if spec["strategy"]["type"] == "Recreate":
        return replicas
    surge = spec["strategy"]["rollingUpdate"]["maxSurge"]
    if isinstance(surge, str):
        return replicas + math.ceil(int(surge[:-1]) * replicas / 100)
    return replicas + surge


@dataclass
class Run:
    """What running (part of) a scenario produced."""

    digests: list[str]            # per step: sha1 of the commands' results and records
    snapshot: dict | None = None  # taken before the step `snapshot_at`, if asked
    cluster: Cluster | None = None


def start(scenario: Scenario) -> Cluster:
    """A fresh cluster of the scenario's shape."""
    return Cluster(seed=scenario.seed, nodes=scenario.nodes, tick=scenario.tick,
                   pod_budget=scenario.pod_budget)


def drive(scenario: Scenario, c: Cluster, first: int, *, snapshot_at: int | None = None,
          mirror: Mirror | None = None) -> Run:
    """Run steps `first`.. of the scenario on `c`, each under the wall guard."""
    run = Run([], cluster=c)
    for step in range(first, scenario.steps):
        if step == snapshot_at:
            run.snapshot = json.loads(json.dumps(c.snapshot()))
        with wall_guard(scenario.describe(), step):
            # each batch is published under a version of its own: a command's, then the step's
            results = [run_command(c, cmd, 2 * step + 1)
                       for cmd in scenario.commands.get(step, ())]
            records = c.take_changes(resource_version=2 * step + 1)
            records += c.step(resource_version=2 * step + 2)
        text = json.dumps([results, records], sort_keys=True, default=str)
        run.digests.append(hashlib.sha1(text.encode()).hexdigest())
        if mirror is not None:
            mirror.apply(records)
            mirror.check(step)
    return run
