"""The settings read the environment: embedded defaults, Redis, PostgreSQL, the clock mode,
and the secret key rule."""
import importlib

import pytest
from django.core.exceptions import ImproperlyConfigured

import rolloutviz.settings

ENV = ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
       "CLOCK_MODE", "LIMIT_COMMANDS_PER_SECOND", "LIMIT_CREATIONS_PER_MINUTE", "LIMIT_RUNNING_PER_SESSION")


@pytest.fixture
def load(monkeypatch):
    """Re-read the settings module under a given environment (the live settings stay as they are)."""

    def reload(**env):
        for name in ENV:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(rolloutviz.settings)

    yield reload
    monkeypatch.undo()
    importlib.reload(rolloutviz.settings)


def test_embedded_defaults(load):
    s = load()
    db = s.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert s.CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert (s.CLOCK_MODE, s.DEBUG, s.INSTALLED_APPS[0]) == ("inprocess", False, "daphne")


def test_production_environment(load):
    s = load(DATABASE_URL="postgres://u:pw@db.example:5432/rv", REDIS_URL="redis://r:6379/0",
             CLOCK_MODE="external", DJANGO_ALLOWED_HOSTS="rv.example, ",
             DJANGO_SECRET_KEY="s3cret", DJANGO_DEBUG="true")
    db = s.DATABASES["default"]
    assert (db["ENGINE"], db["NAME"], db["HOST"], db["CONN_MAX_AGE"]) == (
        "django.db.backends.postgresql", "rv", "db.example", 0)
    assert s.CHANNEL_LAYERS["default"] == {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": "redis://r:6379/0", "socket_timeout": None}]}}
    assert (s.CLOCK_MODE, s.ALLOWED_HOSTS, s.SECRET_KEY, s.DEBUG) == (
        "external", ["rv.example"], "s3cret", True)


@pytest.mark.parametrize(
    "env, error",
    [({"CLOCK_MODE": "sometimes"}, ValueError),
     ({"DJANGO_ALLOWED_HOSTS": "rv.example"}, ImproperlyConfigured)],
    ids=["clock-mode", "secret-key-missing"],
)
def test_refused_environments(load, env, error):
    with pytest.raises(error):
        load(**env)


@pytest.mark.parametrize(
    "env, backend, limits",
    [({}, "django.core.cache.backends.locmem.LocMemCache", (20, 30, 10)),
     ({"REDIS_URL": "redis://r:6379/0", "LIMIT_COMMANDS_PER_SECOND": "5", "LIMIT_CREATIONS_PER_MINUTE": "0",
       "LIMIT_RUNNING_PER_SESSION": " 3 "}, "django.core.cache.backends.redis.RedisCache", (5, 0, 3))],
    ids=["defaults", "redis-and-limits"],
)
def test_the_limiters_cache_and_limits(load, env, backend, limits):
    s = load(**env)
    assert s.CACHES["default"]["BACKEND"] == backend
    if "REDIS_URL" in env:
        assert s.CACHES["default"]["LOCATION"] == env["REDIS_URL"]
        assert s.CACHES["default"]["OPTIONS"]["socket_timeout"] == 1  # never waits long for Redis
    assert (s.LIMIT_COMMANDS_PER_SECOND, s.LIMIT_CREATIONS_PER_MINUTE, s.LIMIT_RUNNING_PER_SESSION) == limits
