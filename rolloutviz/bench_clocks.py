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
import http.cookiejar
import json
import statistics
import tempfile
import urllib.request
from pathlib import Path

from rolloutviz.local_processes import LOCAL_OPERATOR_TOKEN, ROOT, DaphneServer, server_env

PRESENTER_SPEED = 10.0
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  strategy: {{rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: app
        image: {image}
        readinessProbe:
          httpGet: {{path: /, port: 80}}
          periodSeconds: 2
"""


class Api:
    """The JSON API with a session and its CSRF cookie, as a browser would call it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.call("GET", "simulations/")  # sets the CSRF cookie

    def call(self, method: str, path: str, body: dict | None = None):
        token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
        request = urllib.request.Request(
            f"{self.base}/api/{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "X-CSRFToken": token, "Origin": self.base,
                     "Referer": self.base + "/"})
        with self.opener.open(request, timeout=600) as answer:
            return json.loads(answer.read() or b"null")

    def simulation(self, name: str, replicas: int, *, speed: float, steps: int = 0) -> int:
        sim = self.call("POST", "simulations/", {"name": name})["id"]
        self.call("POST", f"simulations/{sim}/apply", {"yaml": MANIFEST.format(name="web", replicas=replicas,
                                                                              image="nginx:1.14.2")})
        if steps:
            self.call("POST", f"simulations/{sim}/commands/step", {"count": steps})
        self.call("POST", f"simulations/{sim}/commands/clock", {"running": True, "speed": speed})
        return sim


async def read_all(url: str, origin: str) -> None:
    """A student's page: its socket open, every message read (and dropped)."""
    import websockets

    async with websockets.connect(url, origin=origin, max_size=None, open_timeout=120) as socket:
        async for _ in socket:
            pass


async def record(url: str, origin: str, seconds: float, warm_up: float,
                 others: list[str] = ()) -> list[tuple[float, float]]:
    """(arrival wall time, sim time) of each delta received during ``seconds`` after ``warm_up``,
    while the pages at ``others`` are open too."""
    readers = [asyncio.create_task(read_all(other, origin)) for other in others]
    try:
        return await _record(url, origin, seconds, warm_up)
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)


async def _record(url: str, origin: str, seconds: float, warm_up: float) -> list[tuple[float, float]]:
    import websockets

    arrivals = []
    async with websockets.connect(url, origin=origin, max_size=None, open_timeout=120) as socket:
        loop = asyncio.get_running_loop()
        start = loop.time()
        end = start + warm_up + seconds
        while (left := end - loop.time()) > 0:
            try:
                text = await asyncio.wait_for(socket.recv(), left)
            except asyncio.TimeoutError:
                break
            message = json.loads(text)
            if message.get("type") == "delta" and message.get("cause") == "step" and loop.time() - start >= warm_up:
                arrivals.append((loop.time(), message["t"]))
    return arrivals


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
            pages = [api.simulation(f"student {n}", 3, speed=1.0) for n in range(students)]
            if heavy:  # 4,999 replicas + a surge of 1: 5,000 pods, the default pod budget
                api.simulation("huge", 4999, speed=50.0)
            presenter = api.simulation("presenter", 10, speed=PRESENTER_SPEED, steps=20)
            api.call("POST", f"simulations/{presenter}/commands/set-image",
                     {"deployment": "web", "container": "app", "image": "nginx:1.16.1"})
            socket = f"ws://127.0.0.1:{server.port}/ws/simulations/{{}}/?token={LOCAL_OPERATOR_TOKEN}"
            arrivals = asyncio.run(record(socket.format(presenter), server.url, seconds, warm_up=3.0,
                                          others=[socket.format(page) for page in pages]))
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
