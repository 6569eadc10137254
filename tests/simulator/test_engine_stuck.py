"""Every loop inside one simulated instant is bounded: a defect that would spin stops the
step with EngineStuck naming the object and what kept coming back, never a hang and never
silently dropped work. The defects are injected here; the engine itself never trips them
(the soak suite runs hundreds of long scenarios to show that)."""
import pytest

from cluster_helpers import deployment_yaml, settled
from soak import wall_guard
from simulator import Cluster, EngineStuck
from simulator.kubelet.probes import ProbeWorker

LIVENESS = "livenessProbe:\n  tcpSocket: {port: 80}\n  periodSeconds: 5\n"


def guarded_steps(c: Cluster, seconds: float) -> None:
    for step in range(int(seconds / c.tick)):
        with wall_guard("an injected defect", step, seconds=10):
            c.step()


def test_a_probe_that_does_not_consume_its_tick_is_named_not_spun(monkeypatch):
    """The class of the hellok8s hang: the probe's next run stays at the current instant."""
    real_run = ProbeWorker.run

    def stuck_run(self, now, **kwargs):
        ticks = self.ticks
        run = real_run(self, now, **kwargs)
        self.ticks = ticks                      # the defect: the grid never moves on
        return run
    c = Cluster(seed=3)
    c.apply(deployment_yaml(replicas=1, container_extra=LIVENESS))
    monkeypatch.setattr(ProbeWorker, "run", stuck_run)
    with pytest.raises(EngineStuck) as info:
        guarded_steps(c, 60)
    pod = c.list("pod")[0]["metadata"]["name"]
    assert (info.value.kind, info.value.name) == ("Pod", pod)
    assert info.value.action == "container 'app' liveness probe"
    assert str(info.value) == (f"engine stuck at t={info.value.at:g}s: Pod {pod!r}, container "
                               "'app' liveness probe: due again at the same instant after it ran")


def test_a_timer_re_armed_for_the_instant_it_fired_is_refused():
    c = Cluster()
    c.advance(3)
    store = c._s
    with pytest.raises(EngineStuck, match=r"Pod 'web-x', kubelet sync: re-armed for t=3s"):
        store.rearm(store.time, "kubelet", "web-x", "Pod", "kubelet sync")
    assert store.rearm(store.time + 1, "kubelet", "web-x", "Pod", "kubelet sync") == 3001


def test_a_controller_that_never_settles_is_named(monkeypatch):
    import simulator.cluster as cluster_module
    real_sync = cluster_module._CONTROLLERS["replicaset"]

    def restless(store, name):
        real_sync(store, name)
        store.enqueue("replicaset", name)       # the defect: it always wants another look
    c = Cluster(seed=1)
    monkeypatch.setitem(cluster_module._CONTROLLERS, "replicaset", restless)
    with pytest.raises(EngineStuck) as info:
        c.apply(deployment_yaml(replicas=2))
    assert info.value.kind == "ReplicaSet" and info.value.name.startswith("web-")
    assert info.value.action == "replicaset controller"
    assert "without settling" in str(info.value)


def test_large_bursts_stay_within_the_bound():
    """Creating 3,000 pods takes the ReplicaSet controller six bursts of 500 in one instant,
    each a few passes: far inside the bound the pod budget sets."""
    c = Cluster(seed=2)
    c.apply(deployment_yaml(replicas=3000))
    settled(c)
    c.set_image("web", "app", "nginx:1.16.1")
    settled(c)
    assert len(c.list("replicaset")) == 2
