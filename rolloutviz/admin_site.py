"""The admin site: Django's, behind its staff login, with login attempts counted by the one
limiter (`rolloutviz.limits.LOGINS`, per session and per client address), so the operator's
password cannot be guessed at the server's speed. Installed as the default admin site by
`rolloutviz.apps.AdminConfig` (in ``INSTALLED_APPS`` instead of ``django.contrib.admin``), so
``admin.site`` and the models' registrations in `rolloutviz.admin` are unchanged."""
from django.contrib import admin
from django.http import HttpResponse

from rolloutviz import limits


class AdminSite(admin.AdminSite):
    """Django's admin site with rate-limited login attempts (429 with ``Retry-After``)."""

    site_header = "rolloutviz administration"
    site_title = "rolloutviz admin"

    def login(self, request, extra_context=None):
        if request.method == "POST":
            try:
                limits.charge(limits.LOGINS, limits.subjects(request))
            except limits.Limited as refusal:
                response = HttpResponse(refusal.message, status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(refusal.retry_after)
                return response
        return super().login(request, extra_context)
