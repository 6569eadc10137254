"""Django app configuration for rolloutviz."""
from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


def _adopt_on_login(sender, request, user, **kwargs) -> None:
    """A presenter who signs in keeps what their browser made: it becomes their account's."""
    from rolloutviz import permissions

    if request is not None:
        permissions.adopt(request.session, user)


class RolloutvizConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rolloutviz"
    verbose_name = "rolloutviz"

    def ready(self) -> None:
        user_logged_in.connect(_adopt_on_login, dispatch_uid="rolloutviz-adopt-on-login")
