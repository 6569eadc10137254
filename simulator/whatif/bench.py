"""What-if benchmark: what a prediction and its check cost for a Deployment of N replicas.

Run: ``python -m rolloutviz.bench whatif [--sizes 1000 5000] [--repeat 3]`` (or
``python -m simulator.whatif.bench``). For each size a settled nginx:1.14.2 Deployment is
updated to nginx:1.16.1 (25 % / 25 %): the prediction (CPU), the snapshot a check starts from
(CPU), the check itself (wall), medians over ``--repeat`` runs, and whether the numbers agree.
A measurement, not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import statistics
import time

from simulator.cluster import Cluster
from simulator.whatif import check

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: {replicas}
  strategy: {{rollingUpdate: {{maxSurge: 25%, maxUnavailable: 25%}}}}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: "{image}"}}]}}
"""


def measure(replicas: int) -> dict:
    """One run at one size."""
    cluster = Cluster(seed=1, pod_budget=max(5000, 2 * replicas))
    cluster.apply(MANIFEST.format(replicas=replicas, image="nginx:1.14.2"))
    cluster.advance(30)
    edited = MANIFEST.format(replicas=replicas, image="nginx:1.16.1")
    started = time.process_time()
    predicted = cluster.predict(edited)
    predict_cpu = time.process_time() - started
    started = time.process_time()
    state = cluster.snapshot()
    snapshot_cpu = time.process_time() - started
    started = time.perf_counter()
    run = check(state, edited, predicted, wall_seconds=600)
    p, m = predicted["deployments"][0], run["deployments"][0]
    agree = (p["peak_pods"], p["min_available"], p["waves"]) == (m["peak_pods"], m["min_available"], m["waves"])
    return {"predict": predict_cpu, "snapshot": snapshot_cpu, "check": time.perf_counter() - started,
            "agree": agree and m["duration_seconds"] is not None
            and abs(m["duration_seconds"] - p["duration_seconds"]) <= 0.1 * p["duration_seconds"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print("| replicas | prediction (CPU) | snapshot (CPU) | check (wall) | prediction = run |\n|---|---|---|---|---|")
    for size in args.sizes:
        runs = [measure(size) for _ in range(args.repeat)]
        median = {k: statistics.median(r[k] for r in runs) for k in ("predict", "snapshot", "check")}
        print(f"| {size:,} | {median['predict'] * 1000:.0f} ms | {median['snapshot'] * 1000:.0f} ms | "
              f"{median['check']:.2f} s | {'yes' if all(r['agree'] for r in runs) else 'no'} |")


if __name__ == "__main__":
    main()
