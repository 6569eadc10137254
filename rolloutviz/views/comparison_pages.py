"""The comparison page (`/compare/<id>/`): a thin view that renders it for the caller's role; the
page reads /api/comparisons/ and each member's socket."""
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from rolloutviz import permissions
from rolloutviz.models import ComparisonMember
from rolloutviz.views.pages import SPEEDS, _principal


@ensure_csrf_cookie
def comparison(request, comparison_id: int):
    """The members side by side, the summary table and the group's clock and commands."""
    found, role = permissions.comparison_role_by_id(_principal(request), comparison_id)
    if role is None:  # a stranger learns nothing, not even whether it exists
        return render(request, "rolloutviz/not_found.html", {"what": f"comparison {comparison_id}"}, status=404)
    first = ComparisonMember.objects.filter(comparison=found).order_by("position").first()
    return render(request, "rolloutviz/compare.html", {
        "comparison_id": comparison_id, "name": found.name, "role": role.name.lower(), "role_title": role.title,
        "speeds": SPEEDS, "deployment": first.deployment if first else "", "container": "",
    })
