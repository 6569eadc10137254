"""URL routes of the HTML pages."""
from django.urls import path

from rolloutviz.views import comparison_pages, pages, sharing

urlpatterns = [
    path("", pages.home, name="home"),
    path("simulations/<int:sim_id>/", pages.simulation, name="simulation"),
    path("compare/<int:comparison_id>/", comparison_pages.comparison, name="comparison"),
    path("embed/<str:token>/", sharing.embed, name="embed"),
]
