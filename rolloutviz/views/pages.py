"""The HTML pages: thin views that render templates; the page reads /api/ and the socket.

A page address may carry a link's ``?token=``: opening it grants the link's role to the
session (`services.links.link_open`), then the page reloads without it, so the token does not
stay in the address bar, the history or a Referer.
"""
from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from rolloutviz import permissions
from rolloutviz.services import links
from rolloutviz.services.comparison_members import membership

from simulator.kubelet.images import BUILTIN_IMAGES, IMAGE_BEHAVIOR_API_VERSION, IMAGE_BEHAVIOR_KIND

# The clock speeds offered (sim-seconds per second), as the issue lists them.
SPEEDS = (0.5, 1, 2, 5, 10, 50)


def _principal(request) -> permissions.Principal:
    return permissions.principal(session=request.session, user=request.user)


def _opened(request, sim_id: int | None):
    """A link's URL was opened: grant its role and show the page without the token."""
    if links.link_open(request.session, request.GET["token"], sim_id) is None:
        return render(request, "rolloutviz/not_found.html", {"what": "this link (it may have been revoked)"},
                      status=404)
    return HttpResponseRedirect(request.path)


def image_catalogue() -> list[dict]:
    """The built-in images for the side panel: name, what it does, whether its pull fails."""
    return [
        {"image": image, "description": behavior.description, "pull_fails": behavior.pull_failure is not None}
        for image, behavior in sorted(BUILTIN_IMAGES.items())
    ]


@ensure_csrf_cookie
def home(request):
    """The caller's simulations, those shared with them and the class demos; "New from demo" and "New empty"."""
    if "token" in request.GET:
        return _opened(request, None)
    who = _principal(request)
    may_create = not settings.REQUIRE_LOGIN or who.user_id is not None or who.operator
    return render(request, "rolloutviz/home.html", {"operator": who.operator, "may_create": may_create})


@ensure_csrf_cookie
def simulation(request, sim_id: int):
    """The dashboard of one simulation (editor, timeline, chart, status, actions), as the caller's role allows."""
    if "token" in request.GET:
        return _opened(request, sim_id)
    sim, role = permissions.role_by_id(_principal(request), sim_id)
    if role is None:  # a stranger learns nothing, not even whether it exists
        return render(request, "rolloutviz/not_found.html", {"what": f"simulation {sim_id}"}, status=404)
    return render(request, "rolloutviz/simulation.html", {
        "sim_id": sim_id,
        "sim_name": sim.name,
        "role": role.name.lower(),
        "role_title": role.title,
        "speeds": SPEEDS,
        "images": image_catalogue(),
        "behavior_api_version": IMAGE_BEHAVIOR_API_VERSION,
        "behavior_kind": IMAGE_BEHAVIOR_KIND,
        "membership": membership(sim_id),
    })
