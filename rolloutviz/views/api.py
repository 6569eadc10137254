"""The JSON API (contracts.md §2): thin views that parse the request, call one service and
answer with JSON and the right status code.

State-changing calls are POST/DELETE and pass Django's CSRF check (the page sends the
``X-CSRFToken`` header); errors are ``{"errors": [{"field", "message", "line"}]}``.
"""
from __future__ import annotations

import functools
import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import ensure_csrf_cookie

from rolloutviz import demos
from rolloutviz.services import (
    commands,
    history,
    kubectl,
    manifests,
    named_commands,
    simulations,
)
from rolloutviz.services.errors import InvalidInput, ServiceError
from simulator.errors import ValidationError


def errors_response(errors: list[dict], status: int) -> JsonResponse:
    """The API's error body."""
    return JsonResponse({"errors": errors}, status=status)


def endpoint(*methods: str):
    """Allow only ``methods`` (else 405) and turn service errors into JSON error answers."""

    def wrap(view):
        @functools.wraps(view)
        def inner(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                response = errors_response(
                    [{"field": "", "message": f"method {request.method} not allowed", "line": None}],
                    405,
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except ServiceError as error:
                return errors_response(error.errors, error.status)
            except ValidationError as error:
                found = [e.as_dict() for e in error.errors] or [
                    {"field": "", "message": str(error), "line": None}]
                return errors_response(found, 400)
            except RequestDataTooBig:
                return errors_response(
                    [{"field": "", "message": "request body too large", "line": None}], 413)

        return inner

    return wrap


def json_body(request: HttpRequest) -> dict:
    """The request's JSON object (an empty body counts as ``{}``)."""
    try:
        raw = request.body
    except RawPostDataException:  # a multipart form was parsed (and its stream consumed)
        raise InvalidInput("request body: must be JSON (Content-Type: application/json)") from None
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("request body: invalid JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("request body: must be a JSON object")
    return body


def _optional_number(request: HttpRequest, name: str) -> float | None:
    value = request.GET.get(name, "")
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"{name}: must be a number of seconds", field=name) from None


# ---------------------------------------------------------------- demos and simulations


@endpoint("GET")
def demo_list(request: HttpRequest) -> JsonResponse:
    """GET demos/: every built-in demo with its steps."""
    return JsonResponse([demo.as_dict() for demo in demos.all_demos()], safe=False)


@endpoint("GET", "POST")
@ensure_csrf_cookie
def simulation_collection(request: HttpRequest) -> JsonResponse:
    """GET simulations/: the list; POST: create one (``{"demo"?, "name"?, "seed"?, "tick"?}``)."""
    if request.method == "GET":
        return JsonResponse(simulations.simulation_list(), safe=False)
    body = json_body(request)
    unknown = sorted(set(body) - {"demo", "name", "seed", "tick"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])
    sim = simulations.simulation_create(
        name=body.get("name", ""), seed=body.get("seed", 0), demo=body.get("demo"),
        tick=body.get("tick", 1.0),
    )
    return JsonResponse(simulations.simulation_summary(sim), status=201)


@endpoint("GET", "DELETE")
@ensure_csrf_cookie
def simulation_detail(request: HttpRequest, sim_id: int):
    """GET simulations/<id>/: the snapshot state; DELETE: remove it with its history (204)."""
    if request.method == "DELETE":
        simulations.simulation_delete(simulation_id=sim_id)
        return HttpResponse(status=204)
    return JsonResponse(simulations.simulation_state(simulation_id=sim_id))


@endpoint("POST")
def simulation_apply(request: HttpRequest, sim_id: int) -> JsonResponse:
    """POST simulations/<id>/apply ``{"yaml"}``: kubectl apply."""
    body = json_body(request)
    results = commands.manifest_apply(simulation_id=sim_id, yaml_text=body.get("yaml"))
    return JsonResponse({"results": results})


@endpoint("POST")
def simulation_diff(request: HttpRequest, sim_id: int) -> JsonResponse:
    """POST simulations/<id>/diff ``{"yaml"}``: what an apply of it would change."""
    body = json_body(request)
    return JsonResponse({"diff": manifests.manifest_diff(simulation_id=sim_id,
                                                         yaml_text=body.get("yaml"))})


# ---------------------------------------------------------------- commands


@endpoint("POST")
def simulation_command(request: HttpRequest, sim_id: int, name: str) -> JsonResponse:
    """POST simulations/<id>/commands/<name>: one command; 200 ``{"result"}``."""
    body = json_body(request)
    return JsonResponse({"result": named_commands.run_named_command(
        simulation_id=sim_id, name=name, args=body)})


# ---------------------------------------------------------------- reading the record


@endpoint("GET")
def simulation_history(request: HttpRequest, sim_id: int, deployment: str) -> JsonResponse:
    """GET simulations/<id>/history/<deployment>/[?revision=N]: rollout history."""
    raw = request.GET.get("revision", "")
    try:
        revision = int(raw) if raw else None
    except ValueError:
        raise InvalidInput("revision: must be an integer", field="revision") from None
    return JsonResponse(history.deployment_history(simulation_id=sim_id, deployment=deployment,
                                                   revision=revision))


@endpoint("GET")
def simulation_timeline(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/timeline?since=&until=: recorded commands and deltas."""
    return JsonResponse(history.timeline_between(
        simulation_id=sim_id, since=_optional_number(request, "since"),
        until=_optional_number(request, "until")))


@endpoint("GET")
def simulation_export(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/export: the whole recorded history, as a download."""
    response = JsonResponse(history.simulation_export(simulation_id=sim_id))
    response["Content-Disposition"] = f'attachment; filename="simulation-{sim_id}.json"'
    return response


@endpoint("GET")
def simulation_kubectl(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/kubectl?args=get+pods: a read-only kubectl text view."""
    return JsonResponse({"text": kubectl.kubectl_view(simulation_id=sim_id,
                                                      args=request.GET.get("args", ""))})


def csrf_failure(request: HttpRequest, reason: str = ""):
    """CSRF rejections: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return errors_response(
            [{"field": "", "message": f"CSRF verification failed: {reason}", "line": None}], 403)
    from django.views.csrf import csrf_failure as default_failure

    return default_failure(request, reason=reason)
