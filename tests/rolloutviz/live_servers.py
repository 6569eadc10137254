"""Real server processes for the restart and multi-process tests, and looks into their database.

Every wait is bounded; `Processes.kill_all` (called from the fixtures' teardown) ends every
process a test started, whatever happened.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from rolloutviz import local_processes
from rolloutviz.local_processes import daphne_command, listening, wait_for

HERE = Path(__file__).resolve().parent


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
