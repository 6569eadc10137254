"""metav1.Status bodies: what the API server answers every error (and a delete) with.

Each builder returns the Status as a JSON-ready dict, worded and shaped as apimachinery's
``pkg/api/errors/errors.go`` and the apiserver's handlers build it, keys in Go's field order
(kind, apiVersion, metadata, status, message, reason, details, code) and empty fields left
out as ``omitempty`` leaves them out. ``StatusError`` carries one through Python code.

Resources are named as Kubernetes names a GroupResource: the plural resource and its group
("deployments", "apps"); the core group is "". kubectl reads ``reason``, ``details.kind``,
``details.name`` and the causes: for a 422 it ignores ``message`` and prints
``The Deployment "web" is invalid: <field>: <cause message>`` from them.
"""
from __future__ import annotations

from simulator.errors import FieldError, aggregate

OBJECT_MODIFIED = ("the object has been modified; please apply your changes to the latest "
                   "version and try again")

# field.ErrorType values, as Status causes name them, by the wording ErrorBody() starts with
_CAUSE_TYPES = (
    ("Required value", "FieldValueRequired"),
    ("Invalid value", "FieldValueInvalid"),
    ("Unsupported value", "FieldValueNotSupported"),
    ("Forbidden", "FieldValueForbidden"),
    ("Duplicate value", "FieldValueDuplicate"),
    ("Not found", "FieldValueNotFound"),
    ("Too long", "FieldValueTooLong"),
    ("Too many", "FieldValueTooMany"),
    ("Too few", "FieldValueTooFew"),
    ("Too short", "FieldValueTooShort"),
    ("Internal error", "InternalError"),
)


class StatusError(ValueError):
    """An error the API server answers with a Status; ``status`` is that body."""

    def __init__(self, status: dict):
        self.status = status
        super().__init__(status["message"])

    @property
    def code(self) -> int:
        """The HTTP status code."""
        return self.status["code"]


def qualified(resource: str, group: str = "") -> str:
    """``GroupResource.String()``: "deployments.apps", or "pods" in the core group."""
    return f"{resource}.{group}" if group else resource


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A failure Status; ``details`` (from ``status_details``) is kept even if empty,
    as Go keeps a non-nil *StatusDetails."""
    body: dict = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                  "message": message}
    if reason:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def status_details(name: str = "", group: str = "", kind: str = "", uid: str = "",
                   causes: list[dict] | None = None, retry_after_seconds: int = 0) -> dict:
    """metav1.StatusDetails with its empty fields left out."""
    fields = {"name": name, "group": group, "kind": kind, "uid": uid, "causes": causes,
              "retryAfterSeconds": retry_after_seconds}
    return {key: value for key, value in fields.items() if value}


def success(resource: str, name: str, uid: str, group: str = "") -> dict:
    """The Status a delete answers when it does not return the object."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": status_details(name, group, resource, uid)}


def bad_request(message: str) -> dict:
    """400 BadRequest (NewBadRequest)."""
    return status(400, "BadRequest", message)


def unauthorized(message: str = "Unauthorized") -> dict:
    """401 Unauthorized; the authentication filter words it "Unauthorized"."""
    return status(401, "Unauthorized", message or "not authorized")


def forbidden(resource: str, name: str, reason: str, group: str = "") -> dict:
    """403 Forbidden (NewForbidden): ``deployments.apps "web" is forbidden: <reason>``."""
    gr = qualified(resource, group)
    if not resource and not group:
        message = f"forbidden: {reason}"
    elif not name:
        message = f"{gr} is forbidden: {reason}"
    else:
        message = f'{gr} "{name}" is forbidden: {reason}'
    return status(403, "Forbidden", message, status_details(name, group, resource))


def forbidden_request(user: str, verb: str, resource: str, *, group: str = "",
                      subresource: str = "", namespace: str = "", name: str = "",
                      reason: str = "") -> dict:
    """403 as the authorizer words a refused resource request (responsewriters.Forbidden):
    ``User "u" cannot patch resource "deployments/scale" in API group "apps" in the
    namespace "default"``, then ``: <reason>`` when the authorizer gave one."""
    target = f"{resource}/{subresource}" if subresource else resource
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    text = f'User "{user}" cannot {verb} resource "{target}" in API group "{group}" {where}'
    # the apiserver escapes these so an error can never read as HTML
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return forbidden(resource, name, f"{text}: {reason}" if reason else text, group)


def not_found(resource: str, name: str, group: str = "") -> dict:
    """404 NotFound: ``deployments.apps "nope" not found``."""
    return status(404, "NotFound", f'{qualified(resource, group)} "{name}" not found',
                  status_details(name, group, resource))


def method_not_supported(resource: str, action: str, group: str = "") -> dict:
    """405 MethodNotAllowed: ``<action> is not supported on resources of kind "pods"``."""
    return status(405, "MethodNotAllowed",
                  f'{action} is not supported on resources of kind "{qualified(resource, group)}"',
                  status_details(group=group, kind=resource))


def not_acceptable(accepted: list[str]) -> dict:
    """406 NotAcceptable: the Accept header names no media type the server can answer."""
    return status(406, "NotAcceptable",
                  "only the following media types are accepted: " + ", ".join(accepted))


def already_exists(resource: str, name: str, group: str = "") -> dict:
    """409 AlreadyExists: ``deployments.apps "web" already exists``."""
    return status(409, "AlreadyExists", f'{qualified(resource, group)} "{name}" already exists',
                  status_details(name, group, resource))


def conflict(resource: str, name: str, reason: str = OBJECT_MODIFIED, group: str = "") -> dict:
    """409 Conflict: ``Operation cannot be fulfilled on deployments.apps "web": <reason>``;
    the default reason is the stale-resourceVersion one."""
    return status(409, "Conflict",
                  f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": '
                  f"{reason}", status_details(name, group, resource))


def expired(message: str) -> dict:
    """410 Expired (NewResourceExpired): a watch or continue token too old to serve."""
    return status(410, "Expired", message)


def request_entity_too_large(message: str) -> dict:
    """413 RequestEntityTooLarge: ``Request entity too large: <message>``."""
    return status(413, "RequestEntityTooLarge", f"Request entity too large: {message}")


def unsupported_media_type(accepted: list[str]) -> dict:
    """415 UnsupportedMediaType, for a body (or patch) type the endpoint does not take."""
    return status(415, "UnsupportedMediaType",
                  "the body of the request was in an unknown format - accepted media types "
                  "include: " + ", ".join(accepted))


def cause(error: FieldError) -> dict:
    """One StatusCause of a field error: its type read from the wording apimachinery's
    ErrorBody() begins with (messages worded otherwise count as FieldValueInvalid)."""
    reason = next((kind for prefix, kind in _CAUSE_TYPES if error.message.startswith(prefix)),
                  "FieldValueInvalid")
    entry = {"reason": reason, "message": error.message}
    if error.field:
        entry["field"] = error.field
    return entry


def invalid(kind: str, name: str, errors: list[FieldError], group: str = "") -> dict:
    """422 Invalid (NewInvalid): ``Deployment.apps "web" is invalid: [a, b]``, one cause per
    field error. ``kind`` is the object's Kind ("Deployment"), not its resource."""
    group_kind = f"{kind}.{group}" if group else kind
    message = f'{group_kind} "{name}" is invalid'
    if errors:
        message += ": " + aggregate(errors)
    return status(422, "Invalid", message,
                  status_details(name, group, kind, causes=[cause(e) for e in errors]))


def too_many_requests(message: str, retry_after_seconds: int) -> dict:
    """429 TooManyRequests (NewTooManyRequests); clients wait ``retry_after_seconds``."""
    return status(429, "TooManyRequests", message,
                  status_details(retry_after_seconds=retry_after_seconds))


def internal_error(message: str) -> dict:
    """500 InternalError: ``Internal error occurred: <message>``."""
    return status(500, "InternalError", f"Internal error occurred: {message}",
                  status_details(causes=[{"message": message}]))


def unknown_error(message: str, code: int = 500) -> dict:
    """What the apiserver makes of an error that is no Status (ErrorToAPIStatus): the code,
    no reason, the error's own text. kubectl prints it as ``Error from server: <message>``."""
    return status(code, "", message)


def service_unavailable(message: str) -> dict:
    """503 ServiceUnavailable."""
    return status(503, "ServiceUnavailable", message)


def patch_rejected() -> dict:
    """The 422 a patch that does not apply gets (a failing JSON patch operation, a strategic
    merge patch of lists of lists): the apiserver hands the patch library's error to
    NewGenericServerResponse, which keeps only its fixed wording."""
    return status(422, "Invalid", "the server rejected our request due to an error in our "
                  "request", status_details())
