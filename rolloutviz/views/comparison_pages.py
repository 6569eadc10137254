"""The comparison page (`/compare/<id>/`): a thin view that renders it for the caller's role; the
page reads /api/comparisons/ and each member's socket."""
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from rolloutviz import permissions
from rolloutviz.models import ComparisonMember
from rolloutviz.services import comparisons
from rolloutviz.views.pages import SPEEDS, _principal


@ensure_csrf_cookie
def comparison(request, comparison_id: int):
    """The members side by side, the summary table and the group's clock and commands.

    With ``?token=…`` (one per member: a comparison's link) the links' roles are granted first and
    the page reloads without them."""
    if "token" in request.GET:
        if not comparisons.comparison_links_open(request.session, comparison_id, request.GET.getlist("token")):
            return render(request, "rolloutviz/not_found.html", {"what": "this link (it may have been revoked)"},
                          status=404)
        return HttpResponseRedirect(request.path)
    found, role = permissions.comparison_role_by_id(_principal(request), comparison_id)
    if role is None:  # a stranger learns nothing, not even whether it exists
        return render(request, "rolloutviz/not_found.html", {"what": f"comparison {comparison_id}"}, status=404)
    first = ComparisonMember.objects.filter(comparison=found).order_by("position").first()
    return render(request, "rolloutviz/compare.html", {
        "comparison_id": comparison_id, "name": found.name, "role": role.name.lower(), "role_title": role.title,
        "speeds": SPEEDS, "deployment": first.deployment if first else "", "container": "",
    })
