"""Real server processes for the restart, multi-process and fault tests, their viewers, and looks into their database.

Every wait is bounded; `Processes.kill_all` (called from the fixtures' teardown) ends every
process a test started, whatever happened.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import websockets

from rolloutviz import local_processes
from rolloutviz.local_processes import daphne_command, listening, wait_for

HERE = Path(__file__).resolve().parent
REDIS = shutil.which("redis-server")
TIMEOUT = 30  # generous: the machine is shared; every wait ends at a condition


def server_env(db: Path, **extra: str) -> dict:
    """The environment of a server process of these tests (short lease, frequent snapshots)."""
    return local_processes.server_env(db, settings="server_settings", path=(HERE,), **extra)


def django(env: dict, *args: str, timeout: float = 120) -> str:
    """Run a Django management command in a process of its own; its output."""
    return local_processes.manage(env, *args, timeout=timeout)


class Processes:
    """The processes one test started."""

    kill = staticmethod(local_processes.kill)

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        process = local_processes.start(argv, env, self.logs / f"{name}.log")
        self.started.append(process)
        return process

    def daphne(self, name: str, port: int, env: dict) -> subprocess.Popen:
        """A Daphne serving the project on a loopback port, once it listens."""
        process = self.start(name, daphne_command(port), env)
        wait_for(lambda: listening(port) or process.poll() is not None, timeout=30, what=f"{name} to listen")
        assert process.poll() is None, self.log(name)
        return process

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    @staticmethod
    def terminate(process: subprocess.Popen, timeout: float = 20) -> int:
        """SIGTERM, as a supervisor stops a server; its exit code."""
        process.terminate()
        return process.wait(timeout=timeout)

    def kill_all(self) -> None:
        for process in self.started:
            try:
                self.kill(process)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


class Database:
    """Read-only looks into a test's shared SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, sql: str, *params):
        connection = sqlite3.connect(self.path, timeout=20)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def simulation(self, simulation_id: int) -> dict:
        row = self.query("SELECT seq, lease_owner, running FROM rolloutviz_simulation WHERE id = ?", simulation_id)[0]
        return {"seq": row[0], "lease_owner": row[1], "running": bool(row[2])}

    def ticks(self, simulation_id: int) -> list[dict]:
        rows = self.query("SELECT payload FROM rolloutviz_tickrecord WHERE simulation_id = ? ORDER BY seq", simulation_id)
        return [json.loads(payload) for (payload,) in rows]


def redis_server(processes: Processes, port: int, name: str = "redis") -> tuple[subprocess.Popen, str]:
    """A redis-server on a loopback port (no persistence); the process and its URL."""
    if REDIS is None:
        pytest.skip("redis-server is not installed (make system-deps installs it)")
    server = processes.start(name, [REDIS, "--bind", "127.0.0.1", "--port", str(port),
                                    "--save", "", "--appendonly", "no"], env={})
    wait_for(lambda: listening(port) or server.poll() is not None, timeout=15, what="redis-server")
    assert server.poll() is None, processes.log(name)
    return server, f"redis://127.0.0.1:{port}/0"


async def until(predicate, what: str, timeout: float = TIMEOUT) -> None:
    """Wait (asyncio) until ``predicate()`` is true; AssertionError after ``timeout`` seconds."""
    async def poll():
        while not predicate():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(poll(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


class Viewer:
    """A WebSocket viewer collecting what one server streams."""

    def __init__(self, port: int, sim_id: int) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/simulations/{sim_id}/?token={local_processes.LOCAL_OPERATOR_TOKEN}"
        self.origin = f"http://127.0.0.1:{port}"
        self.snapshot: dict | None = None
        self.deltas: dict[int, str] = {}
        self.stream: list[tuple[str, int]] = []  # (type, seq) in arrival order
        self.statuses: list[tuple[str, str]] = []  # (state, reason) of each status message
        self.closed = False

    async def run(self) -> None:
        try:
            async with websockets.connect(self.url, origin=self.origin, open_timeout=TIMEOUT) as socket:
                async for text in socket:
                    message = json.loads(text)
                    self.stream.append((message["type"], message.get("seq")))
                    if message["type"] == "snapshot":
                        self.snapshot = message
                    elif message["type"] == "delta":
                        self.deltas[message["seq"]] = text
                    elif message["type"] == "status":
                        self.statuses.append((message["state"], message["reason"]))
        except (websockets.ConnectionClosed, OSError):
            pass
        self.closed = True

    def latest(self) -> int:
        """The seq this viewer is at (its last delta or snapshot)."""
        return max((seq for kind, seq in self.stream if kind in ("delta", "snapshot")), default=0)

    def in_order(self) -> bool:
        """Every delta follows the seq of the message before it (a snapshot may re-sync)."""
        last = None
        for kind, seq in self.stream:
            if kind == "delta" and last is not None and seq != last + 1:
                return False
            last = seq if kind in ("delta", "snapshot") else last
        return True

    def stalled(self) -> str | None:
        """The reason of the last status message, if it said stalled and nothing came after it."""
        for kind, _ in reversed(self.stream):
            if kind in ("delta", "snapshot"):
                return None
            if kind == "status":
                return self.statuses[-1][1] if self.statuses[-1][0] == "stalled" else None
        return None
