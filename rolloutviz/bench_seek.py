"""Seek benchmark: what rewinding a long, big simulation costs (issue 16, item 1).

Run: ``python -m rolloutviz.bench seek [--replicas 1000] [--minutes 60] [--seeks 12]``. It starts
its own Daphne (with its worker pool) on a free loopback port with a temporary SQLite file, records
``--minutes`` of simulated time of a ``--replicas``-pod Deployment with a rolling update every ten
minutes (the clock paused; the steps are asked for), then asks GET …/state?seq= over HTTP for
moments spread over the record, in an order that never reuses the moment built before (each seek
rebuilt from the stored record: the worst case), then seeks a few seqs forward from one, and reads
recorded deltas (what the page's Step and playback read), and seeks back to moments sought
before (dragging the slider to and fro). Prints a Markdown table. A measurement, not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from rolloutviz.bench_fanout import BIG_MANIFEST
from rolloutviz.live_client import Api
from rolloutviz.local_processes import ROOT, DaphneServer, server_env

ROLLOUT_EVERY_MINUTES = 10
IMAGES = ("nginx:1.16.1", "nginx:1.14.2")


def record(api: Api, replicas: int, minutes: int) -> tuple[int, int, float]:
    """A simulation with ``minutes`` of history; (its id, its last seq, seconds it took to record)."""
    started = time.perf_counter()
    sim = api.call("POST", "simulations/", {"name": "seek"})["id"]
    api.call("POST", f"simulations/{sim}/apply", {"yaml": BIG_MANIFEST.format(replicas=replicas, image="nginx:1.14.2")})
    for block in range(0, minutes, ROLLOUT_EVERY_MINUTES):
        if block:
            image = IMAGES[(block // ROLLOUT_EVERY_MINUTES - 1) % len(IMAGES)]
            api.call("POST", f"simulations/{sim}/commands/set-image", {"deployment": "web", "container": "app",
                                                                        "image": image})
        steps = min(ROLLOUT_EVERY_MINUTES, minutes - block) * 60
        api.call("POST", f"simulations/{sim}/commands/step", {"count": steps})
    last = next(s for s in api.call("GET", "simulations/") if s["id"] == sim)["seq"]
    return sim, last, time.perf_counter() - started


def timed(api: Api, path: str) -> tuple[float, int]:
    start = time.perf_counter()
    status, body = api.send("GET", path)
    elapsed = time.perf_counter() - start
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {str(body)[:300]}")
    return elapsed, len(str(body))


def measure(root: Path, replicas: int, minutes: int, seeks: int) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="rolloutviz-seek-") as tmp:
        env = server_env(Path(tmp) / "bench.sqlite3", root=root, LIMIT_COMMANDS_PER_SECOND="0",
                         SIM_JOB_DEADLINE="300", IDLE_STOP_SECONDS="100000")
        with DaphneServer(env, Path(tmp) / "daphne.log", root=root) as server:
            api = Api(server.url, timeout=900)
            sim, last, took = record(api, replicas, minutes)
            size = (Path(tmp) / "bench.sqlite3").stat().st_size
            rows = [("recorded", (f"{minutes} min, {replicas:,} pods, seq 1–{last:,}, a rolling update every "
                                  f"{ROLLOUT_EVERY_MINUTES} min; database {size / 1e6:,.0f} MB; {took:.0f} s to record"))]
            # moments spread over the record, visited so that each is behind the one before (rebuilt)
            rng = random.Random(1)
            moments = sorted({last, *(rng.randrange(1, last) for _ in range(seeks - 1))}, reverse=True)
            times, answer = [], 0
            for seq in moments:
                elapsed, answer = timed(api, f"simulations/{sim}/state?seq={seq}")
                times.append((elapsed, seq))
            worst = max(times)
            rows.append((f"seek to a moment rebuilt from the record ({len(times)} moments, last first)",
                         (f"median {statistics.median(t for t, _ in times) * 1000:,.0f} ms, worst "
                          f"{worst[0] * 1000:,.0f} ms (seq {worst[1]:,})")))
            rows.append(("  … answer size of the last (earliest) moment", f"{answer / 1e6:.1f} MB"))
            again = [timed(api, f"simulations/{sim}/state?seq={seq}")[0] for seq in moments[-4:]]
            rows.append(("a seek back to one of the last 4 moments sought (dragging to and fro)",
                         f"median {statistics.median(again) * 1000:,.0f} ms, worst {max(again) * 1000:,.0f} ms"))
            start = last // 2
            timed(api, f"simulations/{sim}/state?seq={start}")
            forward = [timed(api, f"simulations/{sim}/state?seq={start + n}")[0] for n in range(1, 11)]
            rows.append(("a seek to the next seq from the moment before (10 seeks)",
                         f"median {statistics.median(forward) * 1000:,.0f} ms, worst {max(forward) * 1000:,.0f} ms"))
            steps = [timed(api, f"simulations/{sim}/deltas?after={start + n}&upto={start + n + 1}")[0] for n in range(10)]
            rows.append(("Step › on the page: one recorded delta (10 reads)",
                         f"median {statistics.median(steps) * 1000:,.0f} ms, worst {max(steps) * 1000:,.0f} ms"))
            read = [timed(api, f"simulations/{sim}/deltas?after={start + 10 * n}&upto={last}") for n in range(5)]
            rows.append(("playback read ahead: GET …/deltas (≤ 200 recorded deltas; 5 reads)",
                         (f"median {statistics.median(t for t, _ in read) * 1000:,.0f} ms, "
                          f"{statistics.median(size for _, size in read) / 1e6:.1f} MB")))
            kubectl = [timed(api, f"simulations/{sim}/kubectl?args=get+pods&seq={start + 10}")[0] for _ in range(5)]
            rows.append(("kubectl get pods at that moment (5 requests)", f"median {statistics.median(kubectl) * 1000:,.0f} ms"))
            now = [timed(api, f"simulations/{sim}/")[0] for _ in range(5)]
            rows.append(("for comparison: GET the live state (5 requests)", f"median {statistics.median(now) * 1000:,.0f} ms"))
            cpu = cpu_seconds(env, sim, moments)
            worst = max(cpu)
            rows.append(("CPU time of the same seeks, in this process (whatever the machine's load)",
                         (f"median {statistics.median(c for c, _ in cpu) * 1000:,.0f} ms, worst "
                          f"{worst[0] * 1000:,.0f} ms (seq {worst[1]:,})")))
    return rows


def cpu_seconds(env: dict, sim: int, moments: list[int]) -> list[tuple[float, int]]:
    """(CPU seconds, seq) of each seek made here, on the server's database, by the same code: the
    cost of a seek apart from what else the machine runs (wall time under load is a multiple)."""
    os.environ.update(DJANGO_SETTINGS_MODULE=env["DJANGO_SETTINGS_MODULE"], ROLLOUTVIZ_SQLITE=env["ROLLOUTVIZ_SQLITE"],
                      SIM_WORKERS="0")
    import django

    django.setup()
    from rolloutviz.services import rewind

    out = []
    for seq in moments:
        start = time.process_time()
        rewind.state_text_at(simulation_id=sim, seq=seq)
        out.append((time.process_time() - start, seq))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rolloutviz.bench seek", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1000, help="the Deployment's pods")
    parser.add_argument("--minutes", type=int, default=60, help="simulated minutes recorded")
    parser.add_argument("--seeks", type=int, default=12, help="moments sought, each rebuilt")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="the checkout whose server is measured")
    args = parser.parse_args(argv)
    rows = measure(args.server_root.resolve(), args.replicas, args.minutes, args.seeks)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"load average {load}")
    print("| measurement | value |")
    print("|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |", flush=True)


if __name__ == "__main__":
    main()
