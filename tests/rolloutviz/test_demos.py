"""Every built-in demo: its manifest applies cleanly, and each step, performed through the
services the page uses, runs to the outcome its tutorial describes."""
import pytest

from rolloutviz import compact, demos, protocol
from rolloutviz.models import TickRecord
from rolloutviz.services import live, simulations
from rolloutviz.services.named_commands import COMMANDS, run_demo_step
from simulator import Cluster
from simulator.kubectl.printers import parse_time

REVISION = "deployment.kubernetes.io/revision"


class View:
    """Questions about one simulation's current cluster."""

    def __init__(self, sim_id: int, deployment: str, since_seq: int = 0, start: "View | None" = None):
        self.sim_id, self.name, self.since_seq = sim_id, deployment, since_seq
        self.cluster = live.cluster_for_read(simulation_id=sim_id)
        self.start = start  # the view before the step began

    def traffic(self, service: str) -> dict:
        """What the Service's client got since the step began (all of it without a start)."""
        now = self.cluster.traffic(service)
        before = self.start.cluster.traffic(service) if self.start else {}
        return {"failed": now["failed"] - before.get("failed", 0),
                "ok": now["ok"] - before.get("ok", 0),
                "answers": {body: n - before.get("answers", {}).get(body, 0)
                            for body, n in now["answers"].items()},
                "errors": {reason: n - before.get("errors", {}).get(reason, 0)
                           for reason, n in now["errors"].items()}}

    def status_during(self, key: str) -> list[int]:
        """The Deployment's ``status[key]`` in every recorded change since the step began."""
        payloads = TickRecord.objects.filter(simulation_id=self.sim_id).order_by("seq")
        held, found = compact.Mirror(), []  # stored deltas read in order, as a viewer would
        for payload in payloads.values_list("payload", flat=True):
            changes, _ = protocol.payload_records(payload, held)
            found += [change["object"].get("status", {}).get(key, 0) for change in changes
                      if payload["seq"] > self.since_seq and change["kind"] == "Deployment"
                      and change["name"] == self.name]
        return found

    def deployment(self) -> dict:
        return self.cluster.get("deployment", self.name)

    def done(self) -> bool:
        return self.cluster.rollout_status(self.name)[1]

    def status(self) -> str:
        return self.cluster.rollout_status(self.name)[0]

    def revisions(self) -> list[int]:
        return sorted(h["revision"] for h in self.cluster.rollout_history(self.name))

    def replicasets(self) -> dict[str, dict]:
        """image -> {"replicas", "ready", "revision"} of the Deployment's ReplicaSets."""
        found = {}
        for rs in self.cluster.list("replicaset"):
            owners = [o.get("name") for o in rs["metadata"].get("ownerReferences") or []]
            if self.name in owners:
                image = rs["spec"]["template"]["spec"]["containers"][0]["image"]
                found[image] = {"replicas": rs["spec"]["replicas"],
                                "ready": rs.get("status", {}).get("readyReplicas", 0),
                                "revision": int(rs["metadata"]["annotations"][REVISION])}
        return found

    def live_pods(self, prefix: str = "") -> list[dict]:
        return [p for p in self.cluster.list("pod")
                if not p["metadata"].get("deletionTimestamp")
                and p["metadata"]["name"].startswith(prefix or self.name)]

    def images(self) -> set[str]:
        return {p["spec"]["containers"][0]["image"] for p in self.live_pods()}

    def ready(self, pod: dict) -> bool:
        conditions = pod.get("status", {}).get("conditions") or []
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    def event_messages(self, reason: str) -> list[str]:
        return [e["message"] for e in self.cluster.list("event") if e.get("reason") == reason]


def counts(view: View, image: str) -> tuple[int, int]:
    """(spec.replicas, readyReplicas) of the Deployment's ReplicaSet running ``image``."""
    rs = view.replicasets()[image]
    return rs["replicas"], rs["ready"]


def ready_after_start(view: View, image: str) -> list[float]:
    """Seconds from container start to Ready, for the live pods running ``image``."""
    delays = []
    for pod in view.live_pods():
        if pod["spec"]["containers"][0]["image"] != image:
            continue
        started = pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]
        ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        delays.append(parse_time(ready["lastTransitionTime"]) - parse_time(started))
    return delays


def on_nodes(view: View, terminating: bool = False) -> list[str]:
    """Nodes of the ReplicaSet practice's pods, live ones or only those Terminating."""
    return sorted(p["spec"].get("nodeName") for p in view.cluster.list("pod")
                  if p["metadata"]["name"].startswith("nginx-replicaset")
                  and bool(p["metadata"].get("deletionTimestamp")) == terminating)


def scaling_of(view: View) -> list[str]:
    """ScalingReplicaSet messages with ReplicaSet names replaced by their image."""
    names = {rs["metadata"]["name"]: rs["spec"]["template"]["spec"]["containers"][0]["image"]
             for rs in view.cluster.list("replicaset")}
    out = []
    for message in view.event_messages("ScalingReplicaSet"):
        for name, image in names.items():
            message = message.replace(f"replica set {name} ", f"replica set {image} ")
        out.append(message)
    return out


# Each demo: (deployment name, seconds to run after creation, check of the start,
# then per step: (seconds to run after it, check(view, result))).
HELLO = "guangzhengli/hellok8s"
ZD = "dejan1998/k8s-rollout-demo"
ZDS = "k8s-rollout-demo"   # its Service
CASES = {
    "hellok8s": ("hellok8s-deployment", 30, lambda v: v.done() and len(v.live_pods()) == 1, [
        (60, lambda v, r: len(v.live_pods()) == 1 and v.done()),
        (60, lambda v, r: len(v.live_pods()) == 3 and v.revisions() == [1]),
        (120, lambda v, r: v.done() and v.revisions() == [1, 2] and v.images() == {f"{HELLO}:v2"}),
        (120, lambda v, r: v.done() and v.revisions() == [2, 3] and v.images() == {f"{HELLO}:v1"}),
        (120, lambda v, r: v.done() and v.revisions() == [3, 4] and v.images() == {f"{HELLO}:v2"}),
        (30, lambda v, r: v.revisions() == [3, 4]
         and v.deployment()["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1,
                                                                     "maxUnavailable": 1}),
        (90, lambda v, r: any(
            s.get("restartCount", 0) >= 1
            for p in v.live_pods() for s in p["status"].get("containerStatuses") or [])
         and "Liveness probe failed: HTTP probe failed with statuscode: 500"
         in v.event_messages("Unhealthy")),
        (120, lambda v, r: v.done() and v.images() == {f"{HELLO}:v2"}),
        (120, lambda v, r: not v.done() and counts(v, f"{HELLO}:bad") == (2, 0)
         and counts(v, f"{HELLO}:v2") == (2, 2)),
        (30, lambda v, r: v.traffic("service-hellok8s-clusterip") == {
            "failed": 0, "ok": 300, "answers": {"[v2] Hello, Kubernetes!": 300}, "errors": {}}),
    ]),
    "nginx-docs": ("nginx-deployment", 60, lambda v: v.done(), [
        (120, lambda v, r: v.done() and v.revisions() == [1, 2] and scaling_of(v)[-6:] == [
            "Scaled up replica set nginx:1.16.1 from 0 to 1",
            "Scaled down replica set nginx:1.14.2 from 3 to 2",
            "Scaled up replica set nginx:1.16.1 from 1 to 2",
            "Scaled down replica set nginx:1.14.2 from 2 to 1",
            "Scaled up replica set nginx:1.16.1 from 2 to 3",
            "Scaled down replica set nginx:1.14.2 from 1 to 0"]),
        (0, lambda v, r: r == 'deployment "nginx-deployment" successfully rolled out\n'),
        (120, lambda v, r: not v.done() and v.replicasets()["nginx:1.161"]["replicas"] == 1
         and v.replicasets()["nginx:1.16.1"]["ready"] == 3
         and v.status() == 'Waiting for deployment "nginx-deployment" rollout to finish: '
                           '1 out of 3 new replicas have been updated...\n'),
        (0, lambda v, r: [line.split()[0] for line in r.splitlines()[2:5]] == ["1", "2", "3"]),
        (120, lambda v, r: v.done() and v.revisions() == [1, 3, 4]
         and v.replicasets()["nginx:1.16.1"]["revision"] == 4
         and not v.event_messages("DeploymentRollback")),
        (120, lambda v, r: v.done() and len(v.live_pods()) == 10),
        (120, lambda v, r: {i: s["replicas"] for i, s in v.replicasets().items()
                            if s["replicas"]} == {"nginx:1.16.1": 8, "nginx:sometag": 5}),
        (30, lambda v, r: {i: s["replicas"] for i, s in v.replicasets().items()
                           if s["replicas"]} == {"nginx:1.16.1": 11, "nginx:sometag": 7}),
        (180, lambda v, r: v.done() and v.images() == {"nginx:1.16.1"}
         and len(v.live_pods()) == 15),
        (5, lambda v, r: v.deployment()["spec"].get("paused") is True),
        (60, lambda v, r: not any(
            (c.get("resources") or {}).get("limits")
            for rs in v.cluster.list("replicaset")
            for c in rs["spec"]["template"]["spec"]["containers"])
         and v.replicasets()["nginx:1.14.2"]["replicas"] == 0),
        (300, lambda v, r: v.done() and v.images() == {"nginx:1.14.2"}
         and v.live_pods()[0]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "200m"),
        (120, lambda v, r: v.status() ==
         'error: deployment "nginx-deployment" exceeded its progress deadline\n'),
    ]),
    "replicaset-practice": ("web-deployment", 30,
                            lambda v: sum(v.ready(p) for p in v.live_pods("nginx-replicaset")) == 3
                            and "node-3" in on_nodes(v), [
        (400, lambda v, r: sum(v.ready(p) for p in v.live_pods("nginx-replicaset")
                               if p["spec"].get("nodeName") != "node-3") == 3
         and on_nodes(v, terminating=True) == ["node-3"]),
        (60, lambda v, r: "node-3" not in on_nodes(v) + on_nodes(v, terminating=True)
         and len(v.live_pods("nginx-replicaset")) == 3),
        (60, lambda v, r: sum(v.ready(p) for p in v.live_pods("nginx-replicaset")) == 5),
        (60, lambda v, r: len(v.live_pods("nginx-replicaset")) == 3),
        (60, lambda v, r: v.done() and v.revisions() == [1]),
        (120, lambda v, r: v.done() and v.revisions() == [1, 2]),
        (120, lambda v, r: not v.done() and v.replicasets()["nginx:1.161"]["replicas"] == 1
         and v.replicasets()["nginx:1.16.1"]["ready"] == 3),
        (0, lambda v, r: [line.split()[0] for line in r.splitlines()[2:5]] == ["1", "2", "3"]),
        (0, lambda v, r: "nginx:1.16.1" in r and "revision #2" in r),
        (120, lambda v, r: v.done() and v.revisions() == [1, 3, 4]),
    ]),
    "k8s-in-action": ("testqc", 30, lambda v: v.done(), [
        (120, lambda v, r: v.done() and v.revisions() == [1, 2]),
        (0, lambda v, r: "successfully rolled out" in r),
        (0, lambda v, r: "kubectl create --filename=deployment-v1.yaml --record=true" in r),
        (120, lambda v, r: v.done() and v.revisions() == [2, 3]
         and v.images() == {"qinchaowhut/allen:v1"}),
        (120, lambda v, r: v.done() and v.revisions() == [3, 4]
         and min(v.status_during("availableReplicas")) == 3
         and max(v.status_during("replicas")) == 4),
        (120, lambda v, r: v.done() and v.revisions() == [4, 5]
         and min(v.status_during("availableReplicas")) == 2
         and max(v.status_during("replicas")) <= 4),
        (180, lambda v, r: v.done() and v.deployment()["spec"]["minReadySeconds"] == 10),
        (1, lambda v, r: v.replicasets()["qinchaowhut/allen:v1"]["replicas"] == 1),
        (60, lambda v, r: not v.done()
         and v.replicasets()["qinchaowhut/allen:v1"]["replicas"] == 1
         and v.replicasets()["qinchaowhut/allen:v2"]["replicas"] == 3),
        (180, lambda v, r: v.done() and v.images() == {"qinchaowhut/allen:v1"}),
    ]),
    "zero-downtime": ("k8s-rollout-demo", 60, lambda v: v.done(), [
        (30, lambda v, r: v.traffic(ZDS) == {"failed": 0, "ok": 150, "answers": {'"v0.1"': 150},
                                             "errors": {}}),
        (120, lambda v, r: v.done() and len(ready_after_start(v, f"{ZD}:v0.2")) == 3
         and min(ready_after_start(v, f"{ZD}:v0.2")) >= 15
         and min(v.status_during("availableReplicas")) == 3
         # a few refused through kube-proxy's propagation delay, the answers move to v0.2
         and 0 < v.traffic(ZDS)["failed"] <= 20 and v.traffic(ZDS)["answers"]['"v0.2"'] > 300),
        (0, lambda v, r: "successfully rolled out" in r),
        (120, lambda v, r: v.done() and len(ready_after_start(v, f"{ZD}:v0.1")) == 3
         and max(ready_after_start(v, f"{ZD}:v0.1")) < 15
         and v.traffic(ZDS)["errors"]["connection refused"] >= 50),
        (120, lambda v, r: v.done() and v.traffic(ZDS)["failed"] >= 50),
        (120, lambda v, r: v.done() and min(ready_after_start(v, f"{ZD}:v0.1")) >= 15),
        (120, lambda v, r: v.done() and min(ready_after_start(v, f"{ZD}:v0.2")) >= 15
         and v.traffic(ZDS)["failed"] == 0 and v.traffic(ZDS)["answers"]['"v0.2"'] > 300),
    ]),
}


def test_every_demo_has_a_case():
    assert sorted(CASES) == sorted(d.key for d in demos.all_demos())


@pytest.mark.parametrize("demo", demos.all_demos(), ids=lambda d: d.key)
def test_manifest_applies_cleanly_on_a_plain_cluster(demo):
    cluster = Cluster(seed=0)
    results = cluster.apply(demo.manifest)
    assert results and all(line.endswith(" created") for line in results)


@pytest.mark.parametrize("demo", demos.all_demos(), ids=lambda d: d.key)
def test_steps_use_known_commands(demo):
    for step in demo.steps:
        assert step.title and step.explanation and step.kubectl
        if step.command == "apply":
            Cluster(seed=0).apply(demo.manifest)
        elif step.command != "kubectl":
            allowed, required, _ = COMMANDS[step.command]
            assert required <= set(step.args) <= allowed, step.title


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", sorted(CASES))
def test_demo_runs_to_the_tutorials_outcome(key):
    deployment, start_seconds, start_check, checks = CASES[key]
    demo = demos.get_demo(key)
    assert len(checks) == len(demo.steps)
    sim = simulations.simulation_create(demo=key)
    simulations.clock_step(simulation_id=sim.id, count=start_seconds)
    assert start_check(View(sim.id, deployment))
    for step, (seconds, check) in zip(demo.steps, checks):
        since_seq = simulations.simulation_get(simulation_id=sim.id).seq
        start = View(sim.id, deployment)
        result = run_demo_step(simulation_id=sim.id, command=step.command, args=step.args)
        if seconds:
            simulations.clock_step(simulation_id=sim.id, count=seconds)
        assert check(View(sim.id, deployment, since_seq, start), result), step.title
