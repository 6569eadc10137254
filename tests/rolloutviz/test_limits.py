"""The limiter, through the API: per session, commands per second, creations per minute and
running clocks per owner are answered 429 with Retry-After and the error body, and a refused
request changes nothing. Counts are shared by processes through a real Redis."""
import json
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client

from rolloutviz import limits, permissions
from rolloutviz.local_processes import free_port
from rolloutviz.models import Simulation

from live_servers import django, server_env
from test_multiprocess import processes, redis_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)

# Pinned a quarter second into a window: a test's requests never straddle two windows.
NOW = 1_800_000_040.25  # 40.25 s into a minute (1_800_000_000 is a multiple of 60)


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setattr(limits, "clock", lambda: NOW)
    cache.clear()
    yield
    cache.clear()


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def created(client, **body) -> int:
    answer = post(client, "/api/simulations/", body)
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def session_with_link(client, sim_id: int, role: str = "edit") -> Client:
    """Another browser session that opened a ``role`` link to the simulation."""
    link = post(client, f"/api/simulations/{sim_id}/links", {"role": role}).json()
    other = Client()
    assert other.get(link["url"]).status_code == 302
    return other


def record(sim_id: int) -> tuple:
    sim = Simulation.objects.get(pk=sim_id)
    return sim.seq, sim.sim_time, sim.running, sim.commands.count(), sim.ticks.count()


def refused(answer, retry_after: int, says: str) -> None:
    assert answer.status_code == 429, answer.content
    assert answer["Retry-After"] == str(retry_after)
    (error,) = answer.json()["errors"]
    assert error == {"field": None, "message": error["message"], "line": None}
    assert says in error["message"], error["message"]


# Each call is one state-changing request on the simulation ``sim`` (a URL prefix).
CALLS = {
    "step": lambda c, sim: post(c, sim + "commands/step", {"count": 1}),
    "apply": lambda c, sim: post(c, sim + "apply", {"yaml": "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n"
                                                     "  name: rs\nspec:\n  selector:\n    matchLabels: {a: b}\n"
                                                     "  template:\n    metadata:\n      labels: {a: b}\n"
                                                     "    spec:\n      containers: [{name: c, image: nginx}]\n"}),
    "clock": lambda c, sim: post(c, sim + "commands/clock", {"speed": 2}),
    "reset": lambda c, sim: post(c, sim + "commands/reset"),
    "bad-scale": lambda c, sim: post(c, sim + "commands/scale", {"deployment": "nope", "replicas": 1}),
    "delete": lambda c, sim: c.delete(sim),
}


@pytest.mark.parametrize("last", sorted(CALLS))
@pytest.mark.parametrize("first", ["step", "apply"])
def test_state_changing_requests_share_one_budget_per_second(client, settings, first, last):
    settings.LIMIT_COMMANDS_PER_SECOND = 0  # (off while the editor's link is made)
    sim_id = created(client)
    editor = session_with_link(client, sim_id)
    settings.LIMIT_COMMANDS_PER_SECOND = 3
    sim = f"/api/simulations/{sim_id}/"
    assert [CALLS[first](client, sim).status_code for _ in range(3)] == [200, 200, 200]
    before = record(sim_id)
    refused(CALLS[last](client, sim), 1, "too many state-changing requests: at most 3 per second")
    assert record(sim_id) == before
    # reads and diffs are never counted
    assert client.get(sim).status_code == 200
    assert client.get(sim + "timeline").status_code == 200
    assert post(client, sim + "diff", {"yaml": "kind: ["}).status_code == 400
    # another session (an editor through a link) has its own budget
    assert CALLS["step"](editor, sim).status_code == 200


def test_creations_per_minute(client, settings):
    settings.LIMIT_CREATIONS_PER_MINUTE = 2
    created(client)
    created(client, demo="hellok8s")
    answer = post(client, "/api/simulations/", {"demo": "hellok8s"})
    # 19.75 s are left of the minute: Retry-After rounds up
    refused(answer, 20, "too many new simulations: at most 2 per minute; try again in 20 s")
    assert Simulation.objects.count() == 2
    created(Client())


def test_running_clocks_per_owner(client, settings):
    settings.LIMIT_RUNNING_PER_SESSION = 2
    mine = [created(client) for _ in range(3)]
    start = [post(client, f"/api/simulations/{s}/commands/clock", {"running": True}) for s in mine]
    assert [a.status_code for a in start[:2]] == [200, 200]
    refused(start[2], limits.RUNNING_RETRY_AFTER,
            "at most 2 simulations of one session may run at once: pause one of them first")
    assert [Simulation.objects.get(pk=s).running for s in mine] == [True, True, False]
    # starting one that runs already, or changing its speed, is no new running clock
    assert post(client, f"/api/simulations/{mine[0]}/commands/clock", {"running": True, "speed": 5}).status_code == 200
    # what counts is the simulation's owner: another session's simulation starts
    theirs = created(Client())
    assert post(client, f"/api/simulations/{theirs}/commands/clock", {"running": True}).status_code == 200
    # pausing one frees a place
    assert post(client, f"/api/simulations/{mine[0]}/commands/clock", {"running": False}).status_code == 200
    assert post(client, f"/api/simulations/{mine[2]}/commands/clock", {"running": True}).status_code == 200


def test_operator_simulations_are_not_capped(client, settings):
    from rolloutviz.services import simulations

    settings.LIMIT_RUNNING_PER_SESSION = 1
    made = [simulations.simulation_create(name=f"cli {i}") for i in range(3)]  # the CLI: no owner
    for sim in made:
        assert post(client, f"/api/simulations/{sim.id}/commands/clock", {"running": True}).status_code == 200


def test_a_made_up_session_cookie_owns_nothing(settings):
    settings.LIMIT_COMMANDS_PER_SECOND = 1
    client = Client()
    client.cookies["sessionid"] = "madeupmadeupmadeupmadeupmadeup00"
    sim_id = created(client)
    owner = Simulation.objects.get(pk=sim_id).owner_session
    assert owner and owner != "madeupmadeupmadeupmadeupmadeup00"
    assert client.cookies["sessionid"].value != "madeupmadeupmadeupmadeupmadeup00"  # a new session
    assert client.session[permissions.SESSION_OWNER] == owner  # which owns what it made
    assert post(client, f"/api/simulations/{sim_id}/commands/step").status_code == 200
    refused(post(client, f"/api/simulations/{sim_id}/commands/step"), 1, "at most 1 per second")


def test_zero_turns_a_limit_off(client, settings):
    settings.LIMIT_COMMANDS_PER_SECOND = 0
    sim = f"/api/simulations/{created(client)}/"
    assert {post(client, sim + "commands/step").status_code for _ in range(30)} == {200}


def test_an_unreachable_cache_lets_requests_through(client, settings, caplog):
    settings.LIMIT_COMMANDS_PER_SECOND = 1
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0",  # discard port: nothing listens
                                   "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    sim = f"/api/simulations/{created(client)}/"
    assert [post(client, sim + "commands/step").status_code for _ in range(3)] == [200, 200, 200]
    assert "limiter: cache unavailable" in caplog.text


@pytest.mark.redis
def test_processes_share_the_counts_through_redis(tmp_path, processes, redis_url):  # noqa: F811
    """Two Daphnes on one Redis: a session's creations are counted once for both."""
    db = tmp_path / "shared.sqlite3"
    env = server_env(db, REDIS_URL=redis_url, CLOCK_MODE="external", LIMIT_CREATIONS_PER_MINUTE="2")
    django(env, "migrate", "--noinput")
    ports = [free_port(), free_port()]
    for i, port in enumerate(ports):
        processes.daphne(f"daphne-{i}", port, env)
    script = (
        "import http.cookiejar, json, sys, time, urllib.request, urllib.error\n"
        "jar = http.cookiejar.CookieJar()\n"
        "web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))\n"
        "ports = [int(p) for p in sys.argv[1:]]\n"
        "web.open(f'http://127.0.0.1:{ports[0]}/api/simulations/').read()\n"
        "token = next(c.value for c in jar if c.name == 'csrftoken')\n"
        "if time.time() % 60 > 50: time.sleep(61 - time.time() % 60)  # one minute's window\n"
        "for port in (ports[0], ports[1], ports[0]):\n"
        "    request = urllib.request.Request(f'http://127.0.0.1:{port}/api/simulations/', b'{}', method='POST',\n"
        "        headers={'Content-Type': 'application/json', 'X-CSRFToken': token})\n"
        "    try:\n"
        "        answer = web.open(request)\n"
        "        print(answer.status, '-')\n"
        "    except urllib.error.HTTPError as refusal:\n"
        "        print(refusal.code, refusal.headers['Retry-After'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, *map(str, ports)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    answers = [line.split() for line in done.stdout.splitlines()]
    # per process each server would have counted 2 and 1: only the shared count refuses the third
    assert [a[0] for a in answers] == ["201", "201", "429"], answers
    assert 1 <= int(answers[2][1]) <= 60
