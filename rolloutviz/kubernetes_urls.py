"""URL routes of the simulations' Kubernetes API: everything under ``/k8s/simulations/<id>``
goes to one view, which reads the rest of the path as the API server does; any other address
under ``/k8s/`` is a 404 Status."""
from django.urls import re_path

from rolloutviz.views import kubernetes

urlpatterns = [
    re_path(r"^simulations/(?P<sim_id>[0-9]{1,18})(?P<path>/.*)?$", kubernetes.dispatch, name="kubernetes"),
    re_path(r"", kubernetes.no_route, name="kubernetes-no-route"),
]
