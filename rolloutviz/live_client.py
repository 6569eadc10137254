"""A client of a live server, as a browser is one: the JSON API under one session (its own cookies
and CSRF token) and pages whose WebSocket records every message with its arrival time.

For benchmarks and end-to-end tests (`rolloutviz.bench_clocks`, `rolloutviz.abuse_scenario`);
every wait is bounded.
"""
from __future__ import annotations

import asyncio
import http.cookiejar
import json
import urllib.error
import urllib.request

# A rolling Deployment with a readiness probe, one pod at a time (``name``, ``replicas``, ``image``).
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
TIMEOUT = 120  # seconds: only to end a hang, never a measure


class Api:
    """The JSON API with a session and its CSRF cookie, as a browser would call it."""

    def __init__(self, base: str, *, timeout: float = 600.0) -> None:
        self.base, self.timeout = base, timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.call("GET", "simulations/")  # sets the CSRF cookie

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        """The answer's status and JSON body (or text), whatever the status; OSError when none came in time."""
        token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
        request = urllib.request.Request(
            f"{self.base}/api/{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "X-CSRFToken": token, "Origin": self.base,
                     "Referer": self.base + "/"})
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                return answer.status, _parsed(answer.read())
        except urllib.error.HTTPError as failure:
            return failure.code, _parsed(failure.read())

    def call(self, method: str, path: str, body: dict | None = None):
        """The answer's JSON body; RuntimeError when the status is not a success."""
        status, answer = self.send(method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {json.dumps(answer)[:300]}")
        return answer

    def open_link(self, url: str) -> None:
        """Open a share link as a browser does: its role is granted to this session."""
        with self.opener.open(url, timeout=60) as answer:
            answer.read()

    def cookie_header(self) -> str:
        """This session's cookies as a browser sends them with a WebSocket handshake."""
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)

    def simulation(self, name: str, replicas: int, *, speed: float, steps: int = 0) -> int:
        """A new simulation of `MANIFEST` (Deployment ``web``), stepped ``steps`` times, its clock running at ``speed``."""
        sim = self.call("POST", "simulations/", {"name": name})["id"]
        self.call("POST", f"simulations/{sim}/apply", {"yaml": MANIFEST.format(name="web", replicas=replicas,
                                                                              image="nginx:1.14.2")})
        if steps:
            self.call("POST", f"simulations/{sim}/commands/step", {"count": steps})
        self.call("POST", f"simulations/{sim}/commands/clock", {"running": True, "speed": speed})
        return sim


def _parsed(body: bytes):
    """An answer's JSON, or its text when it is not JSON (a server answering HTML is a finding too)."""
    try:
        return json.loads(body or b"null")
    except ValueError:
        return body.decode(errors="replace")


def socket_url(base: str, sim: int) -> str:
    """The address of a simulation's live stream on the server at ``base`` (http://host:port)."""
    return f"ws{base.removeprefix('http')}/ws/simulations/{sim}/"


def connect(base: str, sim: int, api: Api | None = None, **options):
    """Open a simulation's socket as its page does (the server's origin, the session's cookies)."""
    import websockets

    headers = {"Cookie": api.cookie_header()} if api is not None else None
    return websockets.connect(socket_url(base, sim), origin=base, additional_headers=headers,
                              open_timeout=TIMEOUT, **options)


class Page:
    """One page's socket: every message it receives, parsed, with its arrival (event-loop time);
    ``keep=False`` reads and drops them (a page open, nobody measuring it)."""

    def __init__(self, base: str, sim: int, api: Api | None = None, *, keep: bool = True) -> None:
        self.base, self.sim, self.api, self.keep = base, sim, api, keep
        self.messages: list[tuple[float, dict]] = []
        self.opened = asyncio.Event()  # set when the first message (the snapshot) arrived

    async def run(self) -> None:
        """Read until the socket closes or the task is cancelled."""
        loop = asyncio.get_running_loop()
        async with connect(self.base, self.sim, self.api, max_size=None) as socket:
            async for text in socket:
                if self.keep:  # a page read and dropped parses nothing: a big snapshot would hold this loop up
                    self.messages.append((loop.time(), json.loads(text)))
                self.opened.set()

    def of_type(self, kind: str, since: float = float("-inf")) -> list[dict]:
        """The messages of one type that arrived at or after ``since``."""
        return [m for at, m in self.messages if m["type"] == kind and at >= since]

    def steps(self, since: float = float("-inf")) -> list[tuple[float, float]]:
        """(arrival, sim time) of every tick's delta that arrived at or after ``since``."""
        return [(at, m["t"]) for at, m in self.messages
                if m["type"] == "delta" and m.get("cause") == "step" and at >= since]

    def latest(self) -> int:
        """The seq this page is at (its last delta or snapshot)."""
        return max((m["seq"] for _, m in self.messages if m["type"] in ("delta", "snapshot")), default=0)

