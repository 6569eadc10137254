"""The few threads that do the database work of the async read views, each keeping its connection.

Django runs a sync view in a thread made for its request and opens a database connection there
for it (for SQLite that is a file open, two PRAGMAs and some thirty SQL functions registered), then
closes both. A polled read needs two or three small queries; here they run on a connection kept
by one of `THREADS` long-lived threads. A connection is dropped and reopened after a failure that
left it unusable, when a call left a transaction open, and every `CONNECTION_SECONDS` (so a
PostgreSQL fail-over or restart is picked up); nothing here waits for a simulation's worker, so a
slow simulation cannot hold these threads (the views await their worker on the event loop).
"""
from __future__ import annotations

import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import connections

THREADS = 4  # so 4 kept connections per server process (PostgreSQL: count them in max_connections)
CONNECTION_SECONDS = 60.0

_executor = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="rolloutviz-read")
_opened = threading.local()


def in_read_thread(function):
    """``function`` as a coroutine run in one of the read threads, on that thread's kept connection."""
    return sync_to_async(functools.partial(_call, function), thread_sensitive=False, executor=_executor)


def _call(function, *args, **kwargs):
    _keep_or_reopen()
    return function(*args, **kwargs)


def _keep_or_reopen() -> None:
    """Close this thread's connections if they are old, in a transaction or broken (the next query reopens)."""
    now = time.monotonic()
    if now - getattr(_opened, "at", -CONNECTION_SECONDS) >= CONNECTION_SECONDS:
        connections.close_all()
        _opened.at = now
        return
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        if connection.in_atomic_block or connection.get_autocommit() != connection.settings_dict["AUTOCOMMIT"]:
            connection.close()
        elif connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()
