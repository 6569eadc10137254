"""The HTML pages: thin views that render templates; the page reads /api/ and the socket."""
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from simulator.kubelet.images import BUILTIN_IMAGES, IMAGE_BEHAVIOR_API_VERSION, IMAGE_BEHAVIOR_KIND

# The clock speeds offered (sim-seconds per second), as the issue lists them.
SPEEDS = (0.5, 1, 2, 5, 10, 50)


def image_catalogue() -> list[dict]:
    """The built-in images for the side panel: name, what it does, whether its pull fails."""
    return [
        {"image": image, "description": behavior.description, "pull_fails": behavior.pull_failure is not None}
        for image, behavior in sorted(BUILTIN_IMAGES.items())
    ]


@ensure_csrf_cookie
def home(request):
    """The simulations list with "New from demo" and "New empty"."""
    return render(request, "rolloutviz/home.html")


@ensure_csrf_cookie
def simulation(request, sim_id: int):
    """The dashboard of one simulation (editor, timeline, chart, status, actions)."""
    return render(request, "rolloutviz/simulation.html", {
        "sim_id": sim_id,
        "speeds": SPEEDS,
        "images": image_catalogue(),
        "behavior_api_version": IMAGE_BEHAVIOR_API_VERSION,
        "behavior_kind": IMAGE_BEHAVIOR_KIND,
    })
