"""Clock benchmark: the presenter's stream while other simulations run beside it.

Run: ``python -m rolloutviz.bench clocks``. It starts its own Daphne (the embedded default:
one process, in-memory layer, SQLite) on a free loopback port with a temporary database, makes
a presenter simulation (a 10-pod rolling update at 10×) and, per scenario, N student
simulations (3 pods each, clock running at 1×, each with its page's WebSocket open and read)
or one 5,000-pod simulation at 50×. A WebSocket client in this process (another process than
the server) records the presenter's deltas for a while and reports: deltas per second against those due, the longest silence, and
each delta's lag (its arrival against the schedule ``speed`` sets, relative to the most
punctual delta: clock lateness plus delivery). ``--server-root`` serves another checkout (e.g.
the code before a change) with the same client. A measurement, not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from rolloutviz.live_client import Api, Page
from rolloutviz.local_processes import ROOT, DaphneServer, server_env

PRESENTER_SPEED = 10.0


def start_presenter(api: Api) -> int:
    """The presenter's simulation: 10 pods Ready, then a rolling update to a new image, its clock at 10×."""
    presenter = api.simulation("presenter", 10, speed=PRESENTER_SPEED, steps=20)
    api.call("POST", f"simulations/{presenter}/commands/set-image",
             {"deployment": "web", "container": "app", "image": "nginx:1.16.1"})
    return presenter


async def record(presenter: Page, seconds: float, warm_up: float,
                 others: list[Page] = ()) -> list[tuple[float, float]]:
    """(arrival wall time, sim time) of each delta the presenter's page receives during ``seconds``
    after ``warm_up``, while the pages ``others`` are open (and read) too."""
    tasks = [asyncio.create_task(page.run()) for page in (*others, presenter)]
    start = asyncio.get_running_loop().time()
    try:
        await asyncio.sleep(warm_up + seconds)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return presenter.steps(since=start + warm_up)


def summary(arrivals: list[tuple[float, float]], seconds: float, speed: float) -> dict:
    """Rate against the due rate (one step of 1 s each), longest silence, lag percentiles."""
    if len(arrivals) < 2:
        return {"rate": 0.0, "share": 0.0, "silence": seconds, "lag50": None, "lag95": None, "lagmax": None}
    offsets = [wall - t / speed for wall, t in arrivals]
    base = min(offsets)
    lags = sorted(o - base for o in offsets)
    gaps = [b[0] - a[0] for a, b in zip(arrivals, arrivals[1:])]
    rate = len(arrivals) / seconds
    return {"rate": rate, "share": rate / speed, "silence": max(gaps),
            "lag50": statistics.median(lags), "lag95": lags[int(0.95 * (len(lags) - 1))], "lagmax": lags[-1]}


def scenario(root: Path, students: int, heavy: bool, seconds: float) -> dict:
    """One server, the presenter, the others; the presenter's stream measured from this process."""
    with tempfile.TemporaryDirectory(prefix="rolloutviz-clocks-") as tmp:
        env = server_env(Path(tmp) / "bench.sqlite3", root=root)
        with DaphneServer(env, Path(tmp) / "daphne.log", root=root) as server:
            api = Api(server.url)
            # each student a session of its own, as in a classroom (one session may run 10 clocks at most)
            pages = []
            for n in range(students):
                student = Api(server.url)
                pages.append(Page(server.url, student.simulation(f"student {n}", 3, speed=1.0), student, keep=False))
            if heavy:  # 4,999 replicas + a surge of 1: 5,000 pods, the default pod budget
                api.simulation("huge", 4999, speed=50.0)
            presenter = start_presenter(api)
            arrivals = asyncio.run(record(Page(server.url, presenter, api), seconds, warm_up=3.0, others=pages))
            load = Path("/proc/loadavg").read_text().split()[0]
    return {**summary(arrivals, seconds, PRESENTER_SPEED), "load": load}


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.0f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rolloutviz.bench clocks", description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="10,50,100", help="comma-separated numbers of student simulations")
    parser.add_argument("--no-heavy", action="store_true", help="skip the 5,000-pod simulation at 50×")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to record the presenter's stream")
    parser.add_argument("--server-root", type=Path, default=ROOT, help="the checkout whose server is measured")
    args = parser.parse_args(argv)
    cases = [(int(n), False) for n in args.students.split(",") if n.strip()]
    if not args.no_heavy:
        cases.append((0, True))
    print(f"presenter at {PRESENTER_SPEED:g}× (10 deltas due a second); server: {args.server_root}")
    print("| beside the presenter | deltas/s (share of due) | longest silence | lag p50 / p95 / max | load avg |")
    print("|---|---|---|---|---|")
    for students, heavy in cases:
        r = scenario(args.server_root.resolve(), students, heavy, args.seconds)
        what = "one 5,000-pod simulation at 50×" if heavy else f"{students} student simulations at 1×, pages open"
        print(f"| {what} | {r['rate']:.1f} ({r['share']:.0%}) | {_ms(r['silence'])} ms | "
              f"{_ms(r['lag50'])} / {_ms(r['lag95'])} / {_ms(r['lagmax'])} ms | {r['load']} |", flush=True)
