"""The `Cluster` facade: kubectl-like commands, the simulated clock and `step()`, the only
place where time moves and controllers, scheduler and kubelets are driven from."""
from __future__ import annotations

import copy
import functools
import gc
import math
from contextlib import contextmanager

from simulator import countdowns, notes, snapshot
from simulator.api import apply as apply_mod
from simulator.api import handlers, pod_budget, registry, render, validation
from simulator.api.yaml_source import load_manifests
from simulator.controllers import endpointslice, node_lifecycle, scheduler, service_lb
from simulator.controllers import replicaset as replicaset_controller
from simulator.controllers.deployment import explain, rollback, rollout_math
from simulator.controllers.deployment import sync as deployment_controller
from simulator.controllers.deployment.revisions import REVISION_ANNOTATION, revision_number
from simulator.errors import ValidationError
from simulator.kubelet import kubelet
from simulator.kubelet.backoff import ImagePullBackoff, RestartBackoff
from simulator.kubelet.images import (
    IMAGE_BEHAVIOR_KIND,
    ImageCatalogue,
    normalize_reference,
    parse_image_behavior,
)
from simulator.names import new_uid
from simulator.objects import Deployment, Node, copy_data
from simulator.store import NAMESPACE, Store
from simulator.timers import MS_PER_SECOND, ms, rfc3339, seconds
from simulator.whatif import prediction

CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"

_KINDS = {"deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
          "replicaset": "ReplicaSet", "replicasets": "ReplicaSet", "rs": "ReplicaSet",
          "pod": "Pod", "pods": "Pod", "po": "Pod", "node": "Node", "nodes": "Node",
          "no": "Node", "event": "Event", "events": "Event", "ev": "Event",
          "service": "Service", "services": "Service", "svc": "Service",
          "endpointslice": "EndpointSlice", "endpointslices": "EndpointSlice",
          "endpoints": "Endpoints", "ep": "Endpoints"}
_RESOURCE = {"Deployment": "deployments.apps", "ReplicaSet": "replicasets.apps", "Pod": "pods",
             "Node": "nodes", "Event": "events", "Service": "services",
             "EndpointSlice": "endpointslices.discovery.k8s.io", "Endpoints": "endpoints"}
_APPLIED = {"Deployment": "deployment.apps", "ReplicaSet": "replicaset.apps",
            "Service": "service"}

_CONTROLLERS = {"deployment": deployment_controller.sync,
                "replicaset": replicaset_controller.sync,
                "scheduler": scheduler.schedule,
                "endpointslice": endpointslice.sync}


def _controllers_react(command):
    """After a command, the controllers react at the same instant (the real ones do within
    milliseconds), so back-to-back commands see each other's effects, e.g. the ReplicaSet of
    a `set image` exists before a `rollout undo`. Their change records come with the next
    step(); kubelet work waits for its timers."""
    @functools.wraps(command)
    def run(self, *args, **kwargs):
        result = command(self, *args, **kwargs)
        with _no_cyclic_gc():
            self._drain()
        return result
    return run


class Cluster:
    """A simulated Kubernetes cluster: N nodes, the Deployment and ReplicaSet controllers,
    a scheduler and kubelets, on a simulated clock; deterministic for a seed.

    Times are seconds since 2026-01-01T00:00:00Z (inside, whole milliseconds: timers.py).
    Objects come back shaped as `kubectl get -o yaml` prints them; treat them as
    read-only. `pod_budget` caps the pods all Deployments and ReplicaSets may ask for
    (replicas + maxSurge): an apply or scale past it is refused (api/pod_budget.py).
    `proxy_delay` is how long kube-proxy takes to act on a change of a Service's endpoints
    (seconds, whole milliseconds; the watch, its sync and the rule update together).
    """

    def __init__(self, seed: int = 0, nodes: int = 3, tick: float = 1.0,
                 pod_budget: int = pod_budget.DEFAULT_POD_BUDGET, proxy_delay: float = 1.0):
        self._s = Store(seed, _tick_ms(tick), ImageCatalogue(), RestartBackoff(),
                        ImagePullBackoff(), _checked_budget(pod_budget),
                        _delay_ms(proxy_delay))
        for i in range(nodes):
            node = Node(f"node-{i + 1}", new_uid(self._s.rng), 0, i + 1)
            self._s.nodes[node.name] = node
            self._s.changed("Node", node, "ADDED")

    # --- clock ---------------------------------------------------------------------------
    @property
    def now(self) -> float:
        """Simulated seconds since 2026-01-01T00:00:00Z."""
        return seconds(self._s.time)

    @property
    def tick(self) -> float:
        """Seconds one step() advances."""
        return seconds(self._s.tick)

    @property
    def pod_budget(self) -> int:
        """The most pods (replicas + maxSurge of all Deployments and ReplicaSets) this
        simulation admits."""
        return self._s.pod_budget

    @property
    def proxy_delay(self) -> float:
        """Seconds kube-proxy takes to act on a change of a Service's endpoints."""
        return seconds(self._s.proxy.delay)

    @property
    def resource_version(self) -> int:
        """The resourceVersion of the last batch of change records handed over (step() or
        take_changes()): what a list is at."""
        return self._s.resource_version

    def step(self, resource_version: int | None = None) -> list[dict]:
        """Advance one tick: controllers settle, then every timer due in the tick runs in
        time order (each instant followed by the controllers settling again).

        Returns the change records, in the order things happened (see docs/contracts.md),
        published under `resource_version` (greater than every earlier one; default: the
        last one + 1), which every object they show carries.
        Raises EngineStuck if the work of one instant does not converge (an engine defect)."""
        if resource_version is not None:
            self._s.name_version(resource_version)
        with _no_cyclic_gc():
            return self._step()

    def _step(self) -> list[dict]:
        # Every instant ends: its timers were scheduled before it or by a change made in
        # it (a timer re-armed by its own handler falls due strictly later: Store.rearm),
        # and the controllers' reactions to each change are bounded (Store.drain).
        s = self._s
        end = (s.steps + 1) * s.tick
        self._drain()
        timers = s.timers
        # requests see the cluster as every instant up to theirs left it: those due before
        # a timer instant are sent before its timers run (nothing changes in between)
        sending = s.traffic.active()
        while True:
            due = timers.next_due()
            if due is None or due > end:
                break
            if sending:
                s.traffic.send_until(s, due, inclusive=False)
            s.time = max(s.time, due)
            while due is not None and due <= s.time:
                due, action, key = timers.pop()
                if action == "kubelet":   # nearly every timer: skip the dispatch
                    kubelet.on_timer(s, key, due)
                else:
                    self._fire(due, action, key)
                due = timers.next_due()
            self._drain()
        if sending:
            s.traffic.send_until(s, end, inclusive=True)
        s.steps += 1
        s.time = end
        s.expire_events()
        return self._records() + s.traffic.records()

    def _drain(self) -> None:
        self._s.drain(_CONTROLLERS, replicaset_controller.BURST_REPLICAS)

    def advance(self, seconds: float) -> list[dict]:
        """Step until `seconds` more have passed; all change records concatenated."""
        target = self._s.time + ms(seconds)
        out: list[dict] = []
        while self._s.time < target:
            out.extend(self.step())
        return out

    def _fire(self, due: int, action: str, key: str) -> None:
        """Run a timer other than a kubelet wake-up (those _step runs directly)."""
        if action == "available":
            kubelet.on_available_timer(self._s, key, due)
        elif action == "evict":
            node_lifecycle.on_evict_timer(self._s, key, due)
        elif action == "deployment":
            self._s.enqueue("deployment", key)
        elif action == "proxy":
            self._s.proxy.on_timer(key, due)
        elif action == "loadbalancer":
            service_lb.on_timer(self._s, key, due)

    def take_changes(self, resource_version: int | None = None) -> list[dict]:
        """The change records gathered since the last step() (what commands did), which the
        next step() then no longer reports; lets a caller publish a command's effect at once.
        They are published under `resource_version` (as step())."""
        return self._records(resource_version)

    def _records(self, resource_version: int | None = None) -> list[dict]:
        s = self._s
        renderers = render.RENDERERS
        # an object changed and deleted in one step has two records showing its final
        # state (a pod that stops at once): render it once for both
        changes, twice, _ = s.take_changes(resource_version)
        rendered_twice: dict[int, dict] = {}
        out = []
        for change, kind, obj in changes:
            if type(obj) is dict:   # what a snapshot kept of an object already gone
                rendered = obj
            elif twice and id(obj) in twice:
                rendered = rendered_twice.get(id(obj))
                if rendered is None:
                    rendered = rendered_twice[id(obj)] = renderers[kind](s, obj)
            else:
                rendered = renderers[kind](s, obj)
            out.append({"type": change, "kind": kind, "name": rendered["metadata"]["name"],
                        "namespace": NAMESPACE, "object": rendered})
        return out

    # --- reading -------------------------------------------------------------------------
    def countdowns(self) -> list[dict]:
        """What the cluster waits for and until when (countdowns.py): minReadySeconds,
        probe runs and thresholds, CrashLoopBackOff and ImagePullBackOff, grace periods,
        progress deadlines, NotReady nodes' eviction; soonest first."""
        return countdowns.countdowns(self._s)

    def notes(self) -> list[dict]:
        """Learner's notes on the objects whose Kubernetes wording confuses (notes.py):
        ``{"kind", "name", "note"}`` for each running pod on a NotReady node (kubectl still
        says Running) and each combined event, pods first. It visits only the pods of
        NotReady nodes."""
        s = self._s
        out = []
        for node in s.nodes.values():
            if node.ready:
                continue
            for name in node.pods:
                pod = s.pods[name]
                if pod.deletion_time is None and any(c.state == "running" for c in pod.containers):
                    out.append({"kind": "Pod", "name": name,
                                "note": notes.running_on_not_ready_node_note(
                                    node_lifecycle.EVICTION_MS // 1000)})
        for name, event in s.events.items():
            note = notes.event_note(event["message"]) if event is not None else None
            if note is not None:
                out.append({"kind": "Event", "name": name, "note": note})
        return out

    def explanation(self, deployment: str) -> dict | None:
        """Why the Deployment controller last acted (or waits) on `deployment`: the latest
        of its Explanation records' objects, ``{"deployment", "time", "reason", "message",
        "numbers"}``, with ``"new_pods"``: why its new pods are not available now
        (explain.diagnose, None when they are). None before its first sync; KeyError if
        there is no such Deployment."""
        s = self._s
        d = s.deployments.get(deployment)
        if d is None:
            raise KeyError(f'deployments.apps "{deployment}" not found')
        said = s.explanations.get(d.uid)
        if said is None:
            return None
        new_rs = deployment_controller.find_new_replica_set(d, deployment_controller.owned_replica_sets(s, d))
        causes = explain.pod_causes([s.pods[n] for n in new_rs.pods], new_rs.replicas,
                                    s.time) if new_rs is not None else {}
        return {**copy_data(said), "new_pods": explain.diagnose(causes)}

    def get(self, kind: str, name: str) -> dict:
        """One object as `kubectl get KIND NAME -o yaml` shows it; KeyError if absent."""
        kind = _kind(kind)
        obj = self._objects(kind).get(name)
        if obj is None:   # (an event the spam filter never let through does not exist)
            raise KeyError(f'{_RESOURCE[kind]} "{name}" not found')
        if kind == "Event":
            return self._event(obj)
        return copy_data(render.render(self._s, kind, obj))

    def list(self, kind: str, namespace: str = NAMESPACE) -> list[dict]:
        """All objects of a kind (events oldest first, others by name)."""
        kind = _kind(kind)
        if namespace != NAMESPACE and kind != "Node":
            return []
        objects = self._objects(kind)
        if kind == "Event":   # events the spam filter never let through do not exist
            return [self._event(e) for e in objects.values() if e is not None]
        return [copy_data(render.render(self._s, kind, objects[n])) for n in sorted(objects)]

    def _event(self, event: dict) -> dict:
        return handlers.stored_event(self._s, event)

    def _objects(self, kind: str) -> dict:
        return registry.objects(self._s, kind)

    # --- apply ---------------------------------------------------------------------------
    @_controllers_react
    def apply(self, source) -> list[str]:
        """`kubectl apply -f`: YAML text (one or more documents) or dicts.

        All documents are checked first; if any is invalid a ValidationError carrying every
        problem is raised and nothing changes. Returns kubectl's lines, e.g.
        ["deployment.apps/web created"]. Each document is written as kubectl's client-side
        apply has the API server write it (a create, or the three-way merge as an update)."""
        return [self._commit(plan) for plan in self._planned(source)]

    def predict(self, source) -> dict:
        """What applying `source` would do to each Deployment in it, predicted without
        running anything (simulator/whatif/prediction.py; shape in docs/contracts.md):
        the resolved maxSurge/maxUnavailable and their rounding, whether a rollout starts,
        its waves, peak pods, minimum available and duration, and warnings. Raises the
        ValidationError apply would raise; changes nothing."""
        return prediction.predict(self._s, self._planned(source))

    def _planned(self, source) -> list:
        """Every document of an apply checked and planned (all problems at once), the pod
        budget and the Services' addresses admitted; nothing changed yet."""
        manifests = load_manifests(source)
        planned, failures = [], []
        for manifest in manifests:
            try:
                planned.append(self._plan(manifest))
            except ValidationError as error:
                failures.append(error)
        if failures:
            raise _combine(failures)
        writes = [p for p in planned if isinstance(p, registry.Write)]
        registry.admit_budget(self._s, writes)
        registry.admit_services(self._s, writes)
        return planned

    def _plan(self, manifest):
        obj = manifest.obj
        if obj.get("kind") == IMAGE_BEHAVIOR_KIND:
            return parse_image_behavior(manifest)
        failure = validation.validate_type_meta(obj)
        if failure is not None:
            raise failure
        kind = obj["kind"]
        name = obj["metadata"]["name"]
        live = self._objects(kind).get(name)
        if live is None:
            return registry.plan_create(self._s, kind, apply_mod.applied(manifest, None),
                                        lines=manifest.lines)
        merged = apply_mod.applied(manifest, render.render(self._s, kind, live))
        return registry.plan_update(self._s, kind, name, merged, lines=manifest.lines)

    def _commit(self, plan) -> str:
        s = self._s
        if not isinstance(plan, registry.Write):   # an ImageBehavior
            key = normalize_reference(plan.image)
            existing = [b for b in s.catalogue.to_dict()["custom"]
                        if normalize_reference(b["image"]) == key]
            if existing and existing[0] == plan.to_dict():
                return f"imagebehavior.rolloutviz.dev/{plan.image} unchanged"
            s.catalogue.add(plan)
            s.forget_behaviors()
            kubelet.on_catalogue_change(s)
            verb = "configured" if existing else "created"
            return f"imagebehavior.rolloutviz.dev/{plan.image} {verb}"
        registry.commit(s, plan)
        return f"{_APPLIED[plan.kind]}/{plan.name} {plan.verb}"

    # --- commands ------------------------------------------------------------------------
    def _deployment(self, name: str) -> Deployment:
        d = self._s.deployments.get(name)
        if d is None:
            raise KeyError(f'deployments.apps "{name}" not found')
        return d

    def _update(self, d: Deployment, spec: dict | None = None,
                annotations: dict | None = None) -> None:
        """An update through the API (validated, admitted against the pod budget; generation
        bumped when spec or annotations change; the controller woken)."""
        body = registry.stored_object(self._s, "Deployment", d)
        if spec is not None:
            body["spec"] = spec
        if annotations is not None:
            body["metadata"]["annotations"] = annotations
        write = registry.plan_update(self._s, "Deployment", d.name, body)
        registry.admit_budget(self._s, [write])
        registry.commit(self._s, write)

    @_controllers_react
    def scale(self, name: str, replicas: int) -> str:
        """`kubectl scale deployment/NAME --replicas=N` through the scale subresource: an
        int32 (as the API server decodes the Scale), 0 or more (its validation), within
        the pod budget."""
        d = self._deployment(name)
        failure = validation.validate_scale(name, replicas)
        if failure is not None:
            raise failure
        spec = copy.deepcopy(d.spec)
        spec["replicas"] = int(replicas)   # 3.0 decodes as 3
        self._update(d, spec)
        return f"deployment.apps/{name} scaled"

    @_controllers_react
    def set_image(self, name: str, container: str, image: str) -> str:
        """`kubectl set image deployment/NAME CONTAINER=IMAGE`."""
        d = self._deployment(name)
        spec = copy.deepcopy(d.spec)
        containers = spec["template"]["spec"]["containers"]
        match = [c for c in containers if c.get("name") == container]
        if not match:
            raise KeyError(f'unable to find container named "{container}"')
        if match[0].get("image") == image:
            return ""   # kubectl skips an empty patch and prints nothing
        match[0]["image"] = image
        self._update(d, spec)
        return f"deployment.apps/{name} image updated"

    def refusal(self, command: str, **args) -> str | None:
        """What ``command`` (rollout_undo, rollout_pause, rollout_resume, rollout_restart) with
        ``args`` would be refused with now, in kubectl's words, or None; nothing changes. The
        same checks the command makes first, so a page can say so before it shows a preview."""
        checks = {"rollout_undo": self._check_undo, "rollout_pause": self._check_pause,
                  "rollout_resume": self._check_resume, "rollout_restart": self._check_restart}
        if command not in checks:
            raise ValueError(f"no refusal check for {command!r}; one of {', '.join(sorted(checks))}")
        try:
            checks[command](**args)
        except (LookupError, ValueError) as error:
            return str(error.args[0]) if error.args else str(error)
        return None

    def _check_undo(self, name: str, to_revision: int = 0) -> None:
        rollback.check_undo(self._s, self._deployment(name), to_revision)

    def _check_pause(self, name: str) -> Deployment:
        d = self._deployment(name)
        if d.spec.get("paused"):
            raise ValueError(f'deployments.apps "{name}" is already paused')
        return d

    def _check_resume(self, name: str) -> Deployment:
        d = self._deployment(name)
        if not d.spec.get("paused"):
            raise ValueError(f'deployments.apps "{name}" is not paused')
        return d

    def _check_restart(self, name: str) -> Deployment:
        d = self._deployment(name)
        if d.spec.get("paused"):
            raise ValueError(f'deployments.apps "{name}" can\'t restart paused deployment '
                             "(run rollout resume first)")
        return d

    @_controllers_react
    def rollout_pause(self, name: str) -> str:
        """`kubectl rollout pause`."""
        d = self._check_pause(name)
        self._update(d, {**copy.deepcopy(d.spec), "paused": True})
        return f"deployment.apps/{name} paused"

    @_controllers_react
    def rollout_resume(self, name: str) -> str:
        """`kubectl rollout resume`."""
        d = self._check_resume(name)
        spec = copy.deepcopy(d.spec)
        spec.pop("paused")
        self._update(d, spec)
        return f"deployment.apps/{name} resumed"

    @_controllers_react
    def rollout_restart(self, name: str) -> str:
        """`kubectl rollout restart`: a restartedAt annotation on the pod template."""
        d = self._check_restart(name)
        spec = copy.deepcopy(d.spec)
        annotations = spec["template"].setdefault("metadata", {}).setdefault("annotations", {})
        stamp = rfc3339(self._s.time)
        if annotations.get(RESTARTED_AT) == stamp:   # same second: kubectl's patch is empty
            raise ValueError(f"failed to create patch for {name}: if restart has already been "
                             "triggered within the past second, please wait before attempting "
                             "to trigger another")
        annotations[RESTARTED_AT] = stamp
        self._update(d, spec)
        return f"deployment.apps/{name} restarted"

    @_controllers_react
    def rollout_undo(self, name: str, to_revision: int = 0) -> str:
        """`kubectl rollout undo [--to-revision=N]`; ValueError when kubectl refuses."""
        d = self._deployment(name)
        line, patch = rollback.undo(self._s, d, to_revision)
        if patch is not None:
            spec = copy.deepcopy(d.spec)
            spec["template"] = patch["template"]
            self._update(d, spec, patch["annotations"])
        return line

    def rollout_history(self, name: str) -> list[dict]:
        """`kubectl rollout history`: [{"revision", "change_cause"}] ascending."""
        d = self._deployment(name)
        rows = []
        for rs in deployment_controller.owned_replica_sets(self._s, d):
            number = revision_number(rs.annotations.get(REVISION_ANNOTATION))
            if number:
                rows.append({"revision": number, "change_cause": rs.annotations.get(CHANGE_CAUSE)})
        rows.sort(key=lambda r: r["revision"])
        return rows

    def rollout_status(self, name: str) -> tuple[str, bool]:
        """kubectl rollout status: its current line (newline included) and whether done."""
        d = self._deployment(name)
        return rollout_math.rollout_status(name, d.generation, d.spec.get("replicas", 1),
                                           d.status, d.status.get("conditions", ()))

    @_controllers_react
    def delete_pod(self, name: str) -> str:
        """`kubectl delete pod NAME` (graceful: the pod shows Terminating first)."""
        pod = self._s.pods.get(name)
        if pod is None:
            raise KeyError(f'pods "{name}" not found')
        self._s.delete_pod(pod)
        return f'pod "{name}" deleted'

    @_controllers_react
    def set_node_ready(self, node_name: str, ready: bool) -> str:
        """Stop (False) or restart (True) a node's kubelet."""
        if node_name not in self._s.nodes:
            raise KeyError(f'nodes "{node_name}" not found')
        node_lifecycle.set_ready(self._s, node_name, bool(ready))
        return f"node/{node_name} {'Ready' if ready else 'NotReady'}"

    # --- traffic -------------------------------------------------------------------------
    def send_traffic(self, service: str, rate: float, path: str = "/", port=None) -> dict:
        """Start a client sending `rate` requests per simulated second (evenly spaced, at
        most proxy/traffic.MAX_RATE) to the Service's first port, or the one `port` names
        (number or name); a second call replaces rate, path and port; rate 0 stops it.
        Returns {"rate", "path", "port"}. KeyError for a missing Service, ValueError for
        a bad argument or a Service kube-proxy does not route (headless, ExternalName);
        nothing changes then. Each later step() adds one Traffic record per sending
        client (docs/contracts.md)."""
        svc = self._s.services.get(service)
        if svc is None:
            raise KeyError(f'services "{service}" not found')
        return self._s.traffic.send(svc, self._s.time, rate, path, port)

    def traffic(self, service: str) -> dict:
        """What the Service's client sent and got so far: {"sent", "ok", "failed",
        "answers": {body: count}, "errors": {reason: count}} (all zero if none was sent)."""
        if service not in self._s.services and service not in self._s.traffic.clients:
            raise KeyError(f'services "{service}" not found')
        return self._s.traffic.totals(service)

    def traffic_clients(self) -> dict:
        """{service: {"rate", "path", "port"}} of every client (rate 0: stopped)."""
        return {name: self._s.traffic.settings(name) for name in self._s.traffic.clients}

    # --- the Kubernetes API --------------------------------------------------------------
    # Requests as the API server takes them (simulator/api/handlers.py): decoded JSON in,
    # `kubectl get -o json`-shaped objects out, refusals as StatusError (its `.status` is
    # the Status body to answer). A write answers {"code", "body", "line", "warnings"};
    # `resource_version` names the version its batch will be published under (see step());
    # a dry run changes nothing and takes no version.
    def read(self, kind: str, name: str, subresource: str = "") -> dict:
        """GET of one object, or of its "status" or "scale" subresource."""
        return handlers.get(self._s, _kind(kind), name, subresource)

    def read_list(self, kind: str, label_selector: str = "", field_selector: str = "") -> dict:
        """LIST with label and field selectors: a `<Kind>List` at the current version."""
        return handlers.list_objects(self._s, _kind(kind), label_selector, field_selector)

    def _settle_after(self, dry_run: bool, resource_version: int | None):
        """The callback a write calls once it has changed the store: its batch takes
        `resource_version`, then the controllers react before the write is answered (nothing
        for a dry run, which changes nothing). Named only then, so a refused write leaves the
        open batch as it was."""
        if dry_run:
            return lambda: None

        def settle():
            if resource_version is not None:
                self._s.name_version(resource_version)
            self._drain()
        return settle

    @_controllers_react
    def create(self, kind: str, body: dict, *, dry_run: bool = False,
               field_validation: str = "Warn", resource_version: int | None = None) -> dict:
        """POST: create a Deployment or ReplicaSet (201)."""
        return handlers.create(self._s, _kind(kind), body, dry_run=dry_run,
                               field_validation=field_validation,
                               settle=self._settle_after(dry_run, resource_version))

    @_controllers_react
    def replace(self, kind: str, name: str, body: dict, *, dry_run: bool = False,
                field_validation: str = "Warn", resource_version: int | None = None) -> dict:
        """PUT: replace a Deployment, ReplicaSet or Node."""
        return handlers.replace(self._s, _kind(kind), name, body, dry_run=dry_run,
                                field_validation=field_validation,
                                settle=self._settle_after(dry_run, resource_version))

    @_controllers_react
    def patch(self, kind: str, name: str, patch, patch_type: str, *,
              field_manager: str | None = None, force: bool | None = None,
              dry_run: bool = False, field_validation: str = "Warn",
              resource_version: int | None = None) -> dict:
        """PATCH (`patch_type` the Content-Type: strategic merge, merge, JSON patch or
        server-side apply) of a Deployment, ReplicaSet or Node."""
        return handlers.patch(self._s, _kind(kind), name, patch, patch_type,
                              field_manager=field_manager, force=force, dry_run=dry_run,
                              field_validation=field_validation,
                              settle=self._settle_after(dry_run, resource_version))

    @_controllers_react
    def delete(self, kind: str, name: str, options: dict | None = None, *,
               dry_run: bool = False, resource_version: int | None = None) -> dict:
        """DELETE a Deployment, ReplicaSet or Pod with DeleteOptions."""
        return handlers.delete(self._s, _kind(kind), name, options, dry_run=dry_run,
                               settle=self._settle_after(dry_run, resource_version))

    @_controllers_react
    def replace_scale(self, kind: str, name: str, body: dict, *, dry_run: bool = False,
                      resource_version: int | None = None) -> dict:
        """PUT of the scale subresource (autoscaling/v1 Scale)."""
        return handlers.replace_scale(self._s, _kind(kind), name, body, dry_run=dry_run,
                                      settle=self._settle_after(dry_run, resource_version))

    @_controllers_react
    def patch_scale(self, kind: str, name: str, patch, patch_type: str, *,
                    dry_run: bool = False, resource_version: int | None = None) -> dict:
        """PATCH of the scale subresource."""
        return handlers.patch_scale(self._s, _kind(kind), name, patch, patch_type,
                                    dry_run=dry_run,
                                    settle=self._settle_after(dry_run, resource_version))

    @_controllers_react
    def evict(self, name: str, body: dict | None = None, *, dry_run: bool = False,
              resource_version: int | None = None) -> dict:
        """POST pods/NAME/eviction (policy/v1 Eviction): a graceful delete (201)."""
        return handlers.evict(self._s, name, body, dry_run=dry_run,
                              settle=self._settle_after(dry_run, resource_version))

    # --- persistence ---------------------------------------------------------------------
    def snapshot(self) -> dict:
        """JSON-serialisable state; Cluster.restore() of it continues exactly the same way."""
        return snapshot.dump(self._s)

    @classmethod
    def restore(cls, state: dict, pod_budget: int | None = None,
                tick: float | None = None) -> "Cluster":
        """A Cluster continuing from a snapshot() (of this version or an earlier one).

        `pod_budget` replaces the snapshot's budget for what comes next; objects already
        above it keep running as they are. `tick` replaces the seconds one step() advances
        (it must divide the current time: what happens, and when, does not depend on it;
        only how often a caller gets to look does)."""
        cluster = cls.__new__(cls)
        cluster._s = snapshot.load(state)
        if pod_budget is not None:
            cluster._s.pod_budget = _checked_budget(pod_budget)
        if tick is not None:
            s = cluster._s
            tick_ms = _tick_ms(tick)
            if s.time % tick_ms:
                raise ValueError(f"tick {tick!r} s does not divide the time {seconds(s.time)} s")
            s.tick, s.steps = tick_ms, s.time // tick_ms
        return cluster


@contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector for one step.

    A big step allocates hundreds of thousands of small dicts, and each generation-2 pass
    rescans every live object: that made a 10,000-pod step several times slower. The
    engine builds no reference cycles (plain refcounting frees its garbage); whatever
    cycles other code makes meanwhile are collected by the next full collection."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        _promote_survivors()
        gc.enable()


def _promote_survivors() -> None:
    """Move the step's surviving objects to the oldest generation without scanning them.

    They are the cluster's objects and the change records handed to the caller, freed by
    refcounting when dropped; a young-generation pass right after the step would walk
    every one of them (as long as rendering them took). freeze() moves all tracked objects
    to the permanent generation and resets the young count; unfreeze() puts them back into
    the oldest. Skipped if someone else froze objects, as unfreeze() would release theirs."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()


def _tick_ms(tick: float) -> int:
    """A tick in whole milliseconds; anything else is refused (the clock counts ms)."""
    if isinstance(tick, bool) or not isinstance(tick, (int, float)) or not 0 < tick < math.inf:
        raise ValueError(f"tick must be a positive number of seconds, got {tick!r}")
    tick_ms = ms(tick)
    if tick_ms / MS_PER_SECOND != tick:
        raise ValueError(f"tick must be a whole number of milliseconds, got {tick!r} s")
    return tick_ms


def _delay_ms(delay: float) -> int:
    """The proxy delay in whole milliseconds, 0 or more."""
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay < math.inf:
        raise ValueError(f"proxy_delay must be 0 or more seconds, got {delay!r}")
    delay_ms = ms(delay)
    if delay_ms / MS_PER_SECOND != delay:
        raise ValueError(f"proxy_delay must be a whole number of milliseconds, got {delay!r} s")
    return delay_ms


def _checked_budget(budget: int) -> int:
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"pod_budget must be a positive integer, got {budget!r}")
    return budget


def _kind(kind: str) -> str:
    try:
        return _KINDS[kind.lower()]
    except KeyError:
        raise KeyError(f'the server doesn\'t have a resource type "{kind}"') from None


def _combine(failures: list[ValidationError]) -> ValidationError:
    if len(failures) == 1:
        return failures[0]
    errors = [e for f in failures for e in f.errors]
    return ValidationError(errors, message="\n".join(str(f) for f in failures))
