"""POST /api/simulations/<id>/whatif: the prediction and its check over HTTP, in process and
through the worker pool; bad input answered as apply answers it; nothing of the simulation
changes and nothing is recorded."""
import json
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from rolloutviz import limits, runner
from rolloutviz.models import CommandRecord, Simulation, Snapshot, TickRecord
from rolloutviz.services import live, whatif
from simulator.api.yaml_source import MAX_MANIFEST_BYTES

pytestmark = pytest.mark.django_db(transaction=True)
HERE = Path(__file__).resolve().parent


def post(client, url, body=None):
    return client.post(url, json.dumps(body) if body is not None else "", content_type="application/json")


@pytest.fixture
def sim_url(simulation, client, web_yaml):
    """A simulation with the "web" Deployment (3 × nginx:1.14.2) applied and settled."""
    url = f"/api/simulations/{simulation.id}/"
    assert post(client, url + "apply", {"yaml": web_yaml()}).status_code == 200
    assert post(client, url + "commands/step", {"count": 20}).status_code == 200
    return url


def recorded(sim_id: int) -> tuple:
    return (Simulation.objects.get(pk=sim_id).seq, TickRecord.objects.filter(simulation_id=sim_id).count(),
            CommandRecord.objects.filter(simulation_id=sim_id).count(),
            Snapshot.objects.filter(simulation_id=sim_id).count())


def test_a_prediction_and_its_check(client, simulation, sim_url, web_yaml):
    before, state = recorded(simulation.id), client.get(sim_url).json()
    answer = post(client, sim_url + "whatif", {"yaml": web_yaml(image="nginx:1.16.1")})
    assert answer.status_code == 200, answer.content
    predicted = answer.json()["prediction"]["deployments"][0]
    assert predicted["rounding"] == "25% of 3 → surge 1 (rounded up), unavailable 0 (rounded down)"
    assert (predicted["change"], predicted["max_surge"], predicted["max_unavailable"]) == ("rollout", 1, 0)
    assert (predicted["peak_pods"], predicted["min_available"], predicted["waves"]) == (4, 3, 3)
    run = answer.json()["run"]
    measured = run["deployments"][0]
    assert run["stopped_by"] is None
    assert (measured["outcome"], measured["peak_pods"], measured["min_available"], measured["waves"]) == \
        ("complete", 4, 3, 3)
    low, high = predicted["duration_range"]
    assert low <= measured["duration_seconds"] <= high
    # nothing was recorded, nothing changed
    assert recorded(simulation.id) == before
    assert client.get(sim_url).json() == state


def test_without_the_check(client, sim_url, web_yaml):
    answer = post(client, sim_url + "whatif", {"yaml": web_yaml(replicas=5), "run": False})
    assert answer.status_code == 200
    assert answer.json()["run"] is None
    assert answer.json()["prediction"]["deployments"][0]["change"] == "scale"


def test_a_spec_the_api_refuses_gets_the_errors_apply_gets(client, simulation, sim_url, web_yaml):
    before = recorded(simulation.id)
    for text in (web_yaml(replicas=-2), "kind: [\n", web_yaml(image="nginx:1.16.1").replace("app: web", "app: other", 1)):
        predicted = post(client, sim_url + "whatif", {"yaml": text})
        applied = post(client, sim_url + "apply", {"yaml": text})
        assert predicted.status_code == applied.status_code == 400
        assert predicted.json() == applied.json()
        assert all(e["line"] for e in predicted.json()["errors"])
    assert recorded(simulation.id)[0] == before[0]  # (the refused applies add CommandRecords only)


@pytest.mark.parametrize("body, status, field", [
    ({"yaml": 3}, 400, "yaml"),
    ({}, 400, "yaml"),
    ({"yaml": "kind: Deployment", "run": "yes"}, 400, "run"),
    ({"yaml": "x", "colour": "red"}, 400, "colour"),
    ({"yaml": "a: 1\n" + "#" * MAX_MANIFEST_BYTES}, 413, ""),
], ids=["not-text", "missing", "run-not-boolean", "unknown-field", "too-large"])
def test_bad_input(client, sim_url, body, status, field):
    answer = post(client, sim_url + "whatif", body)
    assert answer.status_code == status, answer.content
    assert answer.json()["errors"][0]["field"] == field


def test_unknown_simulation_and_method(client, web_yaml):
    assert post(client, "/api/simulations/999999/whatif", {"yaml": web_yaml()}).status_code == 404
    assert Client().get("/api/simulations/999999/whatif").status_code == 405


@pytest.fixture
def pooled(monkeypatch, settings):
    """`rolloutviz.runner` with two worker processes, as in a server process."""
    monkeypatch.setenv("ROLLOUTVIZ_SQLITE", str(connection.settings_dict["NAME"]))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), str(HERE.parent.parent)]))
    settings.SIM_WORKERS = 2
    live.forget()
    started = runner.start()
    yield started
    runner.stop()
    live.forget()


def test_through_the_pool_the_check_runs_apart_from_the_simulation(pooled, simulation, web_yaml):
    live.execute(simulation_id=simulation.id, command="apply", args={"source": web_yaml()})
    live.advance(simulation_id=simulation.id, steps=20)
    answer = whatif.whatif(simulation_id=simulation.id, yaml_text=web_yaml(image="nginx:1.161"))
    measured = answer["run"]["deployments"][0]
    assert (measured["outcome"], measured["deadline_seconds"]) == \
        ("ProgressDeadlineExceeded", answer["prediction"]["deployments"][0]["deadline_seconds"])
    # the check queued on a key of its own: the simulation's own jobs never waited behind it
    assert pooled.owner(runner.side_lane(simulation.id)) != pooled.owner(simulation.id)
    assert live.advance(simulation_id=simulation.id, steps=1).seq == Simulation.objects.get(pk=simulation.id).seq


def test_predictions_per_minute_are_limited(client, sim_url, web_yaml, settings, monkeypatch):
    monkeypatch.setattr(limits, "clock", lambda: 1_800_000_040.25)  # one minute window throughout
    cache.clear()
    settings.LIMIT_WHATIF_PER_MINUTE = 2
    body = {"yaml": web_yaml(replicas=4), "run": False}
    assert [post(client, sim_url + "whatif", body).status_code for _ in range(2)] == [200, 200]
    refused = post(client, sim_url + "whatif", body)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "what-if predictions" in refused.json()["errors"][0]["message"]
    cache.clear()
