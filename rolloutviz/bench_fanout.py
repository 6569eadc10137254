"""Fan-out benchmark: N viewers of one simulation on one Daphne (or two with Redis), as a class would load it.

Run: ``python -m rolloutviz.bench fanout``. It starts its own Daphne (the embedded default: one
process, in-memory layer, SQLite) on a free loopback port with a temporary database, makes the
simulation (the 3-pod demo ``nginx-docs`` at 10×, or a 1,000-replica Deployment at 10× whose
rollout starts as the viewers are connected), opens N WebSockets through a view link, spread
over client processes of their own (not the server's), and records for a while when each delta
reaches each viewer. It reports publish→first and publish→last viewer per delta (p50 / p99; the
server, started with ``STREAM_PUBLISH_LOG``, notes when it published each seq:
`rolloutviz.publish_log`), the first-to-last spread per delta (p50 / p99), deltas lost
(a seq a viewer never got, whatever re-synced it), re-syncs (snapshots after the first), viewers
refused, the handshakes' times (TCP connect to WebSocket accepted), the
time for every viewer to get its first snapshot, snapshot and delta bytes, the stored deltas'
bytes per simulated hour (at the run's rate), the clock's rate against its due rate, the
servers' CPU (share of one core, their simulation workers included) and RSS (the Daphnes'), and the
load average.
A viewer reads a message's seq from its first bytes and parses nothing: 500 viewers in a few
client processes must not measure the client. ``--server-root`` serves another checkout (the
code before a change) with the same client. A measurement, not a test: nothing is asserted.

``--two-daphnes N`` (1,000 by default) measures the production layout too: two Daphnes on one database with a
redis-server as the channel layer (each Daphne runs the clocks it holds the lease for), the viewers
spread over both in turn as nginx would, all connecting at once.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import websockets

from rolloutviz import publish_log
from rolloutviz.live_client import Api, socket_url
from rolloutviz.local_processes import ROOT, DaphneServer, free_port, server_env
from rolloutviz.local_services import MissingDependency, RedisServer

SPEED = 10.0
CLIENT_PROCESSES = 4
BIG_MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: app
        image: {image}
"""


def _head(text: str) -> tuple[str, int]:
    """(type, seq) of a wire message from its first bytes (`protocol.encode` writes "v", "type",
    "sim", "seq" first); seq 0 for a message without one."""
    head = text[:120]
    kind = head.split('"type":"', 1)[1].split('"', 1)[0] if '"type":"' in head else ""
    seq = head.split('"seq":', 1)[1].split(",", 1)[0] if '"seq":' in head else "0"
    return kind, int(seq)


async def _viewer(base: str, sim: int, cookie: str, until: float, out: list) -> None:
    """One socket: (type, seq, bytes, arrival wall time) of each snapshot and delta until ``until``."""
    opened = time.time()
    try:
        async with websockets.connect(socket_url(base, sim), origin=base, additional_headers={"Cookie": cookie},
                                      max_size=None, open_timeout=120, ping_interval=None) as socket:
            out.append(("open", 0, 0, opened))
            out.append(("accepted", 0, 0, time.time()))
            while True:
                left = until - time.time()
                if left <= 0:
                    return
                try:
                    text = await asyncio.wait_for(socket.recv(), left)
                except asyncio.TimeoutError:
                    return
                kind, seq = _head(text)
                if kind in ("snapshot", "delta"):
                    out.append((kind, seq, len(text), time.time()))
    except Exception as error:  # a refused or closed socket is a finding, reported as such
        out.append(("failed", 0, 0, time.time()))
        out.append((f"{type(error).__name__}: {error}"[:200], 0, 0, 0.0))


def _client(bases: list[str], sim: int, cookie: str, first: int, count: int, until: float, results) -> None:
    """A client process: viewers ``first`` … ``first + count - 1``, viewer n on server n mod the number of
    servers (as nginx spreads them); their records put on ``results``."""
    async def run():
        records = [[] for _ in range(count)]
        await asyncio.gather(*(_viewer(bases[(first + n) % len(bases)], sim, cookie, until, r)
                               for n, r in enumerate(records)))
        return records

    results.put(asyncio.run(run()))


def _tree(pid: int) -> list[int]:
    """A process and its descendants (Daphne and its simulation workers)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return [pid] + [p for child in children for p in _tree(child)]


def _cpu_seconds(pid: int) -> float:
    """CPU seconds used by the server: the process and its workers."""
    total = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker that just ended
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def measure(root: Path, viewers: int, replicas: int | None, seconds: float, daphnes: int = 1) -> dict:
    """One simulation, ``viewers`` sockets for ``seconds`` after they connected; one Daphne with the
    embedded default, or ``daphnes`` Daphnes on one database with Redis as the channel layer."""
    with tempfile.TemporaryDirectory(prefix="rolloutviz-fanout-") as tmp, contextlib.ExitStack() as stack:
        tmp = Path(tmp)
        extra = {"LIMIT_COMMANDS_PER_SECOND": "0", "STREAM_PUBLISH_LOG": str(tmp / "published.log")}
        if daphnes > 1:
            redis = RedisServer(free_port(), tmp / "redis.log").start()
            stack.callback(redis.stop)
            extra["REDIS_URL"] = redis.url
        env = server_env(tmp / "bench.sqlite3", root=root, **extra)
        servers = []
        for n in range(daphnes):
            servers.append(DaphneServer(dict(env), tmp / f"daphne-{n}.log", root=root).start(migrate=n == 0))
            stack.callback(servers[-1].stop)
        pids = [server.process.pid for server in servers]
        owner = Api(servers[0].url)
        if replicas is None:
            sim = owner.call("POST", "simulations/", {"demo": "nginx-docs"})["id"]
            owner.call("POST", f"simulations/{sim}/commands/step", {"count": 20})
        else:
            sim = owner.call("POST", "simulations/", {"name": "fan-out"})["id"]
            owner.call("POST", f"simulations/{sim}/apply",
                       {"yaml": BIG_MANIFEST.format(replicas=replicas, image="nginx:1.14.2")})
            owner.call("POST", f"simulations/{sim}/commands/step", {"count": 30})
        owner.call("POST", f"simulations/{sim}/commands/clock", {"running": True, "speed": SPEED})
        student = Api(servers[0].url)
        student.open_link(owner.call("POST", f"simulations/{sim}/links", {"role": "view"})["url"])
        connect_at = time.time()
        connect_allowance = 10.0 + viewers / 20  # to open every socket, before the window
        until = connect_at + connect_allowance + seconds
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        shares = [viewers // CLIENT_PROCESSES + (n < viewers % CLIENT_PROCESSES) for n in range(CLIENT_PROCESSES)]
        clients = [context.Process(target=_client, args=([s.url for s in servers], sim, student.cookie_header(),
                                                         sum(shares[:n]), share, until, results))
                   for n, share in enumerate(shares) if share]
        for client in clients:
            client.start()
        time.sleep(max(0.0, connect_at + connect_allowance - time.time()))
        window_start = time.time()
        if replicas is not None:  # the rollout streams during the window
            owner.call("POST", f"simulations/{sim}/commands/set-image",
                       {"deployment": "web", "container": "app", "image": "nginx:1.16.1"})
        cpu_before, rss_peak = sum(map(_cpu_seconds, pids)), sum(map(_rss_mb, pids))
        while time.time() < until:
            time.sleep(0.5)
            rss_peak = max(rss_peak, sum(map(_rss_mb, pids)))
        cpu = (sum(map(_cpu_seconds, pids)) - cpu_before) / max(1e-9, time.time() - window_start)
        records = [r for _ in clients for r in results.get(timeout=300)]
        for client in clients:
            client.join(timeout=60)
        load = Path("/proc/loadavg").read_text().split()[0]
        stored = _stored_per_hour(tmp / "bench.sqlite3", sim)
        published = {seq: at for (s, seq), at in publish_log.read(str(tmp / "published.log")).items() if s == sim}
    return _summary(records, window_start, until, seconds, published) | {"cpu": cpu, "rss": rss_peak, "load": load,
                                                                           "stored": stored}


def _stored_per_hour(database: Path, sim: int) -> float:
    """Bytes of stored deltas (TickRecords) per simulated hour, at the rate of the whole run."""
    with sqlite3.connect(database) as db:
        size, first, last = db.execute("SELECT sum(length(payload)), min(sim_time), max(sim_time) "
                                       "FROM rolloutviz_tickrecord WHERE simulation_id = ?", (sim,)).fetchone()
    return (size or 0) * 3600 / max(1.0, (last or 0) - (first or 0))


def _summary(records: list[list[tuple]], window_start: float, until: float, seconds: float,
             published: dict[int, float]) -> dict:
    failed = [r for r in records if any(kind == "failed" for kind, *_ in r)]
    errors = sorted({r[r.index(next(x for x in r if x[0] == "failed")) + 1][0] for r in failed})
    snapshots = [(seq, size, at) for r in records for kind, seq, size, at in r if kind == "snapshot"]
    first_snapshot = [next(at for kind, _, _, at in r if kind == "snapshot") - r[0][3]
                      for r in records if any(kind == "snapshot" for kind, *_ in r)]
    handshakes = [r[1][3] - r[0][3] for r in records if len(r) > 1 and r[1][0] == "accepted"]
    arrivals: dict[int, list[float]] = {}
    sizes: dict[int, int] = {}
    lost = resyncs = 0
    for r in records:
        held = None  # the seq this viewer is at
        for kind, seq, size, at in r:
            if kind == "snapshot":
                if held is not None:
                    resyncs += 1
                    lost += max(0, seq - held - 1) if at >= window_start else 0
                held = seq
            elif kind == "delta":
                if held is not None and seq > held + 1 and at >= window_start:
                    lost += seq - held - 1
                held = max(held or 0, seq)
                if at >= window_start:
                    arrivals.setdefault(seq, []).append(at)
                    sizes[seq] = size
    full = [seq for seq, times in arrivals.items() if len(times) == len(records) - len(failed)]
    spreads = [max(arrivals[seq]) - min(arrivals[seq]) for seq in full]
    timed = [seq for seq in full if seq in published]
    to_first = [min(arrivals[seq]) - published[seq] for seq in timed]
    to_last = [max(arrivals[seq]) - published[seq] for seq in timed]
    due = seconds * SPEED
    return {
        "viewers": len(records), "failed": len(failed), "errors": errors, "lost": lost, "resyncs": resyncs,
        "spread50": _percentile(spreads, 0.5), "spread99": _percentile(spreads, 0.99),
        "first50": _percentile(to_first, 0.5), "first99": _percentile(to_first, 0.99),
        "last50": _percentile(to_last, 0.5), "last99": _percentile(to_last, 0.99),
        "handshake50": _percentile(handshakes, 0.5), "handshake99": _percentile(handshakes, 0.99),
        "handshake_max": max(handshakes, default=float("nan")),
        "connected": max(first_snapshot) if first_snapshot else float("nan"),
        "snapshot_kb": max((size for _, size, _ in snapshots), default=0) / 1024,
        "delta_kb50": statistics.median(sizes.values()) / 1024 if sizes else 0.0,
        "delta_kbmax": max(sizes.values(), default=0) / 1024,
        "delta_kb": sum(sizes.values()) / 1024,
        "rate": len(arrivals) / due if due else 0.0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rolloutviz.bench fanout", description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", default="50,200,500", help="comma-separated numbers of viewers (3-pod demo)")
    parser.add_argument("--big-viewers", default="50,100", help="viewers of the 1,000-pod rollout ('' to skip)")
    parser.add_argument("--two-daphnes", default="1000",
                        help="viewers of the 3-pod demo on two Daphnes with Redis ('' to skip)")
    parser.add_argument("--replicas", type=int, default=1000, help="the big Deployment's replicas")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to record after every viewer connected")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="the checkout whose server is measured")
    args = parser.parse_args(argv)
    numbers = lambda text: [int(n) for n in text.split(",") if n.strip()]  # noqa: E731
    cases = [(n, None, 1) for n in numbers(args.viewers)]
    cases += [(n, args.replicas, 1) for n in numbers(args.big_viewers)]
    cases += [(n, None, 2) for n in numbers(args.two_daphnes)]
    print(f"clock at {SPEED:g}× (10 deltas due a second); server: {args.server_root}; "
          f"{CLIENT_PROCESSES} client processes")
    print("| simulation | servers | viewers | publish→first p50 / p99 | publish→last p50 / p99 | "
          "first→last spread p50 / p99 | lost | re-syncs | handshake p50 / p99 / max | all connected in | "
          "snapshot | delta median / max / all | stored per sim hour | clock | server CPU / RSS | load avg |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for viewers, replicas, daphnes in cases:
        what = "3-pod demo" if replicas is None else f"{replicas:,}-pod rollout"
        where = "1 Daphne, in-memory layer" if daphnes == 1 else f"{daphnes} Daphnes + Redis"
        try:
            r = measure(args.server_root.resolve(), viewers, replicas, args.seconds, daphnes)
        except MissingDependency as missing:  # (`make bench` does not install redis-server)
            print(f"| {what} | {where} | {viewers} | not measured: {missing} |", flush=True)
            continue
        failed = f" ({r['failed']} refused: {'; '.join(r['errors'])})" if r["failed"] else ""
        ms = lambda a, b: f"{r[a] * 1000:.0f} / {r[b] * 1000:.0f} ms"  # noqa: E731
        print(f"| {what} | {where} | {viewers}{failed} | {ms('first50', 'first99')} | {ms('last50', 'last99')} | "
              f"{ms('spread50', 'spread99')} | "
              f"{r['lost']} | {r['resyncs']} | "
              f"{r['handshake50']:.1f} / {r['handshake99']:.1f} / {r['handshake_max']:.1f} s | "
              f"{r['connected']:.1f} s | {r['snapshot_kb']:.0f} KB | "
              f"{r['delta_kb50']:.1f} / {r['delta_kbmax']:.1f} / {r['delta_kb']:.0f} KB | "
              f"{r['stored'] / 2**20:.1f} MB | {r['rate']:.0%} | "
              f"{r['cpu']:.0%} / {r['rss']:.0f} MB | {r['load']} |", flush=True)
