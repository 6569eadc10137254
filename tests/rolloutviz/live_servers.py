"""Real server processes for the restart, multi-process and fault tests, their viewers, and looks into their database.

Every wait is bounded; `Processes.kill_all` (called from the fixtures' teardown) ends every
process a test started, whatever happened. The database every process of one test shares is
a SQLite file or a PostgreSQL database (fixture `database`, parametrized over both): one
throwaway PostgreSQL cluster serves the whole run (fixture `postgres`), each test a fresh
database copied from a migrated template. A missing program fails the test, naming its Debian package.
"""
from __future__ import annotations

import asyncio
import http.cookiejar
import itertools
import json
import shutil
import sqlite3
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
import websockets

from rolloutviz import local_processes
from rolloutviz.local_processes import daphne_command, free_port, listening, wait_for
from rolloutviz.local_services import MissingDependency, PostgresServer, redis_command

HERE = Path(__file__).resolve().parent
TIMEOUT = 30  # generous: the machine is shared; every wait ends at a condition
# A throwaway cluster needs no durability; these make its commits as cheap as SQLite's.
POSTGRES_TEST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                          "shared_buffers": "32MB", "max_connections": "200"}
MIGRATED_TEMPLATE = "migrated"


def server_env(database: Path | str, **extra: str) -> dict:
    """The environment of a server process of these tests (short lease, frequent snapshots).

    ``database``: a SQLite file (Path) or a ``DATABASE_URL`` (str).
    """
    return local_processes.server_env(database, settings="server_settings", path=(HERE,), **extra)


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
    """Read-only looks into a test's shared database: a SQLite file (Path) or a PostgreSQL ``DATABASE_URL`` (str)."""

    def __init__(self, database: Path | str) -> None:
        self.database = database

    def query(self, sql: str, *params):
        """Rows of one query (``?`` placeholders, whichever the database)."""
        if isinstance(self.database, Path):
            connection = sqlite3.connect(self.database, timeout=20)
            try:
                return connection.execute(sql, params).fetchall()
            finally:
                connection.close()
        with psycopg.connect(self.database, connect_timeout=10) as connection:
            return connection.execute(sql.replace("?", "%s"), params).fetchall()

    def simulation(self, simulation_id: int) -> dict:
        row = self.query("SELECT seq, lease_owner, running, sim_time FROM rolloutviz_simulation WHERE id = ?",
                         simulation_id)[0]
        return {"seq": row[0], "lease_owner": row[1], "running": bool(row[2]), "t": row[3]}

    def ticks(self, simulation_id: int) -> list[dict]:
        rows = self.query("SELECT payload FROM rolloutviz_tickrecord WHERE simulation_id = ? ORDER BY seq",
                          simulation_id)
        # SQLite hands JSON back as text, psycopg decodes jsonb itself
        return [json.loads(payload) if isinstance(payload, str) else payload for (payload,) in rows]


def redis_server(processes: Processes, port: int, name: str = "redis") -> tuple[subprocess.Popen, str]:
    """A redis-server on a loopback port (no persistence); the process and its URL."""
    try:
        argv = redis_command(port)
    except MissingDependency as missing:
        pytest.fail(str(missing), pytrace=False)
    server = processes.start(name, argv, env={})
    wait_for(lambda: listening(port) or server.poll() is not None, timeout=15, what="redis-server")
    assert server.poll() is None, processes.log(name)
    return server, f"redis://127.0.0.1:{port}/0"


class TestPostgres:
    """The run's throwaway PostgreSQL cluster: a fresh database per test, copied from a migrated template."""

    __test__ = False  # not a test class
    _names = itertools.count(1)

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="rolloutviz-pg-"))  # under /tmp: the postgres account reaches it
        self.server = PostgresServer(self.folder, free_port(), settings=POSTGRES_TEST_SETTINGS)

    def start(self) -> "TestPostgres":
        self.server.initdb()
        self.server.start()
        template = self.server.create_database(MIGRATED_TEMPLATE)
        local_processes.manage(server_env(template), "migrate", "--noinput")
        return self

    def new_database(self) -> str:
        """A new, migrated database; its ``DATABASE_URL``."""
        return self.server.create_database(f"test_{next(self._names)}", template=MIGRATED_TEMPLATE)

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def serializable_by_default(url: str) -> None:
    """Make SERIALIZABLE the default of new sessions of this database (the strictest a server may be set to)."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"ALTER DATABASE {name} SET default_transaction_isolation = 'serializable'")


_postgres: TestPostgres | None = None


@pytest.fixture(scope="session")
def postgres(request) -> TestPostgres:
    """One PostgreSQL cluster for the whole run (however many modules import this fixture), stopped at its end."""
    global _postgres
    if _postgres is None:
        cluster = TestPostgres()
        request.config.add_cleanup(cluster.stop)
        try:
            _postgres = cluster.start()
        except MissingDependency as missing:
            pytest.fail(str(missing), pytrace=False)
    return _postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path) -> Path | str:
    """The database every process of a test shares: a SQLite file, or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return tmp_path / "shared.sqlite3"
    return request.getfixturevalue("postgres").new_database()


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

    def __init__(self, port: int, sim_id: int, token: str = local_processes.LOCAL_OPERATOR_TOKEN) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/simulations/{sim_id}/?token={token}"
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


class Api:
    """A script on the JSON API of one server: a session with the CSRF cookie, and the token as a bearer.

    Works whether the server asks for the CSRF token (a session) or only the bearer token.
    """

    def __init__(self, base: str, token: str = "", jar: http.cookiejar.CookieJar | None = None) -> None:
        self.base = base
        self.token = token
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()  # shared: the same session on another server
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Origin": self.base}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if csrf:
            headers["X-CSRFToken"] = csrf
        return headers

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        """(status, decoded JSON answer) of one request; the CSRF cookie is fetched first when missing."""
        if method != "GET" and not any(c.name == "csrftoken" for c in self.jar):
            self.call("GET", "/api/simulations/")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=self._headers())
        try:
            with self.opener.open(request, timeout=TIMEOUT) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        return status, json.loads(text) if text else None
