"""The HTML pages: thin views that render templates; the page reads /api/ and the socket."""
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

# The clock speeds offered (sim-seconds per second), as the issue lists them.
SPEEDS = (0.5, 1, 2, 5, 10, 50)


@ensure_csrf_cookie
def home(request):
    """The simulations list with "New from demo" and "New empty"."""
    return render(request, "rolloutviz/home.html")


@ensure_csrf_cookie
def simulation(request, sim_id: int):
    """The dashboard of one simulation (editor, timeline, chart, status, actions)."""
    return render(request, "rolloutviz/simulation.html", {"sim_id": sim_id, "speeds": SPEEDS})
