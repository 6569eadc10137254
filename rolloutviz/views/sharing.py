"""Share and export: the scenario file (export, import), the event log and the `kubectl get pods -w`
transcript as downloads, and the read-only embeddable player (`/embed/<token>/`). Thin views; the
use cases are `services.scenarios` and `services.transcripts`."""
from __future__ import annotations

import json

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt

from rolloutviz import limits, permissions
from rolloutviz.permissions import Role
from rolloutviz.services import scenarios, simulations, transcripts
from rolloutviz.services.scenario_file import max_bytes
from rolloutviz.views.api import _one_at_a_time_in_thread, _owner, endpoint
from rolloutviz.views.request_body import json_body


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _streamed(request: HttpRequest, pieces, content_type: str) -> StreamingHttpResponse:
    """Pieces sent as they are made, each made in a short call (`views.api.simulation_history_json`)."""
    return StreamingHttpResponse(_one_at_a_time_in_thread(pieces) if isinstance(request, ASGIRequest) else pieces,
                                 content_type=content_type)


@endpoint("GET")
def simulation_export(request: HttpRequest, sim_id: int) -> HttpResponse:
    """GET simulations/<id>/export: the scenario file that reproduces the simulation (a download)."""
    document = scenarios.scenario_export(simulation_id=sim_id)
    response = HttpResponse(json.dumps(document, indent=1), content_type="application/json")
    return _attachment(response, f"scenario-{sim_id}.json")


@endpoint("POST", rate=limits.CREATIONS)
def simulation_import(request: HttpRequest) -> JsonResponse:
    """POST simulations/import (a scenario file as the body): a new simulation replaying it, owned by
    the caller, paused at the file's position (201), or 400 with field paths and nothing created."""
    owner = _owner(request)
    document = json_body(request, max_bytes())
    sim = scenarios.scenario_import(document=document, **owner)
    return JsonResponse(simulations.simulation_summary(sim, Role.OWNER), status=201)


@endpoint("GET")
def simulation_events(request: HttpRequest, sim_id: int) -> StreamingHttpResponse:
    """GET simulations/<id>/events[?format=csv]: the event log since the last reset, JSON or CSV."""
    if request.GET.get("format", "json") == "csv":
        response = _streamed(request, transcripts.events_csv(simulation_id=sim_id), "text/csv; charset=utf-8")
        return _attachment(response, f"simulation-{sim_id}-events.csv")
    response = _streamed(request, transcripts.events_json(simulation_id=sim_id), "application/json")
    return _attachment(response, f"simulation-{sim_id}-events.json")


@endpoint("GET")
def simulation_transcript(request: HttpRequest, sim_id: int) -> StreamingHttpResponse:
    """GET simulations/<id>/transcript?resource=pods: `kubectl get pods -w` over the recorded history."""
    resource = request.GET.get("resource", "pods")
    pieces = transcripts.pods_watch(simulation_id=sim_id, resource=resource)
    first = next(pieces, "")  # the checks run now: a bad resource answers 400, not a broken stream
    response = _streamed(request, _prepend(first, pieces), "text/plain; charset=utf-8")
    return _attachment(response, f"simulation-{sim_id}-{resource}-watch.txt")


def _prepend(first: str, rest):
    yield first
    yield from rest


# ---------------------------------------------------------------- the embeddable player


@xframe_options_exempt
def embed(request: HttpRequest, token: str):
    """GET /embed/<token>/: the read-only player of a view link's simulation (for an iframe on slides
    and course pages). The page reads with the token as a bearer token (an iframe on another site gets
    no session cookie); a revoked or unknown token is 404, as opening the link is."""
    link = permissions.embed_link(token)
    if link is None:
        return render(request, "rolloutviz/not_found.html", {"what": "this link (it may have been revoked)"},
                      status=404)
    response = render(request, "rolloutviz/embed.html", {
        "sim_id": link.simulation_id, "sim_name": link.simulation.name,
    })
    response._csp_replace = {"frame-ancestors": embed_frame_ancestors()}
    return response


def embed_frame_ancestors() -> list[str]:
    """Who may frame the player (setting ``EMBED_FRAME_ANCESTORS``)."""
    return list(getattr(settings, "EMBED_FRAME_ANCESTORS", ["'self'"]))
