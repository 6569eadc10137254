"""metav1.Status bodies: shapes and wording from apimachinery's errors.go (and its
errors_test.go), the apiserver's authorizer and negotiation errors, and what kubectl printed
against a logging server (../shared/kubernetes-api/requests.md)."""
import json

import pytest

from simulator.api import status
from simulator.errors import FieldError


def body(code, reason, message, details=None):
    out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message}
    if reason:
        out["reason"] = reason
    if details is not None:
        out["details"] = details
    out["code"] = code
    return out


CASES = [
    ("bad-request", status.bad_request("invalid JSON patch"),
     body(400, "BadRequest", "invalid JSON patch")),
    ("unauthorized", status.unauthorized(), body(401, "Unauthorized", "Unauthorized")),
    ("unauthorized-empty", status.unauthorized(""), body(401, "Unauthorized", "not authorized")),
    ("forbidden-named", status.forbidden("deployments", "web", "nope", "apps"),
     body(403, "Forbidden", 'deployments.apps "web" is forbidden: nope',
          {"name": "web", "group": "apps", "kind": "deployments"})),
    ("forbidden-collection", status.forbidden("pods", "", "nope"),
     body(403, "Forbidden", "pods is forbidden: nope", {"kind": "pods"})),
    ("forbidden-no-resource", status.forbidden("", "", "nope"),
     body(403, "Forbidden", "forbidden: nope", {})),
    ("not-found-apps", status.not_found("deployments", "nope", "apps"),
     body(404, "NotFound", 'deployments.apps "nope" not found',
          {"name": "nope", "group": "apps", "kind": "deployments"})),
    ("not-found-core", status.not_found("pods", "nope"),
     body(404, "NotFound", 'pods "nope" not found', {"name": "nope", "kind": "pods"})),
    ("method-not-supported", status.method_not_supported("pods", "deletecollection"),
     body(405, "MethodNotAllowed",
          'deletecollection is not supported on resources of kind "pods"', {"kind": "pods"})),
    ("not-acceptable", status.not_acceptable(["application/json", "application/yaml"]),
     body(406, "NotAcceptable", "only the following media types are accepted: "
                                "application/json, application/yaml")),
    ("already-exists", status.already_exists("deployments", "web", "apps"),
     body(409, "AlreadyExists", 'deployments.apps "web" already exists',
          {"name": "web", "group": "apps", "kind": "deployments"})),
    ("conflict-stale", status.conflict("deployments", "web", group="apps"),
     body(409, "Conflict", 'Operation cannot be fulfilled on deployments.apps "web": the object '
                           "has been modified; please apply your changes to the latest version "
                           "and try again", {"name": "web", "group": "apps", "kind": "deployments"})),
    ("expired", status.expired("too old resource version: 5 (10)"),
     body(410, "Expired", "too old resource version: 5 (10)")),
    ("too-large", status.request_entity_too_large("limit is 3145728"),
     body(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")),
    ("unsupported-media-type", status.unsupported_media_type(
        ["application/json-patch+json", "application/merge-patch+json"]),
     body(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                                       "accepted media types include: application/json-patch+"
                                       "json, application/merge-patch+json")),
    ("too-many-requests", status.too_many_requests("slow down", 3),
     body(429, "TooManyRequests", "slow down", {"retryAfterSeconds": 3})),
    ("internal", status.internal_error("boom"),
     body(500, "InternalError", "Internal error occurred: boom",
          {"causes": [{"message": "boom"}]})),
    ("unknown", status.unknown_error("map: map[image:x] does not contain declared merge key: name"),
     body(500, "", "map: map[image:x] does not contain declared merge key: name")),
    ("service-unavailable", status.service_unavailable("the simulation is stopped"),
     body(503, "ServiceUnavailable", "the simulation is stopped")),
    ("patch-rejected", status.patch_rejected(),
     body(422, "Invalid", "the server rejected our request due to an error in our request", {})),
]


@pytest.mark.parametrize("built,want", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_status_bodies(built, want):
    assert built == want


def test_key_order_is_gos_field_order():
    """kind, apiVersion, metadata, status, message, reason, details, code; details in
    StatusDetails' order."""
    text = json.dumps(status.not_found("deployments", "nope", "apps"))
    assert text == ('{"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", '
                    '"message": "deployments.apps \\"nope\\" not found", "reason": "NotFound", '
                    '"details": {"name": "nope", "group": "apps", "kind": "deployments"}, '
                    '"code": 404}')


FORBIDDEN_CASES = [
    ("namespaced-subresource",
     dict(user="system:serviceaccount:default:demo", verb="patch", resource="deployments",
          group="apps", subresource="scale", namespace="default", name="web"),
     'deployments.apps "web" is forbidden: User "system:serviceaccount:default:demo" cannot '
     'patch resource "deployments/scale" in API group "apps" in the namespace "default"'),
    ("cluster-scope-with-reason",
     dict(user="viewer", verb="patch", resource="nodes", name="node-1", reason="read-only link"),
     'nodes "node-1" is forbidden: User "viewer" cannot patch resource "nodes" in API group "" '
     "at the cluster scope: read-only link"),
    ("collection", dict(user="u", verb="list", resource="pods", namespace="default"),
     'pods is forbidden: User "u" cannot list resource "pods" in API group "" in the '
     'namespace "default"'),
    ("html-escaped", dict(user="<b>&", verb="get", resource="pods", namespace="default"),
     'pods is forbidden: User "&lt;b&gt;&amp;" cannot get resource "pods" in API group "" in '
     'the namespace "default"'),
]


@pytest.mark.parametrize("kwargs,message", [c[1:] for c in FORBIDDEN_CASES],
                         ids=[c[0] for c in FORBIDDEN_CASES])
def test_forbidden_request_words_the_authorizers_refusal(kwargs, message):
    got = status.forbidden_request(**kwargs)
    assert (got["code"], got["reason"], got["message"]) == (403, "Forbidden", message)
    assert got["details"]["kind"] == kwargs["resource"]


def test_invalid_from_field_errors():
    """NewInvalid: message aggregates the errors; one cause per error; kubectl builds its
    text from details.kind/name and each cause (requests.md 39-apply-invalid)."""
    errors = [
        FieldError("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
        FieldError("spec.strategy.rollingUpdate.maxUnavailable",
                   "Invalid value: 0: may not be 0 when `maxSurge` is 0"),
    ]
    got = status.invalid("Deployment", "web", errors, "apps")
    assert got == body(422, "Invalid", 'Deployment.apps "web" is invalid: [spec.replicas: Invalid '
                                       "value: -1: must be greater than or equal to 0, spec.strategy."
                                       "rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 "
                                       "when `maxSurge` is 0]", {
        "name": "web", "group": "apps", "kind": "Deployment",
        "causes": [{"reason": "FieldValueInvalid",
                    "message": "Invalid value: -1: must be greater than or equal to 0",
                    "field": "spec.replicas"},
                   {"reason": "FieldValueInvalid",
                    "message": "Invalid value: 0: may not be 0 when `maxSurge` is 0",
                    "field": "spec.strategy.rollingUpdate.maxUnavailable"}]})


def test_invalid_single_error_and_core_kind():
    got = status.invalid("Pod", "p", [FieldError("spec.containers", "Required value")])
    assert got["message"] == 'Pod "p" is invalid: spec.containers: Required value'
    assert got["details"] == {"name": "p", "kind": "Pod", "causes": [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers"}]}


def test_invalid_without_errors():
    assert status.invalid("Deployment", "web", [], "apps")["message"] == \
        'Deployment.apps "web" is invalid'


CAUSE_CASES = [
    ("required", "Required value", "FieldValueRequired"),
    ("invalid", 'Invalid value: "x": bad', "FieldValueInvalid"),
    ("not-supported", 'Unsupported value: "Foo": supported values: "Always"',
     "FieldValueNotSupported"),
    ("forbidden", "Forbidden: may not be set", "FieldValueForbidden"),
    ("duplicate", 'Duplicate value: "app"', "FieldValueDuplicate"),
    ("not-found", 'Not found: "x"', "FieldValueNotFound"),
    ("too-long", "Too long: may not be more than 63 bytes", "FieldValueTooLong"),
    ("too-many", "Too many: 3: must have at most 2 items", "FieldValueTooMany"),
    ("internal", "Internal error: oops", "InternalError"),
    ("other-wording", 'unknown field "spec.foo"', "FieldValueInvalid"),
]


@pytest.mark.parametrize("message,reason", [c[1:] for c in CAUSE_CASES],
                         ids=[c[0] for c in CAUSE_CASES])
def test_cause_reason_read_from_the_wording(message, reason):
    assert status.cause(FieldError("f", message)) == {"reason": reason, "message": message,
                                                      "field": "f"}


def test_cause_without_field_leaves_it_out():
    assert status.cause(FieldError("", "Required value")) == {"reason": "FieldValueRequired",
                                                              "message": "Required value"}


def test_success_of_a_delete():
    assert status.success("deployments", "web", "uid-1", "apps") == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
        "details": {"name": "web", "group": "apps", "kind": "deployments", "uid": "uid-1"}}


def test_status_error_carries_the_body():
    error = status.StatusError(status.not_found("pods", "x"))
    assert isinstance(error, ValueError)
    assert (str(error), error.code) == ('pods "x" not found', 404)
