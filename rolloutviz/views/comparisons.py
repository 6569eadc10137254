"""The comparisons' JSON API (contracts.md §2): thin views over `services.comparisons` and
`services.comparison_clock`, with the checks of `views.api.endpoint` (a comparison's role from
`permissions.comparison_role`)."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from rolloutviz import limits
from rolloutviz.permissions import Role
from rolloutviz.services import comparison_clock, comparisons, variant_presets
from rolloutviz.services.errors import InvalidInput
from rolloutviz.views.api import _owner, endpoint
from rolloutviz.views.request_body import MAX_BODY_BYTES, MAX_MANIFEST_BODY_BYTES, json_body


def _only(body: dict, allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput(f"{unknown[0]}: unknown field", field=unknown[0])


@endpoint("GET", "POST", rate=limits.CREATIONS)
def comparison_collection(request: HttpRequest) -> JsonResponse:
    """GET comparisons/: the caller's; POST ``{"base" | "demo", "variants": [{"label"?, "yaml"}], "name"?}`` (201)."""
    if request.method == "GET":
        return JsonResponse(comparisons.comparison_list(request.principal), safe=False)
    body = json_body(request, MAX_MANIFEST_BODY_BYTES)
    _only(body, {"base", "demo", "variants", "name"})
    comparison = comparisons.comparison_create(
        who=request.principal, variants=body.get("variants"), base=body.get("base"), demo=body.get("demo"),
        name=body.get("name", ""), **_owner(request))
    creator = Role.OPERATOR if request.principal.operator else Role.OWNER
    return JsonResponse(comparisons.comparison_detail(comparison_id=comparison.pk, role=creator), status=201)


@endpoint("GET", "DELETE", rate=limits.COMMANDS, needs={"DELETE": Role.OWNER})
def comparison_detail(request: HttpRequest, comparison_id: int):
    """GET comparisons/<id>/: its clock, members and figures; DELETE: it and its members (204)."""
    if request.method == "DELETE":
        comparisons.comparison_delete(comparison_id=comparison_id)
        return HttpResponse(status=204)
    return JsonResponse(comparisons.comparison_detail(comparison_id=comparison_id, role=request.role))


@endpoint("POST", rate=limits.COMMANDS, needs={"POST": Role.OWNER})
def comparison_links(request: HttpRequest, comparison_id: int) -> JsonResponse:
    """POST comparisons/<id>/links ``{"role"}``: a link per member; 201 ``{"url", "role", "tokens"}``,
    the page's address that opens them all (revoking any member's link ends its grant)."""
    body = json_body(request)
    _only(body, {"role"})
    tokens = comparisons.comparison_links_create(comparison_id=comparison_id, role=body.get("role"))
    url = request.build_absolute_uri(comparisons.comparison_link_path(comparison_id, tokens))
    return JsonResponse({"url": url, "role": body.get("role"), "tokens": tokens}, status=201)


@endpoint("POST", rate=limits.COMMANDS)
def comparison_clock_set(request: HttpRequest, comparison_id: int) -> JsonResponse:
    """POST comparisons/<id>/clock ``{"running"?, "speed"?}``: play, pause, speed for every member."""
    body = json_body(request)
    _only(body, {"running", "speed"})
    return JsonResponse(comparison_clock.clock_set(comparison_id=comparison_id, running=body.get("running"),
                                                   speed=body.get("speed")))


@endpoint("POST", rate=limits.COMMANDS)
def comparison_step(request: HttpRequest, comparison_id: int) -> JsonResponse:
    """POST comparisons/<id>/step ``{"count"?}``: every member ``count`` ticks on, together."""
    body = json_body(request)
    _only(body, {"count"})
    return JsonResponse(comparison_clock.clock_step(comparison_id=comparison_id, count=body.get("count", 1)))


@endpoint("POST", rate=limits.COMMANDS)
def comparison_command(request: HttpRequest, comparison_id: int, name: str) -> JsonResponse:
    """POST comparisons/<id>/commands/<name>: on every member at one instant; 200 when run, 202 when queued."""
    body = json_body(request, MAX_MANIFEST_BODY_BYTES if name == "apply" else MAX_BODY_BYTES)
    answer = comparison_clock.group_command(comparison_id=comparison_id, name=name, args=body)
    return JsonResponse(answer, status=200 if answer["done"] else 202)


@endpoint("GET")
def simulation_variants(request: HttpRequest, sim_id: int) -> JsonResponse:
    """GET simulations/<id>/variants: the presets of a comparison made from this simulation, each with its YAML."""
    return JsonResponse(variant_presets.variants_of(simulation_id=sim_id), safe=False)
