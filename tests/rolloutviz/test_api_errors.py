"""Every /api/ answer is JSON, faults included: real failures (an engine exception, a read-only
or full SQLite database, a failing middleware, Django's own refusals) give the error body,
a 500/503 also a reference that the server log shows beside the traceback."""
import http.cookiejar
import json
import logging
import re
import sqlite3
import urllib.error
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import AsyncClient, Client, override_settings

from rolloutviz.local_processes import LOCAL_OPERATOR_TOKEN, DaphneServer, manage, server_env
from rolloutviz.models import Simulation
from rolloutviz.services import watching
from simulator import Cluster

pytestmark = pytest.mark.django_db(transaction=True)


def post(client, url, body=None, **extra):
    return client.post(url, json.dumps(body if body is not None else {}),
                       content_type="application/json", **extra)


def error_body(answer, status: int) -> dict:
    """The answer's JSON body, checked to be the API's error shape with ``status``."""
    assert answer.status_code == status, answer.content[:500]
    assert answer["Content-Type"] == "application/json"
    body = json.loads(answer.content)
    assert body["errors"] and all(set(e) == {"field", "message", "line"} for e in body["errors"])
    return body


def logged(caplog, reference: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if reference in r.getMessage()]


@pytest.fixture
def sqlite_pragma():
    """Set a PRAGMA on the test database's connection for one test, then restore it."""
    restore = []

    def set_pragma(name: str, value) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name}")
            restore.append((name, cursor.fetchone()[0]))
            cursor.execute(f"PRAGMA {name} = {value}")

    yield set_pragma
    with connection.cursor() as cursor:
        for name, value in reversed(restore):
            cursor.execute(f"PRAGMA {name} = {value}")


# ---------------------------------------------------------------- 500 and 503


def test_an_engine_exception_answers_500_with_a_reference_in_the_log(client, simulation, web_yaml,
                                                                     monkeypatch, caplog):
    url = f"/api/simulations/{simulation.id}/"
    assert post(client, url + "apply", {"yaml": web_yaml()}).status_code == 200

    def stuck(self, resource_version=None):
        raise RuntimeError("kubelet: probe of pod web-1 due again at the same instant")

    monkeypatch.setattr(Cluster, "step", stuck)
    seq = Simulation.objects.get(pk=simulation.id).seq
    with caplog.at_level(logging.ERROR):
        answer = post(client, url + "commands/step", {"count": 1})
    body = error_body(answer, 500)
    reference = body["reference"]
    assert re.fullmatch(r"[0-9a-f]{12}", reference)
    assert body["errors"] == [{"field": None, "message": f"internal server error (reference {reference})",
                               "line": None}]
    (record,) = logged(caplog, reference)
    assert f"POST {url}commands/step answered 500" in record.getMessage()
    assert record.exc_info[0] is RuntimeError  # the traceback is in the same log line
    assert "probe of pod web-1" not in answer.content.decode()  # no Python detail to the client
    assert Simulation.objects.get(pk=simulation.id).seq == seq  # the failed step changed nothing


@pytest.mark.parametrize(
    "pragma, value, says",
    [("query_only", "ON", "the database is read-only"), ("max_page_count", "page_count", "the database is full")],
    ids=["read-only", "full"],
)
def test_a_database_that_cannot_write_answers_503(client, simulation, web_yaml, sqlite_pragma, caplog,
                                                  pragma, value, says):
    url = f"/api/simulations/{simulation.id}/"
    if value == "page_count":  # no free page left, and no page more than the file has now
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA page_count")
            value = cursor.fetchone()[0]
    before = Simulation.objects.get(pk=simulation.id).seq
    sqlite_pragma(pragma, value)
    with caplog.at_level(logging.ERROR):
        # a 1,000-replica apply needs far more room than the last free pages
        answers = [post(client, url + "apply", {"yaml": web_yaml(replicas=1000)}),
                   post(client, "/api/simulations/", {"demo": "hellok8s"})]
    for answer in answers:
        body = error_body(answer, 503)
        assert body["errors"][0]["message"] == f"{says}; try again later (reference {body['reference']})"
        assert logged(caplog, body["reference"])[0].exc_info is not None
    # reading still works on a database that cannot be written (nor note who watches)
    watching._written.clear()
    assert client.get(url).status_code == 200
    assert client.get("/api/simulations/").status_code == 200
    sqlite_pragma(pragma, 0 if pragma == "query_only" else 2**30)
    assert Simulation.objects.get(pk=simulation.id).seq == before
    assert Simulation.objects.count() == 1


class FailingMiddleware:
    """A middleware that fails on every request: a fault outside any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise LookupError("session store lost")


WITH_FAILING_MIDDLEWARE = [*django_settings.MIDDLEWARE, f"{__name__}.FailingMiddleware"]


@override_settings(MIDDLEWARE=WITH_FAILING_MIDDLEWARE)
def test_a_failure_outside_a_view_answers_json_too(caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        answer = client.get("/api/demos/")
    reference = error_body(answer, 500)["reference"]
    (record,) = logged(caplog, reference)
    assert record.exc_info[0] is LookupError
    page = client.get("/")  # pages keep Django's own error page
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@override_settings(MIDDLEWARE=WITH_FAILING_MIDDLEWARE)
async def test_under_asgi_a_failure_outside_a_view_answers_json_and_django_logs_the_traceback(caplog):
    client = AsyncClient(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        answer = await client.get("/api/demos/")
    reference = error_body(answer, 500)["reference"]
    assert logged(caplog, reference)
    assert any(r.exc_info and r.exc_info[0] is LookupError for r in caplog.records)


# ---------------------------------------------------------------- Django's refusals under /api/


@pytest.mark.parametrize(
    "request_args, status, says",
    [
        (("get", "/api/nothing-here"), 404, "not found: /api/nothing-here"),
        (("get", "/api/simulations"), 404, "not found: /api/simulations"),
        (("post", "/api/simulations/1/explode/now"), 404, "not found: /api/simulations/1/explode/now"),
        (("get", "/api/simulations/99999999999999999999/"), 404, "simulation 99999999999999999999 not found"),
        (("delete", "/api/demos/"), 405, "method DELETE not allowed"),
        (("get", "/api/demos/", {"HTTP_HOST": "evil.example"}), 400,
         "bad request: the Host header names no host this server serves"),
    ],
    ids=["no-route", "no-trailing-slash", "no-route-post", "id-beyond-int64", "wrong-method", "disallowed-host"],
)
def test_django_refusals_are_json(request_args, status, says):
    method, path, *extra = request_args
    answer = getattr(Client(), method)(path, **(extra[0] if extra else {}))
    assert error_body(answer, status)["errors"][0]["message"].startswith(says)


def test_a_form_over_djangos_upload_limit_is_413_json(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    strict = Client(enforce_csrf_checks=True)  # the CSRF check reads the form: Django refuses there
    strict.get("/api/simulations/")  # the csrftoken cookie, so the check goes on to the form
    answer = strict.post("/api/simulations/", {"name": "x" * 4096})
    assert error_body(answer, 413)["errors"][0]["message"] == "request body too large"
    assert not Simulation.objects.exists()


@pytest.mark.django_db(transaction=False)
def test_a_real_server_answers_a_fault_as_json_and_logs_the_reference_with_the_traceback(tmp_path):
    """Through Daphne (ASGI): a command whose table is gone from the database."""
    db = tmp_path / "fault.sqlite3"
    env = server_env(db, CLOCK_MODE="external")
    manage(env, "migrate", "--noinput")
    sim_id = int(manage(env, "shell", "-c", "from rolloutviz.services import simulations as s; "
                                            "print(s.simulation_create(name='x').id)").splitlines()[-1])
    with DaphneServer(env, tmp_path / "daphne.log").start(migrate=False) as server:
        jar = http.cookiejar.CookieJar()
        web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        web.open(f"{server.url}/api/simulations/").read()  # the CSRF cookie
        token = next(c.value for c in jar if c.name == "csrftoken")
        with sqlite3.connect(db) as raw:
            raw.execute("DROP TABLE rolloutviz_commandrecord")
        request = urllib.request.Request(f"{server.url}/api/simulations/{sim_id}/commands/reset", b"{}",
                                         method="POST", headers={"Content-Type": "application/json",
                                                                 "X-CSRFToken": token,
                                                                 "Authorization": f"Bearer {LOCAL_OPERATOR_TOKEN}"})
        with pytest.raises(urllib.error.HTTPError) as failure:
            web.open(request, timeout=60)
        answer = failure.value
        assert (answer.code, answer.headers["Content-Type"]) == (500, "application/json")
        body = json.loads(answer.read())
    log = (tmp_path / "daphne.log").read_text()
    reference = body["reference"]
    assert body["errors"] == [{"field": None, "message": f"internal server error (reference {reference})",
                               "line": None}]
    lines = log.splitlines()
    line = next(i for i, text in enumerate(lines) if f"reference {reference}: POST " in text)
    assert lines[line + 1] == "Traceback (most recent call last):"
    assert "sqlite3.OperationalError: no such table: rolloutviz_commandrecord" in lines[line + 2:]
