"""Benchmark of the engine: `python -m simulator.bench` (`--sizes`, `--repeat`).

A 1,000- and a 10,000-replica rolling update (healthy image, default 25%/25%) run to
completion, then the cost of an idle tick with 10,000 pods, then the steady state of 1,000
ready pods with a readiness probe every 10 s (about 100 probes a step) and the cost of a
snapshot() of it, and the cost of a step that sends 1,000 requests through a Service to 10
pods during a rolling update. Wall and CPU time are measured around the update only, from the
`set image` command to completion, change records rendered included (the initial roll-out
of version 1 is set-up); "pod transitions" are the pod change records the steps return
(ADDED, MODIFIED, DELETED). On a shared machine, CPU time is the steadier figure. The
clusters get a pod budget that admits their size (replicas + 25% surge).
"""
from __future__ import annotations

import argparse
import platform
import sys
import time

from simulator.cluster import Cluster

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: bench
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: bench
  template:
    metadata:
      labels:
        app: bench
    spec:
      containers:
        - name: app
          image: {image}
"""
PROBED_CONTAINER = """
          readinessProbe:
            httpGet:
              path: /
              port: 80
            periodSeconds: 10
"""
MAX_TICKS = 10_000


def settle(cluster: Cluster, name: str) -> list[list[dict]]:
    """Step until the rollout is done; returns each step's change records (kept, so a
    caller counts them outside its timing)."""
    steps = []
    while not cluster.rollout_status(name)[1]:
        steps.append(cluster.step())
        if len(steps) > MAX_TICKS:
            raise RuntimeError("rollout did not finish")
    return steps


def bench_cluster(replicas: int) -> Cluster:
    """A cluster whose pod budget admits `replicas` with the default 25% surge."""
    return Cluster(seed=1, pod_budget=max(5_000, 2 * replicas))


def rolling_update(replicas: int) -> dict:
    """Roll `replicas` pods from nginx:1.14.2 to nginx:1.16.1; time only the update, from
    the `set image` (whose controllers already create and delete the first quarter of the
    pods) to the step that completes it."""
    cluster = bench_cluster(replicas)
    cluster.apply(MANIFEST.format(replicas=replicas, image="nginx:1.14.2"))
    cluster.step()
    settle(cluster, "bench")
    start, start_cpu = time.perf_counter(), time.process_time()
    cluster.set_image("bench", "app", "nginx:1.16.1")
    steps = settle(cluster, "bench")
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    ticks = len(steps)
    pod_changes = sum(1 for records in steps for r in records if r["kind"] == "Pod")
    return {"replicas": replicas, "wall_s": wall, "cpu_s": cpu, "ticks": ticks,
            "pod_transitions": pod_changes,
            "transitions_per_s": pod_changes / wall if wall else float("inf"), "cluster": cluster}


def idle_tick(cluster: Cluster, ticks: int = 200) -> float:
    """Mean wall seconds of a step in which nothing is due."""
    cluster.advance(60)   # let terminations and leftovers finish
    start = time.perf_counter()
    for _ in range(ticks):
        cluster.step()
    return (time.perf_counter() - start) / ticks


def probed_steady_state(replicas: int = 1_000, steps: int = 100) -> dict:
    """CPU seconds of one step, and of one snapshot(), with `replicas` probed pods all ready."""
    cluster = bench_cluster(replicas)
    cluster.apply(MANIFEST.format(replicas=replicas, image="nginx:1.14.2") + PROBED_CONTAINER)
    cluster.step()
    settle(cluster, "bench")
    cluster.advance(60)   # past the rollout's own events; only probes are due now
    start_cpu = time.process_time()
    for _ in range(steps):
        cluster.step()
    step_cpu = (time.process_time() - start_cpu) / steps
    start_cpu = time.process_time()
    cluster.snapshot()
    return {"replicas": replicas, "step_cpu_s": step_cpu,
            "snapshot_cpu_s": time.process_time() - start_cpu}


SERVICE = """
---
apiVersion: v1
kind: Service
metadata:
  name: bench
spec:
  selector:
    app: bench
  ports:
    - port: 80
"""


def traffic_during_rollout(rate: int = 1_000, replicas: int = 10) -> dict:
    """CPU seconds of a step sending `rate` requests through a Service while `replicas` pods
    roll from one nginx to the next, against the same rollout without traffic."""
    def run(send: bool) -> tuple[float, int]:
        cluster = bench_cluster(replicas)
        cluster.apply(MANIFEST.format(replicas=replicas, image="nginx:1.14.2") + SERVICE)
        cluster.step()
        settle(cluster, "bench")
        if send:
            cluster.send_traffic("bench", rate=rate)
        cluster.set_image("bench", "app", "nginx:1.16.1")
        start_cpu = time.process_time()
        steps = settle(cluster, "bench") + [cluster.step() for _ in range(30)]
        return (time.process_time() - start_cpu) / len(steps), len(steps)
    quiet, _ = run(False)
    busy, steps = run(True)
    return {"rate": rate, "steps": steps, "step_cpu_s": busy, "quiet_step_cpu_s": quiet}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh clusters per size; the median run is reported (a shared "
                             "machine's speed drifts by tens of percent between runs)")
    args = parser.parse_args(argv)
    # the interpreter's build matters as much as the code (README, Speed)
    print(f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})")
    last = None
    for size in args.sizes:
        runs = sorted((rolling_update(size) for _ in range(max(1, args.repeat))),
                      key=lambda r: r["wall_s"])
        result = last = runs[len(runs) // 2]
        walls = ", ".join("%.3f" % r["wall_s"] for r in runs)
        spread = f" (runs: {walls} s)" if len(runs) > 1 else ""
        print(f"rolling update {size:>6} replicas: {result['wall_s']:.3f} s wall "
              f"({result['cpu_s']:.3f} s CPU), "
              f"{result['ticks']} ticks, {result['pod_transitions']} pod transitions, "
              f"{result['transitions_per_s']:,.0f} transitions/s{spread}")
    if last is not None:
        pods = len(last["cluster"].list("pod"))
        print(f"idle tick with {pods} pods: {idle_tick(last['cluster']) * 1e3:.3f} ms")
    probed = probed_steady_state()
    print(f"steady state, {probed['replicas']} pods with a readiness probe every 10 s: "
          f"{probed['step_cpu_s'] * 1e3:.2f} ms CPU a step, "
          f"{probed['snapshot_cpu_s'] * 1e3:.0f} ms CPU a snapshot()")
    traffic = traffic_during_rollout()
    print(f"traffic, {traffic['rate']:,} requests/s through a Service during a rollout: "
          f"{traffic['step_cpu_s'] * 1e3:.2f} ms CPU a step "
          f"({traffic['quiet_step_cpu_s'] * 1e3:.2f} ms without traffic)")


if __name__ == "__main__":
    main()
