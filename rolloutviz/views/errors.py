"""The API's error answers: the JSON error body, unexpected failures (500, or 503 when the
database is unavailable) with a reference that is also in the server log beside the
traceback, and Django's own 400/403/404/500 handlers, which answer JSON under /api/ and a
Kubernetes ``Status`` under /k8s/ (the simulations' Kubernetes API).

Failures inside an API view reach `unexpected` through the `endpoint` wrapper; failures
outside one (a middleware, a URL converter) reach the ``handler*`` functions, which
`rolloutviz.urls` installs.
"""
from __future__ import annotations

import logging
import secrets
import sys

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views import defaults

from simulator.api import status as kubernetes_status

logger = logging.getLogger("rolloutviz.api")

API_PREFIX = "/api/"
KUBERNETES_PREFIX = "/k8s/"

# What SQLite says when the database cannot take the request now, and what the API says.
_SQLITE_UNAVAILABLE = {
    "database or disk is full": "the database is full",
    "readonly database": "the database is read-only",
    "database is locked": "the database is busy",
    "unable to open database file": "the database cannot be opened",
    "disk i/o error": "the database cannot be read or written (disk I/O error)",
}
# PostgreSQL SQLSTATE classes and codes of the same situations.
_SQLSTATE_UNAVAILABLE = {
    "53": "the database is out of resources (disk, memory or connections)",
    "08": "the database cannot be reached",
    "57P": "the database is shutting down or starting",
    "25006": "the database is read-only",
}


def error(message: str, field: str | None = None, line: int | None = None) -> dict:
    """One entry of the ``errors`` list."""
    return {"field": field, "message": message, "line": line}


def errors_response(errors: list[dict], status: int, reference: str | None = None) -> JsonResponse:
    """The API's error body ``{"errors": [...]}`` (with ``"reference"`` for server faults)."""
    body = {"errors": errors}
    if reference is not None:
        body["reference"] = reference
    return JsonResponse(body, status=status)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def is_kubernetes(request: HttpRequest) -> bool:
    return request.path.startswith(KUBERNETES_PREFIX)


def status_response(body: dict) -> JsonResponse:
    """A Kubernetes ``Status`` body as the answer, with its code."""
    return JsonResponse(body, status=body["code"])


def database_unavailable(exc: BaseException) -> str | None:
    """Why the database cannot serve the request now (full, read-only, unreachable), or None
    when ``exc`` is not such a failure."""
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__ or exc
    sqlstate = getattr(cause, "sqlstate", None) or ""
    for prefix, reason in _SQLSTATE_UNAVAILABLE.items():
        if sqlstate.startswith(prefix):
            return reason
    text = str(exc).lower()
    return next((reason for needle, reason in _SQLITE_UNAVAILABLE.items() if needle in text), None)


def unexpected(request: HttpRequest, exc: BaseException | None) -> JsonResponse:
    """The answer to a failure nobody handled: 503 when the database is unavailable, else 500;
    either way with a fresh reference, logged with the traceback under the same reference.
    Under /k8s/ the answer is a Status (InternalError or ServiceUnavailable) naming it."""
    reference = secrets.token_hex(6)
    reason = database_unavailable(exc) if exc is not None else None
    if reason is not None:
        status, message = 503, f"{reason}; try again later (reference {reference})"
    else:
        status, message = 500, f"internal server error (reference {reference})"
    logger.error("reference %s: %s %s answered %s", reference, request.method, request.path, status,
                 exc_info=None if exc is None else (type(exc), exc, exc.__traceback__))
    if is_kubernetes(request):
        response = status_response(kubernetes_status.service_unavailable(message) if status == 503
                                   else kubernetes_status.internal_error(message))
    else:
        response = errors_response([error(message)], status, reference)
    # Django would log it again without the reference; when the exception is unknown here,
    # its line (right after this one) is the one with the traceback.
    response._has_been_logged = exc is not None
    return response


# ---------------------------------------------------------------- Django's handlers


def handler400(request: HttpRequest, exception=None):
    """Bad requests (DisallowedHost, a body over Django's limits, …): JSON under /api/, a Status under /k8s/."""
    if is_kubernetes(request):
        if isinstance(exception, RequestDataTooBig):
            return status_response(kubernetes_status.request_entity_too_large("the request body is too large"))
        return status_response(kubernetes_status.bad_request("bad request"))
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return errors_response([error("request body too large")], 413)
    # Django's own wording can name settings; the client learns what was wrong, not how to
    # configure the server.
    if isinstance(exception, DisallowedHost):
        return errors_response([error("bad request: the Host header names no host this server serves")], 400)
    return errors_response([error("bad request")], 400)


def handler403(request: HttpRequest, exception=None):
    """Permission denied: JSON under /api/, a Status under /k8s/."""
    if is_kubernetes(request):
        return status_response(kubernetes_status.forbidden("", "", str(exception or "permission denied")))
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    return errors_response([error(f"forbidden: {exception or 'permission denied'}")], 403)


def handler404(request: HttpRequest, exception=None):
    """Not found: JSON under /api/ (every unknown /api/ address also gets it, from `api.no_route`),
    a Status under /k8s/."""
    if is_kubernetes(request):
        return status_response(kubernetes_status.status(404, "NotFound", "the server could not find the "
                                                        "requested resource", kubernetes_status.status_details()))
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return errors_response([error(f"not found: {request.path}")], 404)


def handler500(request: HttpRequest):
    """An exception outside any API view (e.g. in a middleware).

    Under WSGI it is still being handled here; under ASGI Django calls this in another
    thread, so the exception is unknown and only Django's own log line has the traceback.
    """
    if not (is_api(request) or is_kubernetes(request)):
        return defaults.server_error(request)
    return unexpected(request, sys.exc_info()[1])
