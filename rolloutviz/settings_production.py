"""The production profile: the base settings (`rolloutviz.settings`, read from the
environment as documented there) made safe to serve beyond loopback, behind a proxy that
terminates TLS (nginx). Select it with ``DJANGO_SETTINGS_MODULE=rolloutviz.settings_production``;
``manage.py check --deploy`` is clean with it (`tests/rolloutviz/test_security.py`).

What it changes, and what it needs:

DJANGO_SECRET_KEY       required (there is no development fallback here); 50+ random characters
DJANGO_ALLOWED_HOSTS    required: the public host name(s)
DEBUG                   always off, whatever DJANGO_DEBUG says
HTTPS                   the proxy must set ``X-Forwarded-Proto`` (overwriting the client's):
                        `SECURE_PROXY_SSL_HEADER` trusts it; HTTP is redirected to HTTPS
                        (DJANGO_SSL_REDIRECT=0 leaves that to the proxy); session and CSRF
                        cookies are Secure; the session cookie is HttpOnly (the page reads only
                        the CSRF cookie, so that one is not)
HSTS                    DJANGO_HSTS_SECONDS (default one year; 0 turns it off),
                        DJANGO_HSTS_INCLUDE_SUBDOMAINS (default on), DJANGO_HSTS_PRELOAD (default off)
TRUSTED_PROXIES         default loopback (nginx on the same machine): their ``X-Forwarded-For``
                        names the client for the per-address limits (`rolloutviz.limits`)
"""
import os

from django.core.exceptions import ImproperlyConfigured

from rolloutviz.settings import *  # noqa: F403 - the profile extends the base settings
from rolloutviz.settings import LOOPBACK_NETWORKS, env_bool, env_int, env_networks

if not os.environ.get("DJANGO_SECRET_KEY", "").strip():
    raise ImproperlyConfigured("rolloutviz.settings_production needs DJANGO_SECRET_KEY")
if not os.environ.get("DJANGO_ALLOWED_HOSTS", "").strip():
    raise ImproperlyConfigured("rolloutviz.settings_production needs DJANGO_ALLOWED_HOSTS (the public host names)")

DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Asking browsers to hard-code HTTPS for a domain (hstspreload.org) is the domain owner's
    # decision and hard to undo; the app does not take it for them.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", LOOPBACK_NETWORKS)
