"""The middleware stack run on Daphne's event loop: Django's (and django-csp's) hooks called in
place, a thread only for a hook that will touch the database; `Handler`, the ASGI handler that
runs them in place of the Django classes ``MIDDLEWARE`` names.

Under ASGI, Django's `MiddlewareMixin` runs every ``process_request``, ``process_view`` and
``process_response`` through ``sync_to_async``: with our nine middleware that was about fifteen
hops between the event loop and the request's thread for each request, each a wait for the
scheduler on a busy machine. The hooks below only read headers and cookies and set attributes
(the session and the user are lazy: whoever reads them first, a view in a thread, loads them);
the two that may write are moved to a thread exactly when they will: the session's save and the
messages' store. Nothing else in them may block, and Django's ``async_unsafe`` guard turns any
database query made on the event loop into an error (tests/rolloutviz/test_reads.py runs the
stack with that guard on). ``MIDDLEWARE`` keeps naming Django's classes, because Django's deploy
checks look for those very names (HSTS, secure cookies, CSRF); these are subclasses, so what the
checks conclude stays true. Under WSGI (and Django's test clients) Django's own classes run.
"""
from __future__ import annotations

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.asgi import ASGIHandler
from django.middleware import clickjacking, common, csrf, security


class OnTheLoop:
    """Mixed in before a `MiddlewareMixin` subclass: in async mode its hooks run on the event loop,
    ``process_response`` in a thread when `response_needs_thread` says so."""

    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        if self.async_mode and hasattr(self, "process_view"):
            # Django adapts a sync process_view with sync_to_async; a coroutine it awaits as is.
            view_hook = self.process_view

            async def process_view(request, callback, callback_args, callback_kwargs):
                return view_hook(request, callback, callback_args, callback_kwargs)

            self.process_view = process_view

    def response_needs_thread(self, request, response) -> bool:
        """Whether ``process_response`` will touch the database for this request (default: never)."""
        return False

    async def __acall__(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            if self.response_needs_thread(request, response):
                response = await sync_to_async(self.process_response, thread_sensitive=True)(request, response)
            else:
                response = self.process_response(request, response)
        return response


class SecurityMiddleware(OnTheLoop, security.SecurityMiddleware):
    """Django's: headers only."""


class CommonMiddleware(OnTheLoop, common.CommonMiddleware):
    """Django's: the slash redirect resolves URLs, no database."""


class CsrfViewMiddleware(OnTheLoop, csrf.CsrfViewMiddleware):
    """Django's: the token lives in a cookie (``CSRF_USE_SESSIONS`` would read the session)."""

    def __init__(self, get_response) -> None:
        if settings.CSRF_USE_SESSIONS:
            raise ImproperlyConfigured("rolloutviz.middleware.CsrfViewMiddleware runs on the event loop: "
                                       "CSRF_USE_SESSIONS must stay off")
        super().__init__(get_response)


class SessionMiddleware(OnTheLoop, sessions.SessionMiddleware):
    """Django's: the session is loaded by whoever reads it; saving it (a modified session) takes a thread."""

    def response_needs_thread(self, request, response) -> bool:
        session = getattr(request, "session", None)
        if session is None:
            return False
        return (session.modified or settings.SESSION_SAVE_EVERY_REQUEST) and not session.is_empty()


class AuthenticationMiddleware(OnTheLoop, auth.AuthenticationMiddleware):
    """Django's: ``request.user`` is lazy."""


class MessageMiddleware(OnTheLoop, messages.MessageMiddleware):
    """Django's: storing messages that were read or added may read the session, so takes a thread."""

    def response_needs_thread(self, request, response) -> bool:
        storage = getattr(request, "_messages", None)
        return storage is not None and (storage.used or storage.added_new)


class XFrameOptionsMiddleware(OnTheLoop, clickjacking.XFrameOptionsMiddleware):
    """Django's: one header."""


# Django's middleware in ``MIDDLEWARE`` → the equivalent `Handler` runs.
ON_THE_LOOP = {
    "django.middleware.security.SecurityMiddleware": f"{__name__}.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware": f"{__name__}.SessionMiddleware",
    "django.middleware.common.CommonMiddleware": f"{__name__}.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware": f"{__name__}.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware": f"{__name__}.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware": f"{__name__}.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": f"{__name__}.XFrameOptionsMiddleware",
}


class Handler(ASGIHandler):
    """Django's ASGI handler, with the middleware of `ON_THE_LOOP` run on the event loop."""

    def load_middleware(self, is_async: bool = False) -> None:
        named = settings.MIDDLEWARE
        settings.MIDDLEWARE = [ON_THE_LOOP.get(path, path) for path in named]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = named
