"""Shared pytest fixtures for the whole suite (kept small)."""
import os
import sys

import pytest

# Playwright's sync API runs an event loop in the main thread; Django would refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def web_yaml():
    """A factory of a small Deployment manifest named "web" (nginx, 3 replicas by default)."""

    def make(image: str = "nginx:1.14.2", replicas: int = 3, strategy: str = "") -> str:
        return (
            "apiVersion: apps/v1\n"
            "kind: Deployment\n"
            "metadata:\n"
            "  name: web\n"
            "spec:\n"
            f"  replicas: {replicas}\n"
            f"{strategy}"
            "  selector:\n"
            "    matchLabels:\n"
            "      app: web\n"
            "  template:\n"
            "    metadata:\n"
            "      labels:\n"
            "        app: web\n"
            "    spec:\n"
            "      containers:\n"
            "      - name: app\n"
            f"        image: {image}\n"
        )

    return make


@pytest.fixture
def simulation(db):
    """An empty simulation (seed 0, paused at t=0), created through the service."""
    from rolloutviz.services.simulations import simulation_create

    return simulation_create(name="test")


@pytest.fixture(autouse=True)
def forget_cached_clusters():
    """Drop the process's cached simulation copies after each test: a flushed test database
    may hand the next test's simulation an id that a cached copy still answers to."""
    yield
    live = sys.modules.get("rolloutviz.services.live")
    if live is not None:
        live.forget()


@pytest.fixture(autouse=True)
def fast_password_hashing():
    """Accounts made by tests need no slow key stretching. (Not through the ``settings`` fixture:
    that would make it outlive the teardown of the tests' own fixtures.)"""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def client(client, django_user_model):
    """Django's test client signed in as the operator (a superuser), who may do everything: the
    suite's default caller. Tests of who may do what make their own strangers, viewers and editors
    (tests/rolloutviz/test_access.py)."""
    client.force_login(django_user_model.objects.create_superuser("operator", password="operator"))
    return client


@pytest.fixture
def operator_token(db):
    """The operator's token (`manage.py operator_link`): a bearer token and a socket's ``?token=`` that may do everything."""
    from rolloutviz.services.links import operator_link

    return operator_link().token
