"""Errors the services raise, each with the HTTP status the API answers with."""
from __future__ import annotations


class ServiceError(Exception):
    """A request the services turn down; ``errors`` is the API's ``{"errors": [...]}`` list."""

    status = 400

    def __init__(self, message: str, field: str = "", line: int | None = None):
        super().__init__(message)
        self.message = message
        self.errors = [{"field": field, "message": message, "line": line}]


class InvalidInput(ServiceError):
    """Malformed arguments (a missing field, a wrong type, an unknown speed)."""

    status = 400


class Forbidden(ServiceError):
    """The caller's role does not allow it."""

    status = 403


class NotFound(ServiceError):
    """The simulation, Deployment, pod or node does not exist."""

    status = 404


class Refused(ServiceError):
    """The cluster refuses the command in its current state (e.g. undo while paused)."""

    status = 409


class TooLarge(ServiceError):
    """The manifest is over the size cap."""

    status = 413
