"""Issue 11's abuse scenario against a live server: a presenter's simulation at 10× with its page
open while another session, as a browser, sends everything that used to stall it.

The other session (a student) runs the hellok8s demo's liveness step at 50× and a 5,000-pod
simulation at 50×, each with its page open; floods the presenter's simulation and its own
5,000-pod one with 100 resync requests each, from sockets that then never read (the server's
writes to them back up); and sends the requests that must be refused: ``replicas: 1000000000``,
``scale`` to 2^63 and to 2^31, 100,000 replicas (to its liveness simulation). `abused` sets it
all up and keeps it running while the caller watches; the isolation test asserts on what
happened (`tests/rolloutviz/test_isolation.py`), ``python -m rolloutviz.bench abuse`` measures it.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import struct
import time
from dataclasses import dataclass, field
from typing import AsyncIterator

from rolloutviz.bench_clocks import start_presenter
from rolloutviz.demos import hellok8s
from rolloutviz.live_client import TIMEOUT, Api, Page

STUDENT_SPEED = 50.0
LIVENESS_STEP = "A liveness probe that fails after 15 s"
HEAVY_REPLICAS = 4999  # + a surge of 1: 5,000 pods, the default pod budget
RESYNC_FLOOD = 100
WARM_UP = 2.0  # seconds the presenter's page runs before the first abusive request
STUDENT_TIMEOUT = 60.0  # seconds the student waits for an answer (the server before issue 11 could hang)
PARTS = frozenset({"liveness", "heavy", "floods", "refusals"})  # what the student does (all by default)


@dataclass(frozen=True)
class Refusal:
    """A request that must be refused before any work: its answer's status and the field it names."""

    name: str
    command: str  # "apply" or a command name
    body: dict
    status: int
    field: str
    value: int  # the number the message must quote


def _liveness_manifest(replicas: int) -> str:
    """The liveness step's manifest with another replica count."""
    return hellok8s.manifest(image="guangzhengli/hellok8s:liveness", replicas=replicas, strategy=True,
                             probe=hellok8s.LIVENESS)


def _scale(replicas: int) -> dict:
    return {"deployment": hellok8s.NAME, "replicas": replicas}


REFUSALS = (
    Refusal("apply replicas: 1000000000", "apply", {"yaml": _liveness_manifest(10**9)}, 400, "spec.replicas", 10**9),
    Refusal("scale to 2^63", "scale", _scale(2**63), 400, "replicas", 2**63),
    Refusal("scale to 2^31", "scale", _scale(2**31), 400, "replicas", 2**31),
    Refusal("apply replicas: 100000", "apply", {"yaml": _liveness_manifest(100_000)}, 400, "spec.replicas", 100_000),
)


@dataclass
class Answer:
    """What the server answered to one `Refusal`, and how long it took (wall seconds)."""

    refusal: Refusal
    status: int | None  # None: no answer in time
    body: object
    seconds: float


@dataclass
class Scene:
    """The scenario while it runs: the simulations, the open pages, the answers and failures so far."""

    presenter_id: int
    presenter: Page  # the presenter's page (another session than the student's)
    student: Api
    liveness_id: int = 0  # the student's hellok8s simulation (the refusals go to it)
    liveness: Page | None = None  # the student's page of it
    heavy_id: int = 0
    answers: list[Answer] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # a student step that failed -> why
    abuse_started: float = 0.0  # event-loop times
    abuse_ended: float = 0.0

    async def attempt(self, what: str, function, *args, **kwargs):
        """``function(*args, **kwargs)`` in a thread (the pages keep reading); None, noted in `failures`, if it fails."""
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except Exception as error:  # noqa: BLE001 - a server that fails must be reported, not abort the scenario
            self.failed(what, error)
            return None

    def failed(self, what: str, error: BaseException) -> None:
        self.failures[what] = f"{type(error).__name__}: {error}"


def liveness_step_yaml() -> str:
    """The manifest the hellok8s demo's liveness step applies."""
    step = next(s for s in hellok8s.DEMO.steps if s.title == LIVENESS_STEP)
    return step.args["yaml"]


def start_hellok8s(api: Api, *, liveness: bool) -> int:
    """The hellok8s demo (with its liveness step applied, if ``liveness``), its clock at 50×."""
    sim = api.call("POST", "simulations/", {"demo": hellok8s.DEMO.key})["id"]
    if liveness:
        api.call("POST", f"simulations/{sim}/apply", {"yaml": liveness_step_yaml()})
    api.call("POST", f"simulations/{sim}/commands/clock", {"running": True, "speed": STUDENT_SPEED})
    return sim


def send_refusal(api: Api, sim: int, refusal: Refusal) -> Answer:
    """Send one refusal's request (blocking); its answer, timed."""
    path = f"simulations/{sim}/" + ("apply" if refusal.command == "apply" else f"commands/{refusal.command}")
    started = time.monotonic()
    try:
        status, body = api.send("POST", path, refusal.body)
    except OSError as error:  # no answer in time
        status, body = None, f"no answer: {error}"
    return Answer(refusal, status, body, time.monotonic() - started)


def _masked_frame(text: str) -> bytes:
    """One client-to-server WebSocket text frame (clients must mask, RFC 6455 §5.3)."""
    payload = text.encode()
    mask = os.urandom(4)
    length = len(payload)
    header = struct.pack("!BB", 0x81, 0x80 | length) if length < 126 else struct.pack("!BBH", 0x81, 0x80 | 126, length)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def flood_resyncs(base: str, sim: int, api: Api, count: int = RESYNC_FLOOD):
    """Open a simulation's socket, send ``count`` resync requests and never read again; the open
    stream writer (close it to end the flood's connection)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), STUDENT_TIMEOUT)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws/simulations/{sim}/ HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Origin: {base}\r\nCookie: {api.cookie_header()}\r\n\r\n").encode())
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STUDENT_TIMEOUT)
    if not answer.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"the flooding socket was not accepted: {answer[:200]!r}")
    writer.write(_masked_frame(json.dumps({"type": "resync"})) * count)
    await writer.drain()
    return writer  # from here on nothing is read: the reader's buffer fills and the server's writes back up


@contextlib.asynccontextmanager
async def abused(base: str, parts: frozenset[str] = PARTS) -> AsyncIterator[Scene]:
    """Run the scenario's ``parts`` on the server at ``base`` (http://host:port) and keep it running inside
    the block. A student step that fails is noted in `Scene.failures` and the scenario goes on."""
    loop = asyncio.get_running_loop()
    presenter_api = await asyncio.to_thread(Api, base)
    presenter_id = await asyncio.to_thread(start_presenter, presenter_api)
    scene = Scene(presenter_id, Page(base, presenter_id, presenter_api),
                  await asyncio.to_thread(Api, base, timeout=STUDENT_TIMEOUT))
    tasks = [asyncio.create_task(scene.presenter.run())]
    floods = []

    def open_page(sim: int, keep: bool) -> Page:
        page = Page(base, sim, scene.student, keep=keep)
        tasks.append(asyncio.create_task(page.run()))
        return page

    try:
        await asyncio.wait_for(scene.presenter.opened.wait(), TIMEOUT)
        await asyncio.sleep(WARM_UP)
        scene.abuse_started = loop.time()
        scene.liveness_id = await scene.attempt("hellok8s at 50×", start_hellok8s, scene.student,
                                                liveness="liveness" in parts) or 0
        if scene.liveness_id:
            scene.liveness = open_page(scene.liveness_id, keep=True)
        if "heavy" in parts:
            scene.heavy_id = await scene.attempt("5,000 pods at 50×", scene.student.simulation, "huge",
                                                 HEAVY_REPLICAS, speed=STUDENT_SPEED) or 0
            if scene.heavy_id:
                open_page(scene.heavy_id, keep=False)
        if "floods" in parts:
            # the class's demo is watched through a view link: the student floods it as a viewer may
            link = await asyncio.to_thread(presenter_api.call, "POST", f"simulations/{presenter_id}/links",
                                           {"role": "view"})
            await asyncio.to_thread(scene.student.open_link, link["url"])
            for flooded in filter(None, (scene.presenter_id, scene.heavy_id)):
                try:
                    floods.append(await flood_resyncs(base, flooded, scene.student))
                except (OSError, EOFError, RuntimeError) as error:
                    scene.failed(f"resync flood on simulation {flooded}", error)
        if "refusals" in parts and scene.liveness_id:
            for refusal in REFUSALS:
                scene.answers.append(await asyncio.to_thread(send_refusal, scene.student, scene.liveness_id, refusal))
        scene.abuse_ended = loop.time()
        yield scene
    finally:
        for writer in floods:
            writer.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
