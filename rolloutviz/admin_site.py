"""The admin site: Django's, behind its staff login, with login attempts counted by the one
limiter (`rolloutviz.limits.LOGINS`, per session and per client address), so the operator's
password cannot be guessed at the server's speed. Installed as the default admin site by
`rolloutviz.apps.AdminConfig` (in ``INSTALLED_APPS`` instead of ``django.contrib.admin``), so
``admin.site`` and the models' registrations in `rolloutviz.admin` are unchanged."""
from django.contrib import admin

from rolloutviz import limits


class AdminSite(admin.AdminSite):
    """Django's admin site with rate-limited login attempts (429 with ``Retry-After``)."""

    site_header = "rolloutviz administration"
    site_title = "rolloutviz admin"

    def login(self, request, extra_context=None):
        return limits.login_refused(request) or super().login(request, extra_context)
