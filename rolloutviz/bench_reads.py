"""Read benchmark: what a read of a big simulation costs, against what it returns (issue 13, item 5).

Run: ``python -m rolloutviz.bench reads [--replicas 1000] [--requests 40]``. It starts its own
Daphne on a free loopback port with a temporary SQLite file, applies a Deployment of
``--replicas`` pods, lets it settle (clock paused), then sends each read ``--requests`` times one
after the other over HTTP and prints a Markdown table: answer size, median and p99 wall time.
A measurement, not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rolloutviz.bench_fanout import BIG_MANIFEST
from rolloutviz.live_client import Api
from rolloutviz.local_processes import ROOT, DaphneServer, server_env

# (label, path under simulations/<id>/)
READS = (
    ("kubectl get deploy", "kubectl?args=get+deploy"),
    ("kubectl rollout status", "kubectl?args=rollout+status+deployment/web"),
    ("kubectl describe deployment", "kubectl?args=describe+deployment+web"),
    ("one object (deployments/web)", "objects/deployments/web"),
    ("why (explanations, countdowns)", "explanations"),
    ("kubectl get pods (every row)", "kubectl?args=get+pods"),
    ("the whole state (snapshot)", ""),
)


def _timed(api: Api, path: str, requests: int) -> tuple[list[float], int]:
    """Wall seconds of each of ``requests`` GETs, and the answer's size in bytes."""
    times, size = [], 0
    for _ in range(requests):
        start = time.perf_counter()
        status, body = api.send("GET", path)
        times.append(time.perf_counter() - start)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        size = len(json.dumps(body, separators=(",", ":")))
    return times, size


def measure(root: Path, replicas: int, requests: int) -> list[tuple[str, int, float, float]]:
    """(label, bytes, median s, p99 s) per read of a settled ``replicas``-pod simulation."""
    with tempfile.TemporaryDirectory(prefix="rolloutviz-reads-") as tmp:
        env = server_env(Path(tmp) / "bench.sqlite3", root=root, LIMIT_COMMANDS_PER_SECOND="0")
        with DaphneServer(env, Path(tmp) / "daphne.log", root=root) as server:
            api = Api(server.url)
            sim = api.call("POST", "simulations/", {"name": "reads"})["id"]
            api.call("POST", f"simulations/{sim}/apply",
                     {"yaml": BIG_MANIFEST.format(replicas=replicas, image="nginx:1.14.2")})
            api.call("POST", f"simulations/{sim}/commands/step", {"count": 30})
            rows = []
            for label, path in READS:
                times, size = _timed(api, f"simulations/{sim}/{path}", requests)
                times.sort()
                rows.append((label, size, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rolloutviz.bench reads", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1000, help="the Deployment's pods")
    parser.add_argument("--requests", type=int, default=40, help="requests per read")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="the checkout whose server is measured")
    args = parser.parse_args(argv)
    rows = measure(args.server_root.resolve(), args.replicas, args.requests)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{args.replicas:,} pods, {args.requests} requests each, one at a time; load average {load}")
    print("| read | answer | median | p99 |")
    print("|---|---|---|---|")
    for label, size, median, p99 in rows:
        print(f"| {label} | {size / 1024:,.1f} KB | {median * 1000:.1f} ms | {p99 * 1000:.1f} ms |", flush=True)
