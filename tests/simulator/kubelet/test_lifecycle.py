"""preStop hooks and the stop of a container (kuberuntime killContainer): how long a hook
holds SIGTERM back, and when the process exits or is killed; then the same in a cluster."""
from __future__ import annotations

import pytest

from simulator import Cluster
from simulator.kubelet.lifecycle import pre_stop_ms, stop_plan

HOOKS = [
    ("none", {}, 0),
    ("sleep-action", {"preStop": {"sleep": {"seconds": 5}}}, 5_000),
    ("exec-sleep", {"preStop": {"exec": {"command": ["sleep", "7"]}}}, 7_000),
    ("exec-bin-sleep-fraction", {"preStop": {"exec": {"command": ["/bin/sleep", "2.5"]}}}, 2_500),
    ("shell-sleep", {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 10"]}}}, 10_000),
    ("bash-exec-sleep", {"preStop": {"exec": {"command": ["bash", "-c", "exec sleep 3;"]}}}, 3_000),
    ("other-command", {"preStop": {"exec": {"command": ["nginx", "-s", "quit"]}}}, 0),
    ("shell-other", {"preStop": {"exec": {"command": ["sh", "-c", "sleep 3 && echo"]}}}, 0),
    ("not-a-number", {"preStop": {"exec": {"command": ["sleep", "infinity"]}}}, 0),
    ("http-get", {"preStop": {"httpGet": {"path": "/drain", "port": 80}}}, 0),
    ("post-start-only", {"postStart": {"exec": {"command": ["sleep", "9"]}}}, 0),
]


@pytest.mark.parametrize("lifecycle,expected", [h[1:] for h in HOOKS], ids=[h[0] for h in HOOKS])
def test_pre_stop_duration(lifecycle, expected):
    assert pre_stop_ms({"name": "c", "lifecycle": lifecycle}) == expected


PLANS = [
    # name, grace, hook, shutdown -> (SIGTERM, exit) after the stop began at 0
    ("no-hook-quick-exit", 30_000, 0, 500, (0, 500)),
    ("hook-then-quick-exit", 30_000, 5_000, 500, (5_000, 5_500)),
    ("slow-exit-killed-at-grace", 30_000, 0, 45_000, (0, 30_000)),
    ("hook-eats-the-grace-period", 10_000, 9_000, 45_000, (9_000, 11_000)),
    ("hook-longer-than-grace", 10_000, 20_000, 45_000, (10_000, 12_000)),
    ("one-second-grace", 1_000, 0, 45_000, (0, 2_000)),
]


@pytest.mark.parametrize("grace,hook,shutdown,expected", [p[1:] for p in PLANS],
                         ids=[p[0] for p in PLANS])
def test_stop_plan(grace, hook, shutdown, expected):
    assert stop_plan(0, grace, hook, shutdown) == expected


def test_a_pre_stop_sleep_keeps_the_pod_serving_then_terminating():
    c = Cluster(seed=1)
    c.apply("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: app
        image: guangzhengli/hellok8s:v1
        lifecycle:
          preStop:
            sleep: {seconds: 8}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 3000}]
""")
    c.advance(10)
    pod = c.list("pod")[0]["metadata"]["name"]
    c.send_traffic("web", rate=10)
    c.delete_pod(pod)
    c.advance(8)
    assert pod in {p["metadata"]["name"] for p in c.list("pod")}
    # kube-proxy fell back to the serving, terminating endpoint: its app still answered
    assert c.traffic("web")["errors"] == {}
    c.advance(0.5)   # SIGTERM at 8 s, exit 0.5 s later (the image's shutdownSeconds)
    assert pod not in {p["metadata"]["name"] for p in c.list("pod")}
