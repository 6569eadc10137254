"""Django app configuration for rolloutviz."""
from django.apps import AppConfig


class RolloutvizConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rolloutviz"
    verbose_name = "rolloutviz"
