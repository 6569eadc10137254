"""Django app configuration for rolloutviz, and the admin's (whose site is ours)."""
from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class RolloutvizConfig(AppConfig):
    default = True  # this module holds two configs: "rolloutviz" in INSTALLED_APPS means this one
    default_auto_field = "django.db.models.BigAutoField"
    name = "rolloutviz"
    verbose_name = "rolloutviz"


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with `rolloutviz.admin_site.AdminSite` as ``admin.site``."""

    default = False
    default_site = "rolloutviz.admin_site.AdminSite"
