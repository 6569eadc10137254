"""Faults as people see them: a short reason for a failure, logged once per episode, not per tick."""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from simulator import EngineStuck

_open: dict[str, str] = {}  # what failed -> the reason last reported for it
_guard = threading.Lock()

FULL_BELOW_BYTES = 1 << 20  # a SQLite disk with less room than this counts as full
DISK_FULL = "the database disk is full"
READ_ONLY = "the database is read-only"

# Fragments of database and channel-layer errors -> the reason a page shows after "stalled: ".
_REASONS = (
    (("database or disk is full", "no space left", "disk full", "could not extend file"), DISK_FULL),
    (("readonly database", "read-only", "read only"), READ_ONLY),
    (("database is locked",), "the database is busy (locked)"),
    (("unable to open database", "could not connect", "connection refused", "server closed the connection"),
     "the database cannot be reached"),
)


def reason(error: BaseException) -> str:
    """A short, human reason for ``error`` (what follows "stalled: " on the page)."""
    from rolloutviz.runner.pool import WorkerLost

    if isinstance(error, WorkerLost):
        return str(error)
    text = str(error).lower()
    room = _sqlite_room()
    if room is not None and room.f_flag & os.ST_RDONLY:  # SQLite in WAL mode cannot even open it then
        return READ_ONLY
    if "disk i/o error" in text:  # SQLite in WAL mode says this when the WAL cannot grow on a full disk
        full = room is not None and room.f_bavail * room.f_frsize < FULL_BELOW_BYTES
        return DISK_FULL if full else "the database disk failed (I/O error)"
    for fragments, why in _REASONS:
        if any(fragment in text for fragment in fragments):
            return why
    if "redis" in type(error).__module__ or isinstance(error, (ConnectionError, OSError)):
        return "the channel layer (Redis) cannot be reached"
    if isinstance(error, EngineStuck):
        return f"the simulation engine is stuck: {error}"
    return f"{type(error).__name__}: {error}"[:300]


def _sqlite_room() -> os.statvfs_result | None:
    """The file system of the SQLite database (None on other databases)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    try:
        return os.statvfs(Path(connection.settings_dict["NAME"]).resolve().parent)
    except OSError:
        return None


def report(what: str, error: BaseException, logger: logging.Logger) -> str:
    """Note that ``what`` failed; logged (with the traceback) only when an episode starts or its reason changes."""
    why = reason(error)
    with _guard:
        new = _open.get(what) != why
        _open[what] = why
    if new:
        logger.error("%s stalled: %s", what, why, exc_info=error)
    return why


def clear(what: str, logger: logging.Logger) -> bool:
    """Note that ``what`` works again; True (and logged) if it had failed."""
    with _guard:
        was = _open.pop(what, None)
    if was is not None:
        logger.warning("%s recovered (was: %s)", what, was)
    return was is not None


def current(what: str) -> str | None:
    """The reason ``what`` is failing now, or None."""
    with _guard:
        return _open.get(what)
