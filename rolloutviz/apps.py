"""Django app configuration for rolloutviz, and the admin's (whose site is ours)."""
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.contrib.auth.signals import user_logged_in


def _adopt_on_login(sender, request, user, **kwargs) -> None:
    """A presenter who signs in keeps what their browser made: it becomes their account's."""
    from rolloutviz import permissions

    if request is not None:
        permissions.adopt(request.session, user)


class RolloutvizConfig(AppConfig):
    default = True  # this module holds two configs: "rolloutviz" in INSTALLED_APPS means this one
    default_auto_field = "django.db.models.BigAutoField"
    name = "rolloutviz"
    verbose_name = "rolloutviz"

    def ready(self) -> None:
        user_logged_in.connect(_adopt_on_login, dispatch_uid="rolloutviz-adopt-on-login")


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with `rolloutviz.admin_site.AdminSite` as ``admin.site``."""

    default = False
    default_site = "rolloutviz.admin_site.AdminSite"
