"""The settings read the environment: embedded defaults, Redis, PostgreSQL, the clock mode,
and the secret key rule."""
import importlib

import pytest
from django.core.exceptions import ImproperlyConfigured

import rolloutviz.settings

ENV = ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
       "CLOCK_MODE")


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
