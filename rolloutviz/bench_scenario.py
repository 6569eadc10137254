"""Scenario import benchmark: what replaying a scenario file costs, and what another simulation's
commands wait meanwhile.

Run: ``python -m rolloutviz.bench_scenario``. It starts its own Daphne (with its worker pool) on a
free loopback port with a temporary SQLite file, imports scenarios of a few sizes over HTTP while a
second simulation gets a one-step command every 50 ms, prints a Markdown table and stops
everything it started. A measurement, not a test: nothing is asserted.
"""
from __future__ import annotations

import json
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from rolloutviz.local_processes import LOCAL_OPERATOR_TOKEN, DaphneServer, server_env

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: app, image: nginx:1.14.2}}]}}
"""
# (pods, simulated seconds): a roll-out to a new image at t=60, then on to the position
SIZES = [(10, 600), (10, 3600), (100, 3600), (1000, 300)]


def _call(base: str, method: str, path: str, body=None) -> dict:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {LOCAL_OPERATOR_TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as answer:
        return json.loads(answer.read() or b"null")


def scenario(pods: int, seconds: int) -> dict:
    """A scenario file: apply ``pods`` replicas, roll them to another image at t=60, run to ``seconds``."""
    return {"kind": "RolloutvizScenario", "version": 1, "name": f"{pods} pods, {seconds} s",
            "engine": {"seed": 1, "tick": 1.0},
            "commands": [{"t": 0, "command": "apply", "args": {"yaml": MANIFEST.format(replicas=pods)}},
                         {"t": 60, "command": "set-image",
                          "args": {"deployment": "web", "container": "app", "image": "nginx:1.16.1"}}],
            "position": {"t": seconds}}


def _neighbour(base: str, sim_id: int, stop: threading.Event, waits: list[float]) -> None:
    """Another simulation's one-step commands, one every 50 ms, each one's round trip noted."""
    while not stop.is_set():
        started = time.perf_counter()
        _call(base, "POST", f"/api/simulations/{sim_id}/commands/step", {"count": 1})
        waits.append(time.perf_counter() - started)
        stop.wait(0.05)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = DaphneServer(server_env(Path(tmp) / "bench.sqlite3"), Path(tmp) / "daphne.log").start()
        try:
            base = server.url
            other = _call(base, "POST", "/api/simulations/", {"demo": "nginx-docs"})["id"]
            # warm up: the workers load the neighbour and the code an import runs
            _call(base, "POST", f"/api/simulations/{other}/commands/step", {"count": 1})
            _call(base, "POST", "/api/simulations/import", scenario(1, 61))
            print(f"load average before: {Path('/proc/loadavg').read_text().split()[0]}\n")
            print("| pods | simulated s | steps | import (s) | neighbour's step: median / max (ms) |")
            print("|---:|---:|---:|---:|---:|")
            waits: list[float] = []
            stop = threading.Event()
            neighbour = threading.Thread(target=_neighbour, args=(base, other, stop, waits))
            neighbour.start()
            time.sleep(5)  # the neighbour alone: what its steps take without an import
            stop.set()
            neighbour.join()
            waits.sort()
            print(f"| (no import) | | | | {waits[len(waits) // 2] * 1000:.0f} / {waits[-1] * 1000:.0f} |")
            for pods, seconds in SIZES:
                waits: list[float] = []
                stop = threading.Event()
                neighbour = threading.Thread(target=_neighbour, args=(base, other, stop, waits))
                neighbour.start()
                started = time.perf_counter()
                made = _call(base, "POST", "/api/simulations/import", scenario(pods, seconds))
                took = time.perf_counter() - started
                stop.set()
                neighbour.join()
                waits.sort()
                print(f"| {pods} | {seconds} | {made['seq'] - 2} | {took:.1f} | "
                      f"{waits[len(waits) // 2] * 1000:.0f} / {waits[-1] * 1000:.0f} |")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
