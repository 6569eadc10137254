"""Read benchmark: what a read of a big simulation costs, against what it returns (issue 13, item 5).

Run: ``python -m rolloutviz.bench reads [--replicas 1000] [--requests 40]``. It starts its own
Daphne on a free loopback port with a temporary SQLite file, applies a Deployment of
``--replicas`` pods, lets it settle (clock paused), then sends each read ``--requests`` times one
after the other over HTTP, the simulation stepped once before each (so each answer is computed,
not shared from the one before: `services/shared_reads`), and prints a Markdown table: answer
size, median and p99 wall time.
Then ``--clients`` clients (20; threads spread over client processes of their own, each with a
kept-alive connection) poll the light reads ``get deploy`` and ``rollout status`` for ``--seconds``
while the clock runs at 10× through a rolling update of every pod: requests per second, median
and p99, and the clock's effective speed (simulated seconds gone by, from the database, over
wall seconds × 10). A measurement, not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from rolloutviz.bench_fanout import BIG_MANIFEST, SPEED
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
POLLED = ("kubectl?args=get+deploy", "kubectl?args=rollout+status+deployment/web")  # the light reads polled
CLIENT_PROCESSES = 4


def _timed(api: Api, sim: int, path: str, requests: int) -> tuple[list[float], int]:
    """Wall seconds of each of ``requests`` GETs, and the answer's size in bytes. The simulation
    steps once (untimed) before each, so no answer is one already computed at that seq."""
    times, size = [], 0
    for _ in range(requests):
        api.call("POST", f"simulations/{sim}/commands/step", {"count": 1})
        start = time.perf_counter()
        status, body = api.send("GET", path)
        times.append(time.perf_counter() - start)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        size = len(json.dumps(body, separators=(",", ":")))
    return times, size


def _poller(base: str, cookie: str, paths: list[str], until: float, out: list) -> None:
    """One client: GET the ``paths`` in turn on one kept-alive connection until ``until``; (end time,
    seconds) of each answer."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    n = 0
    while time.time() < until:
        start = time.perf_counter()
        connection.request("GET", paths[n % len(paths)], headers={"Cookie": cookie})
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"GET {paths[n % len(paths)]}: {answer.status}")
        out.append((time.time(), time.perf_counter() - start))
        n += 1
    connection.close()


def _poll_process(base: str, cookie: str, paths: list[str], clients: int, until: float, results) -> None:
    """A client process: ``clients`` threads polling; their timings put on ``results``."""
    records: list[list] = [[] for _ in range(clients)]
    threads = [threading.Thread(target=_poller, args=(base, cookie, paths, until, r)) for r in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put([x for r in records for x in r])


def _sim_time(database: Path, sim: int) -> float:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT sim_time FROM rolloutviz_simulation WHERE id = ?", (sim,)).fetchone()[0]


def _polled_under_load(server, api: Api, database: Path, sim: int, clients: int, seconds: float) -> dict:
    """``clients`` clients polling the light reads for ``seconds`` while the clock runs a rollout at `SPEED`."""
    paths = [f"/api/simulations/{sim}/{path}" for path in POLLED]
    api.call("POST", f"simulations/{sim}/commands/clock", {"running": True, "speed": SPEED})
    api.call("POST", f"simulations/{sim}/commands/set-image",
             {"deployment": "web", "container": "app", "image": "nginx:1.16.1"})
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start, sim_start = time.time(), _sim_time(database, sim)
    until = start + seconds
    shares = [clients // CLIENT_PROCESSES + (n < clients % CLIENT_PROCESSES) for n in range(CLIENT_PROCESSES)]
    processes = [context.Process(target=_poll_process, args=(server.url, api.cookie_header(), paths, share, until,
                                                              results)) for share in shares if share]
    for process in processes:
        process.start()
    answers = [x for _ in processes for x in results.get(timeout=seconds + 300)]
    for process in processes:
        process.join(timeout=60)
    wall, simulated = time.time() - start, _sim_time(database, sim) - sim_start
    api.call("POST", f"simulations/{sim}/commands/clock", {"running": False})
    times = sorted(seconds_taken for _, seconds_taken in answers)
    return {"rate": len(answers) / wall, "median": statistics.median(times),
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "clock": simulated / (wall * SPEED),
            "load": Path("/proc/loadavg").read_text().split()[0]}


def measure(root: Path, replicas: int, requests: int, clients: int,
            seconds: float) -> tuple[list[tuple[str, int, float, float]], dict | None]:
    """(label, bytes, median s, p99 s) per read of a settled ``replicas``-pod simulation, and the
    figures of `_polled_under_load` (None without clients)."""
    with tempfile.TemporaryDirectory(prefix="rolloutviz-reads-") as tmp:
        database = Path(tmp) / "bench.sqlite3"
        env = server_env(database, root=root, LIMIT_COMMANDS_PER_SECOND="0")
        with DaphneServer(env, Path(tmp) / "daphne.log", root=root) as server:
            api = Api(server.url)
            sim = api.call("POST", "simulations/", {"name": "reads"})["id"]
            api.call("POST", f"simulations/{sim}/apply",
                     {"yaml": BIG_MANIFEST.format(replicas=replicas, image="nginx:1.14.2")})
            api.call("POST", f"simulations/{sim}/commands/step", {"count": 30})
            rows = []
            for label, path in READS if requests else ():
                times, size = _timed(api, sim, f"simulations/{sim}/{path}", requests)
                times.sort()
                rows.append((label, size, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]))
            polled = _polled_under_load(server, api, database, sim, clients, seconds) if clients else None
    return rows, polled


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rolloutviz.bench reads", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1000, help="the Deployment's pods")
    parser.add_argument("--requests", type=int, default=40, help="requests per read")
    parser.add_argument("--clients", type=int, default=20, help="clients polling the light reads at once (0: none)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long they poll")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="the checkout whose server is measured")
    args = parser.parse_args(argv)
    rows, polled = measure(args.server_root.resolve(), args.replicas, args.requests, args.clients, args.seconds)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{args.replicas:,} pods, {args.requests} requests each, one at a time; load average {load}")
    print("| read | answer | median | p99 |")
    print("|---|---|---|---|")
    for label, size, median, p99 in rows:
        print(f"| {label} | {size / 1024:,.1f} KB | {median * 1000:.1f} ms | {p99 * 1000:.1f} ms |", flush=True)
    if polled:
        print(f"\n{args.clients} clients polling `get deploy` and `rollout status` for {args.seconds:g} s while the "
              f"clock runs a rolling update of {args.replicas:,} pods at {SPEED:g}×")
        print("| requests/s | median | p99 | clock's effective speed | load avg |")
        print("|---|---|---|---|---|")
        print(f"| {polled['rate']:.0f} | {polled['median'] * 1000:.1f} ms | {polled['p99'] * 1000:.1f} ms | "
              f"{polled['clock']:.0%} | {polled['load']} |")
