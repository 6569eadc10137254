"""resourceVersion strings: reading them, and where a watch from one starts (the 410 rule).

A simulation's resourceVersion is one increasing counter. The server keeps a history of
changes; a watch from version N is served from it when every change after N is still there
(the watch cache's rule, GetIntervalLocked), else the watcher gets 410 Expired and lists again.
"""
from __future__ import annotations

import json
from typing import NamedTuple

from simulator.api.status import StatusError, expired, status, status_details
from simulator.errors import FieldError

_UINT64_MAX = 2**64 - 1


class InvalidResourceVersion(ValueError):
    """A resourceVersion that is no base-10 uint64. ``error`` is the field error the apiserver
    reports (APIObjectVersioner.ParseResourceVersion); for a watch it answers
    ``status.invalid(<resource>, "", [error], group)`` (InterpretWatchError)."""

    def __init__(self, text: str, problem: str):
        quoted = json.dumps(text, ensure_ascii=False)  # Go's %q
        self.error = FieldError("resourceVersion", f"Invalid value: {quoted}: strconv.ParseUint: "
                                                   f"parsing {quoted}: {problem}")
        super().__init__(str(self.error))


class WatchStart(NamedTuple):
    """Where a watch begins: ``since`` None means "send the current state as synthetic
    ADDED events, then every later change"; a number means "every change with a greater
    resourceVersion, from the history"."""

    since: int | None


def parse(text: str | None) -> int:
    """The number a resourceVersion stands for; unset ("" or absent) and "0" are 0, which
    lists and watches read as "any version, the current state will do"."""
    if text in (None, "", "0"):
        return 0
    if not text.isascii() or not text.isdigit():
        raise InvalidResourceVersion(text, "invalid syntax")
    value = int(text)
    if value > _UINT64_MAX:
        raise InvalidResourceVersion(text, "value out of range")
    return value


def too_old(requested: int, oldest: int) -> dict:
    """The 410 Expired Status of a watch from a version older than the history reaches:
    ``too old resource version: 5 (10)``, the second number being the oldest it could serve."""
    return expired(f"too old resource version: {requested} ({oldest - 1})")


# how long the watch cache waits for a version not reached yet before answering 504
TOO_LARGE_WAIT_SECONDS = 3.0


def too_large(requested: int, current: int) -> dict:
    """The 504 Status of a watch from a version the store has not reached within
    `TOO_LARGE_WAIT_SECONDS` (NewTooLargeResourceVersionError): retry after a second."""
    return status(504, "Timeout", f"Too large resource version: {requested}, current: {current}",
                  status_details(causes=[{"reason": "ResourceVersionTooLarge",
                                          "message": "Too large resource version"}],
                                 retry_after_seconds=1))


def watch_start(requested: str | None, oldest: int) -> WatchStart:
    """Where a watch from ``requested`` starts, when the history still holds every change
    from resourceVersion ``oldest`` on (pass the newest version + 1 when it holds none).

    Unset and "0" start from the current state. A version older than ``oldest - 1`` raises
    StatusError(410 Expired); a version not reached yet is for the caller to wait for (up to
    `TOO_LARGE_WAIT_SECONDS`, then `too_large`), as the watch cache does.
    """
    version = parse(requested)
    if version == 0:
        return WatchStart(None)
    if version < oldest - 1:
        raise StatusError(too_old(version, oldest))
    return WatchStart(version)


def bookmark(kind: str, api_version: str, resource_version: int) -> dict:
    """A BOOKMARK watch event: the object carries only the resourceVersion the watcher has
    now seen everything up to (sent when the client asked allowWatchBookmarks=true)."""
    return {"type": "BOOKMARK",
            "object": {"kind": kind, "apiVersion": api_version,
                       "metadata": {"resourceVersion": str(resource_version),
                                    "creationTimestamp": None}}}
