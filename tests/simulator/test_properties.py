"""Invariants of the engine over random specs and command sequences (hypothesis)."""
import json

from cluster_helpers import deployment_yaml, rolling, settled, sizes_by_image
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Cluster
from simulator.controllers.deployment import rollout_math as rm

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

int_or_percent = st.one_of(st.integers(0, 4), st.sampled_from(["0%", "10%", "25%", "50%", "100%"]))


@st.composite
def strategies_(draw):
    surge = draw(int_or_percent)
    unavailable = draw(int_or_percent)
    if surge in (0, "0%") and unavailable in (0, "0%"):
        unavailable = 1
    return surge, unavailable


@FAST
@given(replicas=st.integers(0, 12), strategy=strategies_(), seed=st.integers(0, 1000))
def test_healthy_rollouts_complete_within_the_surge_budget(replicas, strategy, seed):
    surge, unavailable = strategy
    c = Cluster(seed=seed)
    yaml = rolling(surge, unavailable)
    c.apply(deployment_yaml("nginx:1.14.2", replicas, strategy=yaml))
    settled(c)
    c.apply(deployment_yaml("nginx:1.16.1", replicas, strategy=yaml))
    max_total = replicas + rm.max_surge(replicas, surge, unavailable)
    min_available = rm.min_available(replicas, surge, unavailable)
    for _ in range(200):
        if c.rollout_status("web")[1]:
            break
        c.step()
        assert sum(sizes_by_image(c).values()) <= max_total
        assert c.get("deployment", "web")["status"].get("availableReplicas", 0) >= min_available
    assert c.rollout_status("web")[1]
    assert sizes_by_image(c).get("nginx:1.16.1") == replicas


IMAGES = ["nginx:1.14.2", "nginx:1.16.1", "guangzhengli/hellok8s:bad", "nginx:1.161",
          "guangzhengli/hellok8s:liveness"]
PROBES = "readinessProbe:\n  httpGet: {path: /healthz, port: 3000}\n  periodSeconds: 2\n"

command = st.one_of(
    st.tuples(st.just("step"), st.integers(1, 15)),
    st.tuples(st.just("scale"), st.integers(0, 8)),
    st.tuples(st.just("set_image"), st.sampled_from(IMAGES)),
    st.tuples(st.just("pause"), st.none()),
    st.tuples(st.just("resume"), st.none()),
    st.tuples(st.just("undo"), st.integers(0, 3)),
    st.tuples(st.just("restart"), st.none()),
    st.tuples(st.just("delete_pod"), st.integers(0, 10)),
    st.tuples(st.just("node"), st.tuples(st.sampled_from(["node-1", "node-2"]), st.booleans())),
)


def run(c: Cluster, commands) -> list[list[dict]]:
    """Play the commands; refusals (as kubectl would print them) are fine."""
    out = []
    for name, arg in commands:
        try:
            if name == "step":
                out.extend(c.step() for _ in range(arg))
            elif name == "scale":
                c.scale("web", arg)
            elif name == "set_image":
                c.set_image("web", "app", arg)
            elif name == "pause":
                c.rollout_pause("web")
            elif name == "resume":
                c.rollout_resume("web")
            elif name == "undo":
                c.rollout_undo("web", arg)
            elif name == "restart":
                c.rollout_restart("web")
            elif name == "delete_pod":
                pods = c.list("pod")
                if pods:
                    c.delete_pod(pods[arg % len(pods)]["metadata"]["name"])
            elif name == "node":
                c.set_node_ready(*arg)
        except ValueError:
            pass
        out.append(c.step())
        check_consistency(c)
    return out


def check_consistency(c: Cluster) -> None:
    pods = c.list("pod")
    rss = {rs["metadata"]["name"]: rs for rs in c.list("replicaset")}
    active = {}
    for pod in pods:
        owner = pod["metadata"]["ownerReferences"][0]["name"]
        assert owner in rss
        if "deletionTimestamp" not in pod["metadata"]:
            active[owner] = active.get(owner, 0) + 1
    d = c.get("deployment", "web")
    if d["status"].get("observedGeneration") == d["metadata"]["generation"]:
        assert d["status"].get("replicas", 0) == sum(
            rs["status"].get("replicas", 0) for rs in rss.values())
    for name, rs in rss.items():
        # the ReplicaSet controller has acted on its spec by the end of each step
        assert active.get(name, 0) == rs["spec"]["replicas"]
        assert rs["status"].get("replicas", 0) == active.get(name, 0)


@FAST
@given(commands=st.lists(command, max_size=12), seed=st.integers(0, 50))
def test_command_sequences_keep_objects_consistent_and_healthy_images_complete(commands, seed):
    c = Cluster(seed=seed)
    c.apply(deployment_yaml("nginx:1.14.2", 3, container_extra=""))
    run(c, commands)
    for node in ("node-1", "node-2"):
        c.set_node_ready(node, True)
    if c.get("deployment", "web")["spec"].get("paused"):
        c.rollout_resume("web")
    c.set_image("web", "app", "nginx:1.17.0")
    settled(c, limit=900)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands=st.lists(command, max_size=8), more=st.lists(command, max_size=8),
       seed=st.integers(0, 50))
def test_same_seed_same_events_and_snapshot_restore_same_future(commands, more, seed):
    def fresh():
        c = Cluster(seed=seed)
        c.apply(deployment_yaml("nginx:1.14.2", 3, container_extra=PROBES))
        return c
    a, b = fresh(), fresh()
    assert run(a, commands) == run(b, commands)
    twin = Cluster.restore(json.loads(json.dumps(a.snapshot())))
    assert run(twin, more) == run(a, more)
    assert twin.list("event") == a.list("event")
