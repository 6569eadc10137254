"""The JSON API (contracts.md §2): thin views that parse the request, call one service and
answer with JSON and the right status code.

State-changing calls are POST/DELETE and pass Django's CSRF check (the page sends the
``X-CSRFToken`` header); errors are ``{"errors": [{"field", "message", "line"}]}``.
"""
from __future__ import annotations

import functools
import json
import logging
from typing import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.asgi import ASGIRequest
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.csrf import csrf_failure as default_csrf_failure
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie

from rolloutviz import demos, limits, permissions, runner
from rolloutviz.models import Link
from rolloutviz.permissions import Role
from rolloutviz.services import (
    commands,
    copies,
    explanations,
    history,
    kubeconfig,
    kubectl,
    lesson,
    links,
    manifests,
    named_commands,
    objects,
    rewind,
    simulations,
    watching,
    whatif,
)
from rolloutviz.services.errors import Forbidden, InvalidInput, ServiceError
from rolloutviz.views.errors import error, errors_response, handler404, is_api, unexpected
from rolloutviz.views.request_body import MAX_MANIFEST_BODY_BYTES, json_body
from simulator.errors import ValidationError

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_ID = 2**63 - 1  # ids are 64-bit: a larger one names no simulation
ALL_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")


def endpoint(*methods: str, rate: limits.Rate | None = None, needs: dict[str, Role] | None = None,
             remembered: bool = False):
    """The checks every API view gets, in this order, each answered as JSON:

    * the method (else 405);
    * who is asking (`permissions.principal`: a bearer token, else the session; 401 for a
      bad token) and, for the session, Django's CSRF check on unsafe methods (a bearer token
      needs none: browsers never send one by themselves);
    * for a URL naming a simulation, the caller's role in it: none is 404 (it does not exist
      for them), too little is 403. ``needs`` maps a method to the role it takes; by default
      reading takes view and changing takes edit;
    * ``rate`` for state-changing calls (429 with Retry-After when over);
    * then the view, with ``request.principal`` (and ``request.simulation``, ``request.role``);
      service errors answer with their status, anything unexpected as `errors.unexpected`.

    ``remembered``: a polled read whose view needs only ``request.role``; a role found for the same
    session or token lately may answer for it (`permissions.remembered_role`), and then the view
    gets no ``request.principal`` nor ``request.simulation``.
    """
    required = {method: Role.VIEW if method in SAFE_METHODS else Role.EDIT for method in methods}
    required.update(needs or {})

    def wrap(view):
        @functools.wraps(view)
        def inner(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                response = errors_response(
                    [error(f"method {request.method} not allowed")], 405)
                response["Allow"] = ", ".join(methods)
                return response
            if kwargs.get("sim_id", 0) > MAX_ID:
                return errors_response([error(f"simulation {kwargs['sim_id']} not found")], 404)
            if kwargs.get("comparison_id", 0) > MAX_ID:
                return errors_response([error(f"comparison {kwargs['comparison_id']} not found")], 404)
            try:
                refused = _authorize(request, kwargs.get("sim_id"), required[request.method],
                                     kwargs.get("comparison_id"), remembered=remembered)
                if refused is not None:
                    return refused
                if rate is not None and request.method not in SAFE_METHODS:
                    limits.charge(rate, limits.subjects(request))
                if "sim_id" in kwargs:
                    _watched(kwargs["sim_id"])
                return view(request, *args, **kwargs)
            except Exception as failure:  # noqa: BLE001 - every API answer is JSON, a 500 too
                return failure_response(request, failure)

        # the CSRF check is made above, after telling bearer tokens from sessions
        return csrf_exempt(inner)

    return wrap


def failure_response(request: HttpRequest, failure: Exception) -> HttpResponse:
    """The JSON answer to a view's failure: a service error's status (429 with Retry-After), 400 for
    invalid input, 413 for a body too large, anything unexpected as `errors.unexpected`."""
    if isinstance(failure, ServiceError):
        response = errors_response(failure.errors, failure.status)
        if isinstance(failure, limits.Limited):
            response["Retry-After"] = str(failure.retry_after)
        return response
    if isinstance(failure, ValidationError):
        found = [e.as_dict() for e in failure.errors] or [error(str(failure), "")]
        return errors_response(found, 400)
    if isinstance(failure, RequestDataTooBig):
        return errors_response([error("request body too large")], 413)
    return unexpected(request, failure)


def _authorize(request: HttpRequest, simulation_id: int | None, needed: Role,
               comparison_id: int | None = None, remembered: bool = False) -> HttpResponse | None:
    """Who is asking and whether they may: None to go on, else the refusal to answer with
    (for a URL naming a comparison, ``request.comparison`` and the role in it)."""
    header = request.headers.get("Authorization", "")
    bearer = header[len("Bearer "):].strip() if header.startswith("Bearer ") else None
    remembered = remembered and simulation_id is not None and request.method in SAFE_METHODS
    if remembered:
        who = permissions.identity(session_key=request.session.session_key, bearer=bearer)
        request.role = permissions.remembered_role(who, simulation_id)
        if request.role is not None and request.role >= needed:
            return None
    try:
        request.principal = permissions.principal(session=request.session, user=request.user, bearer=bearer)
    except permissions.Unauthorized as failure:
        response = errors_response([error(f"Unauthorized: {failure}")], 401)
        response["WWW-Authenticate"] = 'Bearer realm="rolloutviz"'
        return response
    if bearer is None and request.method not in SAFE_METHODS:
        refused = CsrfViewMiddleware(lambda _: None).process_view(request, None, (), {})
        if refused is not None:
            return refused
    if comparison_id is not None:
        request.comparison, request.role = permissions.comparison_role_by_id(request.principal, comparison_id)
        what = f"comparison {comparison_id}"
    elif simulation_id is not None:
        request.simulation, request.role = permissions.role_by_id(request.principal, simulation_id)
        what = f"simulation {simulation_id}"
        if remembered and request.role is not None:
            permissions.remember_role(who, simulation_id, request.role)
    else:
        return None
    if request.role is None:
        return errors_response([error(f"{what} not found")], 404)
    if request.role < needed:
        return errors_response([error(
            f"forbidden: {request.method} here needs the {needed.name.lower()} role; "
            f"yours is {request.role.name.lower()}")], 403)
    return None


def _watched(simulation_id: int) -> None:
    """An API request keeps the simulation's clock alive; a database that cannot take the
    note (read-only, full) must not stop the request from being answered."""
    try:
        watching.mark_watched(simulation_id)
    except DatabaseError as failure:
        logger.warning("simulation %s: could not note it as watched: %s", simulation_id, failure)


def _optional_number(request: HttpRequest, name: str) -> float | None:
    """A query parameter as a number (the service refuses NaN and infinities), or None."""
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


@endpoint("GET", "POST", rate=limits.CREATIONS)
@ensure_csrf_cookie
def simulation_collection(request: HttpRequest) -> JsonResponse:
    """GET simulations/: the list; POST: create one (``{"demo"?, "name"?, "seed"?, "tick"?}``)."""
    if request.method == "GET":
        return JsonResponse(simulations.simulation_list(request.principal), safe=False)
    body = json_body(request)
    unknown = sorted(set(body) - {"demo", "name", "seed", "tick"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])
    sim = simulations.simulation_create(
        name=body.get("name", ""), seed=body.get("seed", 0), demo=body.get("demo"),
        tick=body.get("tick", 1.0), **_owner(request),
    )
    creator = Role.OPERATOR if request.principal.operator else Role.OWNER
    return JsonResponse(simulations.simulation_summary(sim, creator), status=201)


def _owner(request: HttpRequest) -> dict:
    """Who owns what this request creates: its session (and account), or the operator for the
    operator's token; a share link's token creates nothing (it reaches one simulation only)."""
    who = request.principal
    if who.bearer is not None and who.bearer.role != Link.OPERATOR:
        raise Forbidden("forbidden: a link's token reaches only its own simulation")
    if who.bearer is not None:
        return {}
    if settings.REQUIRE_LOGIN and who.user_id is None and not who.operator:
        raise Forbidden("forbidden: this server asks you to sign in before you make simulations "
                        "(links you were given work without an account)")
    return {"owner_session": permissions.owner_id(request.session), "owner_user_id": who.user_id}


@endpoint("GET", "DELETE", rate=limits.COMMANDS, needs={"DELETE": Role.OWNER})
@ensure_csrf_cookie
def simulation_detail(request: HttpRequest, sim_id: int):
    """GET simulations/<id>/: the snapshot state; DELETE: remove it with its history (204)."""
    if request.method == "DELETE":
        simulations.simulation_delete(simulation_id=sim_id)
        return HttpResponse(status=204)
    return HttpResponse(simulations.simulation_state_text(simulation_id=sim_id), content_type="application/json")


@endpoint("POST", rate=limits.COMMANDS)
def simulation_apply(request: HttpRequest, sim_id: int) -> JsonResponse:
    """POST simulations/<id>/apply ``{"yaml"}``: kubectl apply."""
    body = json_body(request, MAX_MANIFEST_BODY_BYTES)
    results = commands.manifest_apply(simulation_id=sim_id, yaml_text=body.get("yaml"))
    return JsonResponse({"results": results})


@endpoint("POST", needs={"POST": Role.VIEW})  # reads only: what an apply would change
def simulation_diff(request: HttpRequest, sim_id: int) -> JsonResponse:
    """POST simulations/<id>/diff ``{"yaml"}``: what an apply of it would change."""
    body = json_body(request, MAX_MANIFEST_BODY_BYTES)
    return JsonResponse({"diff": manifests.manifest_diff(simulation_id=sim_id,
                                                         yaml_text=body.get("yaml"))})


@csrf_exempt  # the endpoint() below checks CSRF, after telling bearer tokens from sessions
async def simulation_whatif(request: HttpRequest, sim_id: int) -> HttpResponse:
    """POST simulations/<id>/whatif ``{"yaml", "run"?}``: what applying it would do, predicted,
    and (unless ``run`` is false) checked by running it on a private copy.

    Async so the check (up to ``WHATIF_WALL_SECONDS``) is awaited without holding a thread:
    the checks and the prediction run in a thread of their own (not the one Django's sync
    views share), the check in the worker pool."""
    answered = await runner.in_thread(_whatif_prediction)(request, sim_id=sim_id)
    pending = getattr(request, "whatif_check", None)
    if pending is None:
        return answered
    try:
        run = await whatif.check_async(sim_id, pending)
    except Exception as failure:  # noqa: BLE001 - every API answer is JSON, a 500 too
        return unexpected(request, failure)
    return JsonResponse({**json.loads(answered.content), "run": run})


@endpoint("POST", rate=limits.WHATIF, needs={"POST": Role.VIEW})  # changes nothing: a viewer may ask
def _whatif_prediction(request: HttpRequest, sim_id: int) -> JsonResponse:
    """The what-if's checks and prediction; the check's arguments, if asked for, are left on
    the request for `simulation_whatif` to await."""
    body = json_body(request, MAX_MANIFEST_BODY_BYTES)
    unknown = sorted(set(body) - {"yaml", "run"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])
    answer, request.whatif_check = whatif.prediction(simulation_id=sim_id, yaml_text=body.get("yaml"),
                                                     run=body.get("run", True))
    return JsonResponse(answer)


# ---------------------------------------------------------------- commands


@endpoint("POST", rate=limits.COMMANDS)
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
    revision = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
    if raw and revision is None:
        raise InvalidInput("revision: must be a revision number (a non-negative integer)",
                           field="revision")
    return JsonResponse(history.deployment_history(simulation_id=sim_id, deployment=deployment,
                                                   revision=revision))


@endpoint("GET")
def simulation_timeline(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/timeline?since=&until=: recorded commands and deltas."""
    return JsonResponse(history.timeline_between(
        simulation_id=sim_id, since=_optional_number(request, "since"),
        until=_optional_number(request, "until")))


@endpoint("GET")
def simulation_history_json(request: HttpRequest, sim_id: int) -> StreamingHttpResponse:
    """GET simulations/<id>/history.json: the whole recorded history, streamed as one JSON document."""
    pieces = history.recorded_history(simulation_id=sim_id)
    # Under ASGI Django would read a plain iterator to the end before sending a byte (all of
    # a record that can be hundreds of megabytes in memory), so it gets an async one. Each
    # page is read in the request's own thread (thread-sensitive: the database connection
    # stays with it) and that thread is let go between pages, so a slow download holds no
    # thread and no database transaction while it waits for the client.
    if isinstance(request, ASGIRequest):
        pieces = _one_at_a_time_in_thread(pieces)
    response = StreamingHttpResponse(pieces, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="simulation-{sim_id}-history.json"'
    return response


async def _one_at_a_time_in_thread(pieces: Iterator[str]) -> AsyncIterator[str]:
    """The pieces of a sync iterator, each produced by a short call in a worker thread."""
    produce = sync_to_async(next, thread_sensitive=True)
    while (piece := await produce(pieces, None)) is not None:
        yield piece


@endpoint("GET")
def simulation_kubectl(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/kubectl?args=get+pods: a read-only kubectl text view (``&t=``/``&seq=``: at that moment)."""
    return JsonResponse({"text": kubectl.kubectl_view(simulation_id=sim_id, args=request.GET.get("args", ""),
                                                      seq=_rewound(sim_id, request.GET))})


@endpoint("GET")
def simulation_objects(request: HttpRequest, sim_id: int, resource: str, name: str | None = None) -> HttpResponse:
    """GET simulations/<id>/objects/<resource>/[<name>]: whole objects, as `kubectl get -o yaml` shows them."""
    return HttpResponse(objects.objects_text(simulation_id=sim_id, resource=resource, name=name),
                        content_type="application/json")


@endpoint("GET")
def simulation_explanations(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/explanations: why each Deployment's controller acts or waits,
    the running countdowns and the learner's notes, now (``?t=``/``?seq=``: at that moment)."""
    return JsonResponse(explanations.explanations(simulation_id=sim_id, seq=_rewound(sim_id, request.GET)))


def _rewound(sim_id: int, query) -> int | None:
    """The past seq a read's ``t`` or ``seq`` names (`rewind.resolve`), or None: now."""
    if query.get("t") is None and query.get("seq") is None:
        return None
    t, seq = rewind.parse_moment(t=query.get("t"), seq=query.get("seq"))
    return rewind.resolve(sim_id, t=t, seq=seq)


# ---------------------------------------------------------------- sharing


@endpoint("POST", rate=limits.CREATIONS, needs={"POST": Role.VIEW})
def simulation_copy(request: HttpRequest, sim_id: int) -> JsonResponse:
    """POST simulations/<id>/copy ``{"t"?: seconds, "seq"?: n}``: a paused copy with its history, owned
    by the caller (201); with ``t`` or ``seq``, as it was at that moment (`rewind.copy_at`)."""
    body = json_body(request)
    unknown = sorted(set(body) - {"t", "seq"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])
    owner = _owner(request)
    if body:
        t, seq = rewind.parse_moment(t=body.get("t"), seq=body.get("seq"))
        copied = rewind.copy_at(simulation_id=sim_id, seq=rewind.resolve(sim_id, t=t, seq=seq), **owner)
        copy = simulations.simulation_get(simulation_id=copied)
    else:
        copy = copies.simulation_copy(simulation_id=sim_id, **owner)
    return JsonResponse(simulations.simulation_summary(copy, Role.OWNER), status=201)


@endpoint("GET", "POST", rate=limits.COMMANDS, needs={"GET": Role.OWNER, "POST": Role.OWNER})
def simulation_links(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/links: the share links; POST ``{"role", "label"?}``: a new one (201)."""
    if request.method == "GET":
        return JsonResponse([_link(request, link) for link in links.link_list(simulation_id=sim_id)], safe=False)
    body = json_body(request)
    unknown = sorted(set(body) - {"role", "label"})
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])
    link = links.link_create(simulation_id=sim_id, role=body.get("role"), label=body.get("label", ""))
    return JsonResponse(_link(request, link), status=201)


@endpoint("DELETE", rate=limits.COMMANDS, needs={"DELETE": Role.OWNER})
def simulation_link(request: HttpRequest, sim_id: int, token: str) -> HttpResponse:
    """DELETE simulations/<id>/links/<token>: revoke it; its grants end, its sockets close (204)."""
    links.link_revoke(simulation_id=sim_id, token=token)
    return HttpResponse(status=204)


@endpoint("GET")
def simulation_kubeconfig(request: HttpRequest, sim_id: int) -> HttpResponse:
    """GET simulations/<id>/kubeconfig: a kubeconfig (YAML) for kubectl with a new link of the
    caller's role labelled "kubeconfig" (as many links are made as files downloaded: rate-limited)."""
    limits.charge(limits.CREATIONS, limits.subjects(request))
    text = kubeconfig.kubeconfig(simulation_id=sim_id, role=request.role, request_host=request.get_host())
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kubeconfig.context_name(sim_id)}.kubeconfig"'
    return response


@endpoint("GET", "POST", rate=limits.COMMANDS)
def simulation_lesson(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/lesson: ``{"step", "steps"}``, the tutorial step every page shows;
    POST ``{"step": n}`` (edit role) moves it there and tells every viewer."""
    if request.method == "GET":
        return JsonResponse(lesson.lesson_get(simulation_id=sim_id))
    return JsonResponse(lesson.lesson_set(simulation_id=sim_id, step=json_body(request).get("step")))


@endpoint("POST", needs={"POST": Role.VIEW})  # reads only: whether the command would be refused
def simulation_command_check(request: HttpRequest, sim_id: int, name: str) -> JsonResponse:
    """POST simulations/<id>/commands/<name>/check with the command's body: ``{"refusal"}``,
    kubectl's words if the cluster would refuse it now, else null; nothing runs."""
    return JsonResponse({"refusal": named_commands.named_command_refusal(
        simulation_id=sim_id, name=name, args=json_body(request))})


def _link(request: HttpRequest, link: Link) -> dict:
    return {"token": link.token, "url": request.build_absolute_uri(links.link_path(link)), "role": link.role,
            "label": link.label, "created": link.created.isoformat()}


@endpoint(*ALL_METHODS)
def no_route(request: HttpRequest) -> JsonResponse:
    """Any /api/ address no endpoint answers: 404 in the API's shape, whatever DEBUG says."""
    return handler404(request)


def csrf_failure(request: HttpRequest, reason: str = ""):
    """CSRF rejections: JSON under /api/, Django's page elsewhere."""
    if is_api(request):
        return errors_response([error(f"CSRF verification failed: {reason}")], 403)
    return default_csrf_failure(request, reason=reason)
