"""This project's server and Debian's Chromium as local processes: benchmarks, end-to-end tests, `make run-cluster`.

Everything listens on loopback only, every wait is bounded, and a server is stopped (its whole
process group) whatever happened.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which this closed
# network refuses; the sandbox needs privileges a root container does not give it.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
# Daphne (autobahn) refuses to *send* a WebSocket message above its 1 MiB default too, and the
# snapshot of a simulation with a few hundred pods is larger.
WEBSOCKET_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Connections waiting to be accepted. Twisted's default, 50, overflowed when a class of 500 opened
# the link at once: the kernel dropped the rest of the burst, whose clients tried again after 1 s
# and 3 s. (Linux caps it at net.core.somaxconn.)
LISTEN_BACKLOG = 1024
# Settings of the environment that must not leak from the caller into a private server.
_SERVER_ONLY = ("REDIS_URL", "DATABASE_URL", "CLOCK_MODE", "ROLLOUTVIZ_SQLITE", "DJANGO_ALLOW_ASYNC_UNSAFE")


def launch_chromium(playwright):
    """Debian's Chromium driven by Playwright (never a downloaded browser build)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    """Whether something accepts connections on this loopback port."""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# The operator token of the servers this process starts (tests, benchmarks): they and their clients share it.
LOCAL_OPERATOR_TOKEN = secrets.token_urlsafe(24)


def server_env(database: Path | str, *, settings: str = "rolloutviz.settings", path: tuple[Path, ...] = (),
               root: Path = ROOT, **extra: str) -> dict:
    """The environment of a server process of the checkout ``root`` (``extra`` added last).

    ``database`` is its own SQLite file (a Path) or a ``DATABASE_URL`` (a string, e.g. PostgreSQL's).
    """
    env = {k: v for k, v in os.environ.items() if k not in _SERVER_ONLY}
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        PYTHONPATH=os.pathsep.join(str(p) for p in (root, *path)),
        PYTHONUNBUFFERED="1",
        ROLLOUTVIZ_OPERATOR_TOKEN=LOCAL_OPERATOR_TOKEN,
    )
    if isinstance(database, Path):
        env["ROLLOUTVIZ_SQLITE"] = str(database)
    else:
        env["DATABASE_URL"] = database
    env.update(extra)
    return env


def manage(env: dict, *args: str, timeout: float = 180, root: Path = ROOT) -> str:
    """Run a management command in a process of its own; its output (AssertionError on failure)."""
    done = subprocess.run([sys.executable, "-m", "django", *args], env=env, cwd=root,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def daphne_command(port: int, tls_endpoint: str = "") -> list[str]:
    """The command line of a Daphne serving this project on a loopback port (and, with
    ``tls_endpoint``, on that HTTPS endpoint too: `manage.py tls_certificate` prints it)."""
    endpoints = ["-e", tls_endpoint] if tls_endpoint else []
    return [sys.executable, "-m", "daphne", "-e", f"tcp:port={port}:interface=127.0.0.1:backlog={LISTEN_BACKLOG}",
            *endpoints,
            "--websocket-max-message-size", str(WEBSOCKET_MAX_MESSAGE_BYTES),
            "rolloutviz.asgi:application"]


def start(argv: list[str], env: dict, log_path: Path, root: Path = ROOT) -> subprocess.Popen:
    """Start a process in a session of its own (so it can be killed with its children)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL to the process group: no chance to clean up (no lease release)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, as a supervisor stops a server, then SIGKILL if it does not go in time."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill(process)


class DaphneServer:
    """A Daphne subprocess serving this project with the environment ``env``; `url` is its address.

    With ``tls`` it also serves HTTPS (kubectl's endpoint, `tls_url`) with the certificates of
    the environment's ``KUBERNETES_TLS_DIR``, made on start when missing.
    """

    def __init__(self, env: dict, log_path: Path, root: Path = ROOT, *, tls: bool = False) -> None:
        self.env = env
        self.log_path = log_path
        self.root = root
        self.tls = tls
        self.port = 0
        self.tls_port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"

    def start(self, *, migrate: bool = True) -> "DaphneServer":
        """Migrate its database, start it and wait (30 s at most) until it listens."""
        if migrate:
            manage(self.env, "migrate", "--noinput", root=self.root)
        self.port = free_port()
        endpoint = ""
        if self.tls:
            self.tls_port = free_port()
            self.env["KUBERNETES_TLS_PORT"] = str(self.tls_port)
            endpoint = manage(self.env, "tls_certificate", "--port", str(self.tls_port), root=self.root).strip()
        self.process = start(daphne_command(self.port, endpoint), self.env, self.log_path, self.root)
        wait_for(lambda: (listening(self.port) and (not self.tls or listening(self.tls_port)))
                 or self.process.poll() is not None, timeout=30, what="Daphne to listen")
        assert self.process.poll() is None, "Daphne exited at start:\n" + self.log()
        return self

    def log(self) -> str:
        """The end of its output."""
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process:
            stop(self.process)

    def __enter__(self) -> "DaphneServer":
        # `with DaphneServer(...).start(migrate=False) as server:` must not start a second one.
        return self if self.process is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
