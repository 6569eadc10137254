"""Real server processes for the restart and multi-process tests: Daphne, redis-server, polling.

Every wait is bounded; `Processes.kill_all` (called from the fixtures' teardown) ends every
process a test started, whatever happened.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def server_env(db: Path, **extra: str) -> dict:
    """The environment of a server process of these tests."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CLOCK_MODE")}
    env.update(
        DJANGO_SETTINGS_MODULE="server_settings",
        ROLLOUTVIZ_TEST_DB=str(db),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]),
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra)
    return env


def django(env: dict, *args: str, timeout: float = 120) -> str:
    """Run a Django management command in a process of its own; its output."""
    done = subprocess.run(
        [sys.executable, "-m", "django", *args], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class Processes:
    """The processes one test started."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.started.append(process)
        return process

    def daphne(self, name: str, port: int, env: dict) -> subprocess.Popen:
        """A Daphne serving the project on a loopback port, once it listens."""
        process = self.start(name, [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                                    "rolloutviz.asgi:application"], env)
        wait_for(lambda: listening(port) or process.poll() is not None, timeout=30, what=f"{name} to listen")
        assert process.poll() is None, self.log(name)
        return process

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL: the process gets no chance to clean up (no lease release)."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    @staticmethod
    def terminate(process: subprocess.Popen, timeout: float = 20) -> int:
        """SIGTERM, as a supervisor stops a server; its exit code."""
        process.send_signal(signal.SIGTERM)
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
