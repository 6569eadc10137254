"""Top-level URL routes: the JSON API under /api/, the simulations' Kubernetes API under /k8s/,
the admin, and the pages; and the error handlers, which answer JSON under /api/ and a Kubernetes
Status under /k8s/ (`rolloutviz.views.errors`)."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from rolloutviz.views import accounts, api, comparisons, reads, rewind, sharing

api_patterns = [
    path("demos/", api.demo_list, name="demos"),
    path("simulations/", api.simulation_collection, name="simulations"),
    path("simulations/<int:sim_id>/", api.simulation_detail, name="simulation"),
    path("simulations/<int:sim_id>/apply", api.simulation_apply, name="apply"),
    path("simulations/<int:sim_id>/diff", api.simulation_diff, name="diff"),
    path("simulations/<int:sim_id>/whatif", api.simulation_whatif, name="whatif"),
    path("simulations/<int:sim_id>/commands/<str:name>", api.simulation_command, name="command"),
    path("simulations/<int:sim_id>/history/<str:deployment>/", api.simulation_history,
         name="history"),
    path("simulations/<int:sim_id>/timeline", api.simulation_timeline, name="timeline"),
    path("simulations/<int:sim_id>/history.json", api.simulation_history_json, name="history-json"),
    path("simulations/<int:sim_id>/kubectl", reads.simulation_kubectl, name="kubectl"),
    path("simulations/<int:sim_id>/objects/<str:resource>/", api.simulation_objects, name="objects"),
    path("simulations/<int:sim_id>/objects/<str:resource>/<str:name>", api.simulation_objects, name="object"),
    path("simulations/<int:sim_id>/explanations", reads.simulation_explanations, name="explanations"),
    path("simulations/<int:sim_id>/lesson", api.simulation_lesson, name="lesson"),
    path("simulations/<int:sim_id>/commands/<str:name>/check", api.simulation_command_check, name="command-check"),
    path("simulations/<int:sim_id>/copy", rewind.simulation_copy, name="copy"),
    path("simulations/<int:sim_id>/links", api.simulation_links, name="links"),
    path("simulations/<int:sim_id>/links/<str:token>", api.simulation_link, name="link"),
    path("simulations/<int:sim_id>/kubeconfig", api.simulation_kubeconfig, name="kubeconfig"),
    path("simulations/<int:sim_id>/state", rewind.simulation_state, name="state"),
    path("simulations/<int:sim_id>/deltas", rewind.simulation_deltas, name="deltas"),
    path("simulations/<int:sim_id>/variants", comparisons.simulation_variants, name="variants"),
    path("comparisons/", comparisons.comparison_collection, name="comparisons"),
    path("comparisons/<int:comparison_id>/", comparisons.comparison_detail, name="comparison"),
    path("comparisons/<int:comparison_id>/links", comparisons.comparison_links, name="comparison-links"),
    path("comparisons/<int:comparison_id>/clock", comparisons.comparison_clock_set, name="comparison-clock"),
    path("comparisons/<int:comparison_id>/step", comparisons.comparison_step, name="comparison-step"),
    path("comparisons/<int:comparison_id>/commands/<str:name>", comparisons.comparison_command,
         name="comparison-command"),
    # share and export (scenario files, event logs, transcripts): views/sharing.py
    path("simulations/import", sharing.simulation_import, name="import"),
    path("simulations/<int:sim_id>/export", sharing.simulation_export, name="export"),
    path("simulations/<int:sim_id>/events", sharing.simulation_events, name="events"),
    path("simulations/<int:sim_id>/transcript", sharing.simulation_transcript, name="transcript"),
    # Last: every other /api/ address answers 404 as JSON, whatever DEBUG says.
    re_path(r"", api.no_route, name="no-route"),
]

urlpatterns = [
    path("api/", include((api_patterns, "api"))),
    path("k8s/", include("rolloutviz.kubernetes_urls")),
    path("admin/", admin.site.urls),
    # sign in / out for presenters (accounts are made by the operator in the admin)
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("rolloutviz.page_urls")),
]

handler400 = "rolloutviz.views.errors.handler400"
handler403 = "rolloutviz.views.errors.handler403"
handler404 = "rolloutviz.views.errors.handler404"
handler500 = "rolloutviz.views.errors.handler500"
