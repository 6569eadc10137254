"""Top-level URL routes: the JSON API under /api/, the admin, and the pages."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("rolloutviz.page_urls")),
]
