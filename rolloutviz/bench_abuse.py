"""Abuse benchmark: the presenter's stream while another session sends everything that used to stall it.

Run: ``python -m rolloutviz.bench abuse``. It starts its own Daphne (the embedded default: one
process, its worker pool, in-memory layer, SQLite) on a free loopback port with a temporary
database and runs issue 11's scenario (`rolloutviz.abuse_scenario`): a presenter's 10-pod rolling
update at 10× with its page open while a student runs the hellok8s liveness step at 50× and a
5,000-pod simulation at 50×, floods the presenter's simulation with 100 resync requests from a
socket that never reads, and sends ``replicas: 1000000000``, ``scale`` to 2^63 and 2^31 and
100,000 replicas. It reports, from the moment the abuse starts: the presenter's deltas per second
against those due and its longest silence (targets: at least 70 %, never over 2 s), each
refusal's status and latency (target: under 1 s), and the peak resident memory of the server and
its worker processes, read from /proc (target: under 1.5 GB). ``--server-root`` serves another
checkout (e.g. the code before issue 11) with the same client. A measurement, not a test.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import threading
from pathlib import Path

from rolloutviz import abuse_scenario
from rolloutviz.bench_clocks import PRESENTER_SPEED, summary
from rolloutviz.local_processes import ROOT, DaphneServer, server_env

SAMPLE_SECONDS = 0.2


def _rss_bytes(pid: int) -> int:
    """A process's resident set size now (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a server's simulation workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class PeakMemory:
    """Samples the resident memory of a server process and its workers until stopped; the peaks.

    Above ``cap`` bytes together it kills the server's process group (a server before issue 11
    grows without bound; the machine is shared) and notes it in `killed`.
    """

    def __init__(self, pid: int, cap: int) -> None:
        self.pid, self.cap = pid, cap
        self.server = self.worker = self.total = 0
        self.killed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            server = _rss_bytes(self.pid)
            workers = [_rss_bytes(child) for child in _children(self.pid)]
            self.server = max(self.server, server)
            self.worker = max([self.worker, *workers])
            self.total = max(self.total, server + sum(workers))
            if self.total > self.cap and not self.killed:
                self.killed = True
                os.killpg(self.pid, signal.SIGKILL)
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


async def _observe(base: str, seconds: float, parts: frozenset[str]) -> dict:
    async with abuse_scenario.abused(base, parts) as scene:
        await asyncio.sleep(seconds)
        end = asyncio.get_running_loop().time()
        try:
            listed = {s["id"]: s for s in await asyncio.to_thread(scene.student.call, "GET", "simulations/")}
        except (OSError, RuntimeError) as error:
            scene.failed("list the simulations at the end", error)
            listed = {}
    arrivals = scene.presenter.steps(since=scene.abuse_started)
    window = end - scene.abuse_started
    figures = summary(arrivals, window, PRESENTER_SPEED)
    # the longest silence counts from the first abusive request to the end of the recording
    moments = [scene.abuse_started, *(at for at, _ in arrivals), end]
    figures["silence"] = max(b - a for a, b in zip(moments, moments[1:]))
    return {**figures, "window": window, "setup": scene.abuse_ended - scene.abuse_started,
            "answers": scene.answers, "failures": scene.failures,
            "resyncs": len(scene.presenter.of_type("snapshot")) - 1,
            "stalled": [m["reason"] for m in scene.presenter.of_type("status") if m["state"] == "stalled"],
            "heavy_t": listed.get(scene.heavy_id, {}).get("t"), "liveness_t": listed.get(scene.liveness_id, {}).get("t")}


def run(root: Path, seconds: float, parts: frozenset[str], cap: int) -> dict:
    """One server and the scenario; the figures."""
    with tempfile.TemporaryDirectory(prefix="rolloutviz-abuse-") as tmp:
        env = server_env(Path(tmp) / "bench.sqlite3", root=root)
        with DaphneServer(env, Path(tmp) / "daphne.log", root=root) as server, \
                PeakMemory(server.process.pid, cap) as memory:
            figures = asyncio.run(_observe(server.url, seconds, parts))
        load = Path("/proc/loadavg").read_text().split()[0]
    return {**figures, "rss_server": memory.server, "rss_worker": memory.worker, "rss_total": memory.total,
            "killed": memory.killed, "load": load}


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:,.0f} ms"


def _mb(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


def _answer(answer: abuse_scenario.Answer) -> str:
    if answer.status is None:
        return f"no answer after {_ms(answer.seconds)}"
    text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    return f"{answer.status} in {_ms(answer.seconds)}" + ("" if answer.status < 500 else f" ({text[:80]})")


def _sim_time(value: float | None) -> str:
    return "–" if value is None else f"{value:g} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rolloutviz.bench abuse", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long to keep recording after the last abusive request")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="the checkout whose server is measured")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out: "
                        + ", ".join(sorted(abuse_scenario.PARTS)))
    parser.add_argument("--memory-cap", type=float, default=6.0,
                        help="GiB of resident memory (server and workers) at which the server is killed")
    args = parser.parse_args(argv)
    skipped = {part.strip() for part in args.skip.split(",") if part.strip()}
    if skipped - abuse_scenario.PARTS:
        parser.error(f"unknown parts: {', '.join(sorted(skipped - abuse_scenario.PARTS))}")
    parts = abuse_scenario.PARTS - skipped
    r = run(args.server_root.resolve(), args.seconds, parts, int(args.memory_cap * 2**30))
    print(f"presenter at {PRESENTER_SPEED:g}× ({PRESENTER_SPEED:g} deltas due a second); server: "
          f"{args.server_root}; parts: {', '.join(sorted(parts))}")
    print("| measurement | value |\n|---|---|")
    rows = [
        ("window recorded (the abuse sent during its first …)", f"{r['window']:.1f} s ({r['setup']:.1f} s)"),
        ("presenter: deltas/s (share of due)", f"{r['rate']:.1f} ({r['share']:.0%})"),
        ("presenter: longest silence", _ms(r["silence"])),
        ("presenter: lag p50 / p95 / max", f"{_ms(r['lag50'])} / {_ms(r['lag95'])} / {_ms(r['lagmax'])}"),
        ("presenter: snapshots after the first (re-syncs); stalled", f"{r['resyncs']}; {r['stalled'] or 'never'}"),
        *((f"refusal: {a.refusal.name}", _answer(a)) for a in r["answers"]),
        *((f"failed: {what}", why[:120]) for what, why in r["failures"].items()),
        ("student's hellok8s simulation: sim time reached", _sim_time(r["liveness_t"])),
        ("5,000-pod simulation: sim time reached", _sim_time(r["heavy_t"])),
        ("peak RSS: server / largest worker / all together",
         f"{_mb(r['rss_server'])} / {_mb(r['rss_worker'])} / {_mb(r['rss_total'])}"
         + (" (killed at the cap)" if r["killed"] else "")),
        ("load average (1 min) at the end", r["load"]),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |", flush=True)
