"""Fixtures of the browser tests: a live Daphne on a free loopback port with its own SQLite file,
Debian's Chromium driven by Playwright (sync API, in plain test functions), and page helpers.

Every wait is bounded; the server is killed in teardown whatever happened.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
WAIT_MS = 60_000  # the longest any single wait in a browser test may take
# Daphne (autobahn) also refuses to *send* a WebSocket message above its 1 MiB default, and the
# snapshot of a 1,000-pod simulation is several MiB.
WEBSOCKET_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class LiveServer:
    """A Daphne subprocess serving the project; `url` is its base address."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.log_path = workdir / "daphne.log"
        self.env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "CLOCK_MODE")}
        self.env.update(
            DJANGO_SETTINGS_MODULE="browser_server_settings",
            ROLLOUTVIZ_BROWSER_DB=str(workdir / "browser.sqlite3"),
            PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]),
            PYTHONUNBUFFERED="1",
        )
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        migrate = subprocess.run([sys.executable, "-m", "django", "migrate", "--noinput"], env=self.env,
                                 cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        self.port = free_port()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                 "--websocket-max-message-size", str(WEBSOCKET_MAX_MESSAGE_BYTES), "rolloutviz.asgi:application"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not _listening(self.port):
            assert self.process.poll() is None, self.log()
            assert time.monotonic() < deadline, "Daphne did not listen within 30 s\n" + self.log()
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def launch_chromium(playwright):
    """Debian's Chromium (never a downloaded browser build)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def daphne_server(tmp_path_factory):
    """One Daphne for the browser tests; each test makes its own simulation."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    server = LiveServer(tmp_path_factory.mktemp("browser-server"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser(daphne_server):
    """A Chromium for one test (the sync API: tests are plain functions).

    Per test, not per session: while the sync API is started its event loop counts as running in
    this thread, which would break every later test that calls async_to_sync.
    """
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = launch_chromium(playwright)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


@pytest.fixture
def context(browser):
    """A fresh browser context (own cookies and storage) per test."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    ctx.set_default_timeout(WAIT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context):
    """A page whose uncaught script errors fail the test."""
    errors: list[str] = []
    p = context.new_page()
    p.on("pageerror", lambda error: errors.append(str(error)))
    yield p
    assert not errors, f"script errors on the page: {errors}"
