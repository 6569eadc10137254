"""Sign in and out for presenters (accounts are made by the operator in the admin): Django's
views, with login attempts counted by the one limiter as the admin's are."""
from django.contrib.auth import views as auth_views

from rolloutviz import limits


class LoginView(auth_views.LoginView):
    """Django's login (it rotates the session key; `permissions` keeps the session's simulations)."""

    def post(self, request, *args, **kwargs):
        return limits.login_refused(request) or super().post(request, *args, **kwargs)
