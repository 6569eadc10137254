"""Faults as people see them: a short reason for a failure, logged once per episode, not per tick."""
from __future__ import annotations

import logging
import threading

_open: dict[str, str] = {}  # what failed -> the reason last reported for it
_guard = threading.Lock()

# Fragments of database and channel-layer errors -> the reason a page shows after "stalled: ".
_REASONS = (
    (("database or disk is full", "no space left", "disk full", "could not extend file"), "the database disk is full"),
    (("readonly database", "read-only", "read only"), "the database is read-only"),
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
    for fragments, why in _REASONS:
        if any(fragment in text for fragment in fragments):
            return why
    if "redis" in type(error).__module__ or isinstance(error, (ConnectionError, OSError)):
        return "the channel layer (Redis) cannot be reached"
    if type(error).__name__ == "EngineStuck":
        return f"the simulation engine is stuck: {error}"
    return f"{type(error).__name__}: {error}"[:300]


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
