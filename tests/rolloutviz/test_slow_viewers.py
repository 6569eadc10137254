"""Viewers that never read delay nobody (issue 13), with a real Daphne on the embedded default:
100 sockets watch a rolling update at 10×, 10 of them never read. The 90 that read get one
snapshot and then every delta in seq order, without a gap that would show a stall; the server's
memory stays bounded, because a socket's backlog is (its kernel send buffer and
``STREAM_BACKLOG_BYTES``, both set small here so that the test reaches them): once past it, its
deltas are dropped and it gets one fresh snapshot when it reads again. Timeouts and the gap bound
only catch hangs: `python -m rolloutviz.bench fanout` measures.
"""
import asyncio
import json
import socket

import pytest

from live_servers import until
from rolloutviz.live_client import Api, Page, connect
from rolloutviz.local_processes import DaphneServer, server_env

READERS, STILL = 90, 10
WINDOW = 25.0  # seconds the rollout streams while the 10 sit still (Daphne's own pings close them after ~50 s)
BACKLOG_BYTES = 256 * 1024
SEND_BUFFER = 64 * 1024
# seconds between two deltas at a reader: held behind the still sockets, a reader would wait out the
# whole window; a machine at load 15 (other work) has shown 5.4 s hiccups of the clock itself
STALL = 12.0
MEMORY_GUARD = 150 * 1024 * 1024  # the server's growth while the still sockets are held (a leak guard)
HANG = 180
# 300 pods replaced a quarter at a time: deltas large enough to fill a still socket's buffers in the window
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 300
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.14.2
        readinessProbe:
          httpGet: {path: /, port: 80}
          periodSeconds: 2
"""


def rss(pid: int) -> int:
    """A process's resident memory in bytes."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


@pytest.fixture
def server(tmp_path):
    env = server_env(tmp_path / "db.sqlite3", STREAM_BACKLOG_BYTES=str(BACKLOG_BYTES),
                     STREAM_SOCKET_SEND_BUFFER=str(SEND_BUFFER), LIMIT_COMMANDS_PER_SECOND="0")
    with DaphneServer(env, tmp_path / "daphne.log") as daphne:
        yield daphne


class Still:
    """A socket that reads its snapshot's first bytes and then nothing (a tiny receive buffer, and
    the client library stops reading once it holds one message), until told to drain."""

    def __init__(self, base: str, sim: int, api: Api) -> None:
        self.base, self.sim, self.api = base, sim, api
        self.socket = None
        self.received: list[dict] = []

    async def open(self) -> None:
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.setblocking(False)
        await asyncio.get_running_loop().sock_connect(raw, ("127.0.0.1", int(self.base.rsplit(":", 1)[1])))
        self.socket = await connect(self.base, self.sim, self.api, sock=raw, max_size=None, max_queue=1,
                                    ping_interval=None)

    async def drain(self, upto: int) -> None:
        """Read until a delta of seq ``upto`` or later (or a snapshot at it) arrived."""
        async for text in self.socket:
            message = json.loads(text)
            self.received.append(message)
            if message["type"] in ("delta", "snapshot") and message["seq"] >= upto:
                return


def stream_of(page: Page) -> list[tuple[str, int, float]]:
    return [(m["type"], m["seq"], at) for at, m in page.messages if m["type"] in ("snapshot", "delta")]


async def test_ninety_viewers_keep_their_cadence_while_ten_never_read(server):
    owner = await asyncio.to_thread(Api, server.url)
    sim = (await asyncio.to_thread(owner.call, "POST", "simulations/", {"name": "slow viewers"}))["id"]
    for path, body in ((f"simulations/{sim}/apply", {"yaml": MANIFEST}),
                       (f"simulations/{sim}/commands/step", {"count": 40}),
                       (f"simulations/{sim}/commands/clock", {"running": True, "speed": 10})):
        await asyncio.to_thread(owner.call, "POST", path, body)
    still = [Still(server.url, sim, owner) for _ in range(STILL)]
    await asyncio.gather(*(s.open() for s in still))
    readers = [Page(server.url, sim, owner) for _ in range(READERS)]
    tasks = [asyncio.create_task(page.run()) for page in readers]
    try:
        await asyncio.wait_for(asyncio.gather(*(page.opened.wait() for page in readers)), HANG)
        before = rss(server.process.pid)
        await asyncio.to_thread(owner.call, "POST", f"simulations/{sim}/commands/set-image",
                                {"deployment": "web", "container": "app", "image": "nginx:1.16.1"})
        start = asyncio.get_running_loop().time()
        peak = before
        while asyncio.get_running_loop().time() - start < WINDOW:
            await asyncio.sleep(0.5)
            peak = max(peak, rss(server.process.pid))
        seq = (await asyncio.to_thread(owner.call, "GET", f"simulations/{sim}/"))["seq"]
        await until(lambda: all(page.latest() >= seq for page in readers), "every reader to reach the stored seq", HANG)
        await asyncio.wait_for(asyncio.gather(*(s.drain(seq) for s in still)), HANG)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for s in still:
            if s.socket is not None:
                await s.socket.close()

    for page in readers:
        received = stream_of(page)
        assert [kind for kind, _, _ in received] == ["snapshot"] + ["delta"] * (len(received) - 1), "a reader re-synced"
        first = received[0][1]
        assert [seq for _, seq, _ in received] == list(range(first, first + len(received))), "a reader missed a delta"
        during = [at for kind, _, at in received if start <= at]
        assert len(during) > 10 and max(b - a for a, b in zip(during, during[1:])) < STALL, "a reader stalled"
    assert peak - before < MEMORY_GUARD
    for s in still:
        kinds = [m["type"] for m in s.received if m["type"] in ("snapshot", "delta")]
        assert kinds.count("snapshot") == 2, "a still socket was not re-synced once: its backlog was kept whole"
        assert len(kinds) < seq - first, "a still socket got every delta: its backlog was not bounded"
