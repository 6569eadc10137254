"""Fixtures of the browser tests: a live Daphne on a free loopback port with its own SQLite file,
Debian's Chromium driven by Playwright (sync API, in plain test functions), and page helpers.

Every wait is bounded; the server is killed in teardown whatever happened.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from policy_watch import watch_policy
from rolloutviz.local_processes import CHROMIUM, LOCAL_OPERATOR_TOKEN, DaphneServer, launch_chromium, server_env

WAIT_MS = 60_000  # the longest any single wait in a browser test may take


def live_server(workdir: Path) -> DaphneServer:
    """A Daphne (not started yet) on a private SQLite file in ``workdir``."""
    return DaphneServer(server_env(workdir / "browser.sqlite3"), workdir / "daphne.log")


@pytest.fixture(scope="session")
def daphne_server(tmp_path_factory):
    """One Daphne for the browser tests; each test makes its own simulation."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    server = live_server(tmp_path_factory.mktemp("browser-server"))
    try:
        yield server.start()
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
def context(browser, daphne_server):
    """A fresh browser context (own cookies and storage) per test, signed in as the operator
    through the operator link (as whoever ran `make run`); tests of roles make their own contexts."""
    ctx = browser.new_context(viewport={"width": 1500, "height": 1000})
    ctx.set_default_timeout(WAIT_MS)
    opener = ctx.new_page()
    opener.goto(f"{daphne_server.url}/?token={LOCAL_OPERATOR_TOKEN}")
    opener.close()
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context):
    """A page whose uncaught script errors and Content-Security-Policy violations fail the test."""
    errors: list[str] = []
    p = context.new_page()
    p.on("pageerror", lambda error: errors.append(str(error)))
    violations = watch_policy(p)
    yield p
    assert not errors, f"script errors on the page: {errors}"
    assert not violations, f"Content-Security-Policy violations on the page: {violations}"
