"""URL routes of the HTML pages."""
from django.urls import path

from rolloutviz.views import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("simulations/<int:sim_id>/", pages.simulation, name="simulation"),
]
