"""The Kubernetes API of each simulation over HTTP, under ``/k8s/simulations/<id>/``: thin views
that read the request (path, query, ``Accept``, body, the kubectl headers), call
`rolloutviz.services.kubernetes` and answer as an API server does (JSON, Tables, plain text
for logs, a ``Status`` for every error, a 500 too, with a reference in the log).

Bearer tokens only: no cookies, no CSRF (a browser never sends a bearer token by itself).
Watches (``?watch=true``) are streamed by `rolloutviz.views.kubernetes_watch`.
"""
from __future__ import annotations

import json
import math

from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from rolloutviz import limits
from rolloutviz.models import Simulation
from rolloutviz.runner import WorkerLost
from rolloutviz.services import kubernetes, watching
from rolloutviz.services.kubernetes import RequestInfo
from rolloutviz.views.errors import status_response, unexpected
from rolloutviz.views.request_body import MAX_JSON_DEPTH, json_depth
from simulator.api import status
from simulator.api.status import StatusError
from simulator.api.yaml_source import load_manifests
from simulator.errors import ValidationError

PREFIX = "/k8s/simulations/{}"
MAX_BODY_BYTES = 1024 * 1024  # as the JSON API's apply (under nginx's 2 MiB, Django's 2.5 MiB)
TABLE_CONTENT_TYPE = "application/json;as=Table;v={};g=meta.k8s.io"
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/apply-patch+yaml")
NO_BUFFERING = {"X-Accel-Buffering": "no"}  # nginx passes streams on as they come


def media_ranges(accept: str) -> list[tuple[str, dict[str, str]]]:
    """An Accept header's media ranges in order, each (type, parameters)."""
    ranges = []
    for item in (accept or "").split(","):
        kind, *params = [p.strip() for p in item.split(";")]
        if kind:
            ranges.append((kind.lower(), dict(p.split("=", 1) for p in params if "=" in p)))
    return ranges


def table_version(accept: str) -> str | None:
    """The meta.k8s.io version of the Table the client asks for first, or None (the objects)."""
    for kind, params in media_ranges(accept):
        if kind in ("application/json", "*/*") and params.get("as") != "Table":
            return None
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and \
                params.get("v") in kubernetes.TABLE_VERSIONS:
            return params["v"]
    return None


def aggregated_version(accept: str) -> str | None:
    """The aggregated discovery version (``v2``, ``v2beta1``) the client asks for first, or None."""
    for kind, params in media_ranges(accept):
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io" \
                and params.get("v") in ("v2", "v2beta1"):
            return params["v"]
        if kind in ("application/json", "*/*"):
            return None
    return None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise StatusError(status.bad_request(f"json: number out of range: {text}"))
    return value


def _no_constant(name: str):
    raise StatusError(status.bad_request(f"json: invalid character '{name[0]}' looking for beginning of value"))


def request_body(request: HttpRequest):
    """The decoded body: JSON (any value), or YAML for a YAML media type; None when empty.
    400 for what does not decode, 413 over `MAX_BODY_BYTES`, 415 for another media type."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise StatusError(status.request_entity_too_large(f"the request body is larger than {MAX_BODY_BYTES} bytes"))
    raw = request.body
    if not raw.strip():
        return None
    media_type = (request.content_type or "").lower()
    if media_type in YAML_TYPES:
        try:
            return json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError):
            pass  # real YAML, not the JSON kubectl sends
        try:
            documents = load_manifests(raw)
        except ValidationError as error:
            raise StatusError(status.bad_request(f"error decoding YAML: {error}")) from None
        if len(documents) != 1:
            raise StatusError(status.bad_request("error decoding YAML: expected exactly one document"))
        return documents[0].obj
    if not (media_type in JSON_TYPES or media_type.endswith("+json")):
        raise StatusError(status.unsupported_media_type(["application/json", "application/yaml"]))
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise StatusError(status.bad_request("json: the request body nests too deeply"))
    try:
        return json.loads(raw, parse_float=_finite, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise StatusError(status.bad_request("json: the request body is not UTF-8")) from None
    except ValueError as error:
        raise StatusError(status.bad_request(f"json: cannot decode the request body: {error}")) from None


def warning_header(warnings: list[str]) -> str:
    """The ``Warning`` header of a write's warnings (RFC 7234: ``299 - "<text>"``, comma-joined)."""
    quoted = ('299 - "{}"'.format(w.replace("\\", "\\\\").replace('"', '\\"')) for w in warnings)
    return ", ".join(quoted)


def json_answer(body, code: int = 200, content_type: str = "application/json") -> HttpResponse:
    return JsonResponse(body, status=code, safe=False, content_type=content_type)


def failure(request: HttpRequest, error: BaseException) -> HttpResponse:
    """The Status of a failure: its own, 404 for a simulation gone meanwhile, 503 for a lost
    worker or an unavailable database, else a 500 whose reference is in the log."""
    if isinstance(error, StatusError):
        return status_response(error.status)
    if isinstance(error, Simulation.DoesNotExist):
        return status_response(status.status(404, "NotFound", "the simulation no longer exists",
                                              status.status_details()))
    if isinstance(error, WorkerLost):
        return status_response(status.service_unavailable(f"the simulation is busy or restarting: {error}; "
                                                          "try again in a few seconds"))
    return unexpected(request, error)


def _watching(request: HttpRequest) -> bool:
    return request.GET.get("watch", "").lower() in ("true", "1")


@csrf_exempt
async def dispatch(request: HttpRequest, sim_id: str, path: str = "") -> HttpResponse:
    """Every request under ``/k8s/simulations/<id>``: a watch is streamed, anything else answered."""
    from rolloutviz.views import kubernetes_watch

    try:
        info = kubernetes.request_info(request.method, path or "/", _watching(request))
    except StatusError as error:
        return status_response(error.status)
    if info.verb == "watch":
        return await kubernetes_watch.watch(request, int(sim_id), info)
    return await sync_to_async(answer)(request, int(sim_id), info)


@csrf_exempt
def no_route(request: HttpRequest) -> HttpResponse:
    """Any other address under /k8s/."""
    return status_response(kubernetes.not_found_path().status)


def answer(request: HttpRequest, simulation_id: int, info: RequestInfo) -> HttpResponse:
    """A request that is not a watch."""
    try:
        if info.resource is None:
            return _non_resource(request, simulation_id, info)
        caller = caller_of(request, simulation_id, info)
        offset = kubernetes.clock_offset(caller, request.headers.get("Kubectl-Session", ""))
        if info.verb in ("get", "list"):
            return _read(request, caller, info, offset)
        return _write(request, caller, info, offset)
    except Exception as error:  # noqa: BLE001 - every answer is a Status, a 500 too
        return failure(request, error)


def caller_of(request: HttpRequest, simulation_id: int, info: RequestInfo) -> kubernetes.Caller:
    """The authenticated, authorized caller; the simulation counts as watched."""
    caller = kubernetes.authenticate(simulation_id=simulation_id,
                                     authorization=request.headers.get("Authorization", ""))
    kubernetes.authorize(caller, info)
    try:
        watching.mark_watched(simulation_id)
    except DatabaseError:  # a database that cannot take the note must not refuse the request
        pass
    return caller


def _non_resource(request: HttpRequest, simulation_id: int, info: RequestInfo) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        raise StatusError(status.method_not_supported("", request.method.lower()))
    if info.path != "/version":  # the version is public, as on a real cluster; discovery is not
        kubernetes.authenticate(simulation_id=simulation_id, authorization=request.headers.get("Authorization", ""))
    body, content_type = kubernetes.non_resource(
        info.path, prefix=PREFIX.format(simulation_id), aggregated=aggregated_version(request.headers.get("Accept")))
    return json_answer(body, content_type=content_type or "application/json")


def _read(request: HttpRequest, caller: kubernetes.Caller, info: RequestInfo, offset: int) -> HttpResponse:
    version = table_version(request.headers.get("Accept", ""))
    read = kubernetes.read_request(info, request.GET, table_version=version, offset=offset)
    body = kubernetes.read(caller=caller, request=read)
    if isinstance(body, str):  # a pod's log
        return HttpResponse(body, content_type="text/plain; charset=utf-8")
    if version and not info.subresource:
        return json_answer(body, content_type=TABLE_CONTENT_TYPE.format(version))
    return json_answer(body)


def _write(request: HttpRequest, caller: kubernetes.Caller, info: RequestInfo, offset: int) -> HttpResponse:
    kubernetes.charge(caller, limits.address_subjects(request))
    write = kubernetes.write_request(info, request.GET, request_body(request), request.content_type or "")
    label = kubernetes.write_label(request.headers.get("Kubectl-Command", ""), info)
    done = kubernetes.write(caller=caller, request=write, label=label, offset=offset)
    response = json_answer(done["body"], done["code"])
    if done.get("warnings"):
        response["Warning"] = warning_header(done["warnings"])
    return response
