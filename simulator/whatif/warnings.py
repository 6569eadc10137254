"""Warnings about a Deployment edit that the API accepts but that cannot roll out without
downtime, or cannot finish: each names the field to change (with its YAML line) and says why
in plain words."""
from __future__ import annotations

from simulator.api.yaml_source import line_for
from simulator.controllers.deployment import rollout_math as rm
from simulator.kubelet import lifecycle
from simulator.whatif import pod_timing


class Advice:
    """The warnings of one Deployment document (``lines``: its field path → line map)."""

    def __init__(self, lines: dict):
        self.lines = lines
        self.warnings: list[dict] = []

    def warn(self, field: str, message: str) -> None:
        self.warnings.append({"field": field, "line": line_for(self.lines, field), "message": message})

    def review(self, out: dict, spec: dict, timing, services: dict, store, catalogue, nodes) -> None:
        """Every warning that applies to the predicted rollout ``out`` of ``spec``."""
        replicas = out["replicas"]
        rolls = out["starts_rollout"]
        had_pods = out.get("old_replicas", 0) > 0
        if out["change"] == "paused":
            self.warn("spec.paused", "the Deployment is paused: the new pod template is stored but "
                                     "no pod changes until `kubectl rollout resume`")
        if replicas == 0:
            self.warn("spec.replicas", "replicas 0: no pod runs, nothing answers requests")
        if not nodes.names:
            self.warn("spec.template.spec", f"none of the {nodes.total} nodes is Ready and "
                                            "schedulable: new pods stay Pending")
        if rolls and had_pods and out["strategy"] == rm.RECREATE:
            gap = out.get("duration_seconds")
            self.warn("spec.strategy.type",
                      f"Recreate stops all {out['old_replicas']} old pods before it starts a new one: "
                      "nothing is available" + (f" for about {gap:g} s" if gap else " until the new pods are"))
        elif rolls and had_pods and out["min_available"] == 0 and replicas > 0:
            field = "spec.strategy.rollingUpdate.maxUnavailable"
            if replicas == 1:
                self.warn(field, "with 1 replica and maxUnavailable "
                                 f"{out['max_unavailable']} the only pod is stopped as soon as the "
                                 "rollout starts: nothing is available until the new pod is (use "
                                 "maxUnavailable 0 and maxSurge 1)")
            else:
                self.warn(field, f"maxUnavailable resolves to {out['max_unavailable']} of "
                                 f"{replicas} replicas: every old pod may be stopped before a new "
                                 "one is available")
        if timing is not None:
            self._containers(out, spec, timing)
        selecting = sorted(name for name, s in services.items() if _selects(s, spec))
        if selecting and timing is not None and replicas > 0:
            self._traffic(spec, selecting, timing, store, catalogue, rolls)

    def _containers(self, out: dict, spec: dict, timing) -> None:
        base = "spec.template.spec.containers"
        deadline = spec.get("progressDeadlineSeconds")
        for c in timing.containers:
            at = f"{base}[{c.index}]"
            if c.problem is not None:
                field = {pod_timing.STARTUP_FAILS: f"{at}.startupProbe",
                         pod_timing.READINESS_FAILS: f"{at}.readinessProbe",
                         pod_timing.LIVENESS_KILLS: f"{at}.livenessProbe"}.get(c.problem, f"{at}.image")
                ending = (f"; the rollout stops and reports ProgressDeadlineExceeded after "
                          f"{deadline} s without progress" if rm.has_progress_deadline(deadline)
                          else "; the rollout never finishes")
                self.warn(field, f"new pods never become available: {c.detail}{ending}")
            elif c.later:
                self.warn(f"{at}.image", f"{c.image}: {c.later}")
        available = timing.available_ms
        if available is not None and rm.has_progress_deadline(deadline) and available > deadline * 1000:
            self.warn("spec.progressDeadlineSeconds",
                      f"progressDeadlineSeconds {deadline} is shorter than a new pod takes to become "
                      f"available ({available / 1000:g} s): the rollout is reported failed "
                      "(ProgressDeadlineExceeded) while it still moves")

    def _traffic(self, spec: dict, services: list[str], timing, store, catalogue, rolls: bool) -> None:
        base = "spec.template.spec.containers"
        named = ", ".join(services)
        for i, container in enumerate(spec["template"]["spec"].get("containers") or []):
            behavior = catalogue.lookup(container["image"])
            if not container.get("readinessProbe") and behavior.startup_time > 0:
                self.warn(f"{base}[{i}]",
                          f"no readiness probe: Service {named} sends requests to a new pod as soon as "
                          f"its container starts, {behavior.startup_time:g} s before {container['image']} "
                          "listens, and they fail (add a readinessProbe)")
            if rolls and not lifecycle.pre_stop_ms(container) and not behavior.listens_after_sigterm():
                delay = store.proxy.delay / 1000
                self.warn(f"{base}[{i}].lifecycle",
                          f"an old pod stops taking connections at SIGTERM, while kube-proxy still "
                          f"sends it requests for about {delay:g} s: requests through Service {named} "
                          "fail (a preStop sleep of a few seconds avoids it)")


def _selects(service_spec: dict, spec: dict) -> bool:
    """Whether a Service's selector picks the template's pods."""
    selector = service_spec.get("selector") or {}
    labels = (spec["template"].get("metadata") or {}).get("labels") or {}
    return bool(selector) and selector.items() <= labels.items()
