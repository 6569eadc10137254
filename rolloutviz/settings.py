"""Django settings, read from the environment.

The defaults need nothing installed: SQLite in WAL mode, the in-memory channel layer and the
simulation clock inside the Daphne process. Production sets:

DJANGO_DEBUG            "1"/"true" turns debug on (default off)
DJANGO_SECRET_KEY       required when debug is off and the server is not on loopback
DJANGO_ALLOWED_HOSTS    comma-separated host names (default: localhost, 127.0.0.1, [::1])
DJANGO_CSRF_TRUSTED_ORIGINS  comma-separated origins, for a TLS proxy in front
DATABASE_URL            e.g. postgres://user:pw@host/db (default: SQLite file db.sqlite3)
ROLLOUTVIZ_SQLITE       path of the SQLite file when DATABASE_URL is unset (default: db.sqlite3)
REDIS_URL               e.g. redis://127.0.0.1:6379/0 → channels-redis (default: in-memory layer)
CLOCK_MODE              "inprocess" (default: each Daphne runs the clocks it holds the lease for)
                        or "external" (only `manage.py runclock` advances simulations)
LIMIT_COMMANDS_PER_SECOND   state-changing API calls per session and second (default 20; 0: off)
LIMIT_CREATIONS_PER_MINUTE  simulations created per session and minute (default 30; 0: off)
LIMIT_RUNNING_PER_SESSION   running clocks per owning session (default 10; 0: off)
SIM_WORKERS             simulation worker processes per server process (default: the number of
                        cores, at least 2; 0 computes in the server process itself)
SIM_JOB_DEADLINE        seconds one simulation job may run before its worker is replaced (default 30)
SIMULATION_POD_BUDGET   pods one simulation may ask for: Σ replicas + maxSurge (default 5000)
IDLE_STOP_SECONDS       a running clock nobody watches stops after this long (default 600; 0: never)
ROLLOUTVIZ_OPERATOR_TOKEN  a fixed operator token (default: one made once and kept in the database)
ROLLOUTVIZ_REQUIRE_LOGIN   "1"/"true": only signed-in presenters make simulations (default off)
ROLLOUTVIZ_EMBED_FRAME_ANCESTORS  who may frame the read-only player /embed/<token>/: its CSP
                        frame-ancestors sources, space-separated (default 'self')
SCENARIO_MAX_BYTES, SCENARIO_MAX_COMMANDS, SCENARIO_MAX_SECONDS, SCENARIO_MAX_STEPS, SCENARIO_MAX_POD_STEPS
                        what one scenario import reads and replays (2 MiB, 1,000 commands, 3,600
                        simulated seconds, 7,200 steps, 500,000 steps x pods)
LIMIT_PER_ADDRESS       "1"/"true" (default): also count requests per client address (loopback exempt)
LIMIT_ADDRESS_COMMANDS_PER_SECOND   state-changing API calls per address and second (default 200)
LIMIT_ADDRESS_CREATIONS_PER_MINUTE  simulations created per address and minute (default 120)
LIMIT_LOGINS_PER_MINUTE, LIMIT_ADDRESS_LOGINS_PER_MINUTE  login attempts per session / address (10 / 60)
LIMIT_EXEMPT_ADDRESSES  comma-separated addresses/networks never counted per address (default loopback)
LIMIT_WHATIF_PER_MINUTE, LIMIT_ADDRESS_WHATIF_PER_MINUTE  what-if predictions per session / address (120 / 1200)
WHATIF_WALL_SECONDS     wall-time bound of one what-if check (default 5)
TRUSTED_PROXIES         comma-separated proxy addresses/networks whose X-Forwarded-For is believed
                        (default none: the client is the connection's peer)

A site reachable from other machines runs with rolloutviz.settings_production, which adds
HTTPS-only cookies, HSTS and the proxy header on top of these (see that module).
ROLLOUTVIZ_STATIC_ROOT  where `collectstatic` puts the files a proxy serves (default: staticfiles/)

The Kubernetes API of each simulation (kubectl; README "Real kubectl") is served over HTTPS:
KUBERNETES_TLS_PORT     the port of Daphne's TLS endpoint `make run` opens (default 8443)
KUBERNETES_TLS_DIR      its local CA and server certificate, made once (default: .tls/ in the checkout)
KUBERNETES_API_URL      the HTTPS address kubeconfigs name, e.g. https://rolloutviz.example.org behind a
                        TLS proxy (default: https://<the host the page was reached at>:KUBERNETES_TLS_PORT)
KUBERNETES_API_CA_FILE  the PEM CA certificate kubeconfigs carry (default: the local CA when
                        KUBERNETES_API_URL is unset; none when it is set: a public certificate)
"""
from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """Read a whole-number environment variable."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable into a list of non-empty items."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list of IP addresses or networks (``10.0.0.0/8``), each checked."""
    entries = env_list(name, default)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {entry!r} is not an IP address or network") from exc
    return entries


LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
LOOPBACK_NETWORKS = ["127.0.0.0/8", "::1"]
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", LOOPBACK_HOSTS)
# The fallback key only serves the embedded default on loopback; anything reachable from
# elsewhere must set its own.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and set(ALLOWED_HOSTS) - set(LOOPBACK_HOSTS) - {"testserver"}:
        raise ImproperlyConfigured("set DJANGO_SECRET_KEY when serving hosts beyond loopback")
    SECRET_KEY = "rolloutviz-insecure-development-key-set-DJANGO_SECRET_KEY"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",  # first, so `runserver` is the ASGI server
    "rolloutviz.apps.AdminConfig",  # django.contrib.admin with rate-limited logins (admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "rolloutviz",
]

# Under Daphne each of Django's own runs on the event loop instead of hopping to a thread: the
# ASGI handler swaps in rolloutviz.middleware's equivalents (the names stay, for Django's checks).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rolloutviz.csp.ContentSecurityPolicyMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rolloutviz.urls"
ASGI_APPLICATION = "rolloutviz.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

SQLITE_DEFAULT = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("ROLLOUTVIZ_SQLITE") or BASE_DIR / "db.sqlite3",
    # A file, not :memory:, so a live Daphne test server (a forked process) sees the test
    # data; one per test run, so test runs side by side never drop each other's tables.
    "TEST": {"NAME": BASE_DIR / f"test_db.sqlite3.{os.getpid()}"},
    "OPTIONS": {
        # Writers queue for the lock instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    },
}

if os.environ.get("DATABASE_URL"):
    # Persistent connections must stay off under ASGI (Django's database docs).
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)}
else:
    DATABASES = {"default": SQLITE_DEFAULT}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # socket_timeout None: redis-py 8's 5 s default breaks channels-redis' blocking reads.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The limiter's counters (rolloutviz/limits.py): shared by every process through Redis when
# there is one; a short socket timeout, because the limiter lets requests through rather than
# wait for a Redis that does not answer.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rolloutviz",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

# Per session, checked before any work and answered 429 with Retry-After (0 turns one off).
# Generous: a teacher clicking fast, or a page stepping the clock, stays well below them.
LIMIT_COMMANDS_PER_SECOND = env_int("LIMIT_COMMANDS_PER_SECOND", 20)
LIMIT_CREATIONS_PER_MINUTE = env_int("LIMIT_CREATIONS_PER_MINUTE", 30)
LIMIT_RUNNING_PER_SESSION = env_int("LIMIT_RUNNING_PER_SESSION", 10)
# Per client address as well (someone who drops their cookie gets a new session, not a new
# address). A class behind one NAT shares an address, so these are a class's worth of sessions.
LIMIT_PER_ADDRESS = env_bool("LIMIT_PER_ADDRESS", True)
LIMIT_ADDRESS_COMMANDS_PER_SECOND = env_int("LIMIT_ADDRESS_COMMANDS_PER_SECOND", 200)
LIMIT_ADDRESS_CREATIONS_PER_MINUTE = env_int("LIMIT_ADDRESS_CREATIONS_PER_MINUTE", 120)
# Login attempts (the admin's form), so a password cannot be guessed at the server's speed.
LIMIT_LOGINS_PER_MINUTE = env_int("LIMIT_LOGINS_PER_MINUTE", 10)
LIMIT_ADDRESS_LOGINS_PER_MINUTE = env_int("LIMIT_ADDRESS_LOGINS_PER_MINUTE", 60)
# What-if predictions (the editor asks one as the learner pauses typing, then its check).
LIMIT_WHATIF_PER_MINUTE = env_int("LIMIT_WHATIF_PER_MINUTE", 120)
LIMIT_ADDRESS_WHATIF_PER_MINUTE = env_int("LIMIT_ADDRESS_WHATIF_PER_MINUTE", 1200)
LIMIT_EXEMPT_ADDRESSES = env_networks("LIMIT_EXEMPT_ADDRESSES", LOOPBACK_NETWORKS)
# Only these peers' X-Forwarded-For is believed (nginx on the same machine: 127.0.0.1).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])

CLOCK_MODE = os.environ.get("CLOCK_MODE", "inprocess").strip().lower()
if CLOCK_MODE not in {"inprocess", "external"}:
    raise ValueError(f"CLOCK_MODE must be 'inprocess' or 'external', not {CLOCK_MODE!r}")

# ---- simulation workers and the live stream (rolloutviz/runner, services/live.py) ----
# Worker processes each server process starts for simulation compute; None: cores, at least 2.
SIM_WORKERS = int(os.environ["SIM_WORKERS"]) if os.environ.get("SIM_WORKERS", "").strip() else None
SIM_JOB_DEADLINE = float(os.environ.get("SIM_JOB_DEADLINE", "30"))  # then the worker is killed and replaced
# Wall-time bound of a what-if check's run on a copy (services/whatif.py); well under the deadline.
WHATIF_WALL_SECONDS = float(os.environ.get("WHATIF_WALL_SECONDS", "5"))
SIM_TIME_SLICE = 0.05  # seconds of compute after which a clock's step batch stops (a heavy simulation lags alone)
LIVE_TAIL = "auto"  # poll the database for other processes' deltas: "auto" = with the in-memory layer
# pods one simulation may ask for (Σ replicas + maxSurge), enforced by the simulator's Cluster
SIMULATION_POD_BUDGET = int(os.environ.get("SIMULATION_POD_BUDGET", "5000"))
IDLE_STOP_SECONDS = float(os.environ.get("IDLE_STOP_SECONDS", "600"))  # an unwatched clock stops (0: never)

KUBERNETES_TLS_PORT = env_int("KUBERNETES_TLS_PORT", 8443)
KUBERNETES_TLS_DIR = Path(os.environ.get("KUBERNETES_TLS_DIR") or BASE_DIR / ".tls")
KUBERNETES_API_URL = os.environ.get("KUBERNETES_API_URL", "").strip().rstrip("/")
KUBERNETES_API_CA_FILE = os.environ.get("KUBERNETES_API_CA_FILE", "").strip()
# Deltas one socket that does not keep up may have waiting (count, bytes); past either, they are
# dropped and it gets one fresh snapshot once it drains (rolloutviz/consumers.py).
STREAM_BACKLOG_DELTAS = env_int("STREAM_BACKLOG_DELTAS", 2000)
STREAM_BACKLOG_BYTES = env_int("STREAM_BACKLOG_BYTES", 8 * 1024 * 1024)
# A viewer socket's kernel send buffer in bytes (the kernel doubles it; 0: the kernel grows its own, to 4 MB)
STREAM_SOCKET_SEND_BUFFER = env_int("STREAM_SOCKET_SEND_BUFFER", 256 * 1024)
# A file each delta's publication time is appended to, for `bench fanout` (rolloutviz/publish_log.py; "": off)
STREAM_PUBLISH_LOG = os.environ.get("STREAM_PUBLISH_LOG", "")
# ---- end of the runner's settings ----

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# ServeStatic serves straight from static/ (no collectstatic step in the quick start).
SERVESTATIC_USE_FINDERS = True
SERVESTATIC_AUTOREFRESH = DEBUG

# The page reads the CSRF cookie and sends it back in the X-CSRFToken header. HttpOnly would
# protect nothing here: a script able to read the cookie runs on this origin already and can
# send requests anyway (Django's CSRF docs; its deploy checks no longer ask for it).
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# ---- Content-Security-Policy (django-csp; rolloutviz/csp.py adds the page's own WebSocket
# origin to connect-src). Nothing inline: the bundle is an ES module from 'self', the styles
# are app.css; CodeMirror writes its own <style> element, allowed by a per-request nonce that
# the simulation page hands to it (EditorView.cspNonce). The nonce appears only in responses
# that used it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "connect-src": [SELF],
        "img-src": [SELF, "data:"],  # data: for the empty favicon
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Who may frame the read-only player /embed/<token>/ (its frame-ancestors; X-Frame-Options is
# dropped for that page only). Default 'self': pages of this site. Slides and course pages on
# other sites are named here, e.g. ROLLOUTVIZ_EMBED_FRAME_ANCESTORS="'self' https://slides.example.org".
EMBED_FRAME_ANCESTORS = os.environ.get("ROLLOUTVIZ_EMBED_FRAME_ANCESTORS", "'self'").split()
# Scenario files (POST /api/simulations/import): the largest body read, and what one import may replay.
SCENARIO_MAX_BYTES = env_int("SCENARIO_MAX_BYTES", 2 * 1024 * 1024)
SCENARIO_MAX_COMMANDS = env_int("SCENARIO_MAX_COMMANDS", 1000)
SCENARIO_MAX_SECONDS = env_int("SCENARIO_MAX_SECONDS", 3600)  # simulated seconds
SCENARIO_MAX_STEPS = env_int("SCENARIO_MAX_STEPS", 7200)
SCENARIO_MAX_POD_STEPS = env_int("SCENARIO_MAX_POD_STEPS", 500_000)  # steps x the most pods asked for
CSRF_FAILURE_VIEW = "rolloutviz.views.api.csrf_failure"
# A fixed operator token (as JUPYTER_TOKEN): every server of a deployment accepts it; empty, the
# first `manage.py operator_link` makes one and keeps it in the database.
OPERATOR_TOKEN = os.environ.get("ROLLOUTVIZ_OPERATOR_TOKEN", "")
# Only signed-in presenters (accounts the operator makes in the admin) may make simulations;
# anyone may still open the links they were given. Off: no sign-up is needed to start a demo.
REQUIRE_LOGIN = env_bool("ROLLOUTVIZ_REQUIRE_LOGIN", False)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "rolloutviz": {"handlers": ["console"], "level": "INFO"},
        # Server errors go to the server's log whatever DEBUG says (Django's default mails them).
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# ---- the production layout (deploy/, make run-cluster) ----
# The runner's compare-and-set commits and the clock leases (services/live.py, clock/lease.py)
# need READ COMMITTED: a conditional UPDATE whose row a concurrent transaction changed must
# re-check it and match nothing, not fail. Django assumes that level without asking for it, so
# on a server whose default is REPEATABLE READ or SERIALIZABLE those races were "could not
# serialize access" errors (500s, stalled clocks). Set for the session, so that statements
# outside a transaction (the leases) get it too.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c default_transaction_isolation=read\\ committed".strip()
# Where `collectstatic` puts the files nginx serves itself (deploy/nginx.conf, location /static/).
if os.environ.get("ROLLOUTVIZ_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["ROLLOUTVIZ_STATIC_ROOT"])
# ---- end of the production layout's settings ----
