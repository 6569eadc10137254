"""Share and export over HTTP: importing a scenario file (its checks, with field paths, and
nothing created on any error), who may export and import, the event log as JSON and CSV, the
`kubectl get pods -w` transcript, and the read-only embeddable player."""
import csv
import io
import json

import pytest
from django.test import Client, override_settings

from rolloutviz.models import Simulation
from rolloutviz.services import commands, links, scenarios, simulations
from simulator import Cluster
from simulator.kubectl.printers import pod_row, tabwrite

pytestmark = pytest.mark.django_db(transaction=True)


def post_json(client, url, body, **extra):
    text = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(url, text, content_type="application/json", **extra)


@pytest.fixture
def rolled(simulation, web_yaml):
    """A Deployment rolled from one image to another, with a pod deleted on the way."""
    sid = {"simulation_id": simulation.id}
    commands.manifest_apply(**sid, yaml_text=web_yaml(replicas=3))
    simulations.clock_step(**sid, count=12)
    commands.deployment_set_image(**sid, deployment="web", container="app", image="nginx:1.16.1")
    simulations.clock_step(**sid, count=6)
    commands.pod_delete(**sid, deployment="web")
    simulations.clock_step(**sid, count=10)
    return simulation


@pytest.fixture
def scenario(rolled):
    return json.loads(json.dumps(scenarios.scenario_export(simulation_id=rolled.id)))


def test_import_over_http_answers_201_with_the_new_simulation(client, rolled):
    exported = client.get(f"/api/simulations/{rolled.id}/export")
    assert exported.status_code == 200
    assert exported["Content-Disposition"] == f'attachment; filename="scenario-{rolled.id}.json"'
    answer = post_json(client, "/api/simulations/import", exported.content)
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert made["id"] != rolled.id and (made["role"], made["running"]) == ("owner", False)
    rolled.refresh_from_db()
    assert (made["seq"], made["t"]) == (rolled.seq, rolled.sim_time)
    assert client.get(f"/api/simulations/{made['id']}/").json()["objects"] == \
        client.get(f"/api/simulations/{rolled.id}/").json()["objects"]


def test_a_file_with_a_starting_state_imports_over_http(client):
    made = simulations.simulation_create(demo="zero-downtime")
    simulations.clock_step(simulation_id=made.id, count=5)
    simulations.simulation_reset(simulation_id=made.id)
    simulations.clock_step(simulation_id=made.id, count=20)
    exported = client.get(f"/api/simulations/{made.id}/export")
    assert exported.json()["start"]["seq"] > 1
    answer = post_json(client, "/api/simulations/import", exported.content)
    assert answer.status_code == 201, answer.content
    assert client.get(f"/api/simulations/{answer.json()['id']}/").json()["objects"] == \
        client.get(f"/api/simulations/{made.id}/").json()["objects"]


def _with(document: dict, path: str, value):
    """``document`` with the value at a dotted path (list indices as numbers) replaced."""
    document = json.loads(json.dumps(document))
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = document
    for part in parents:
        target = target[part]
    target[last] = value
    return document


def _more_commands(document: dict, n: int) -> dict:
    return {**document, "commands": [{"t": 0.0, "command": "clock", "args": {"speed": 1}}] * n}


# (case, how the file is changed, the field the first error names, a piece of its message)
BAD_FILES = [
    ("not-json", lambda d: b"{not json", None, "invalid JSON"),
    ("not-an-object", lambda d: [d], None, "must be a JSON object"),
    ("wrong-kind", lambda d: _with(d, "kind", "Deployment"), "kind", 'Unsupported value: "Deployment"'),
    ("wrong-version", lambda d: _with(d, "version", 2), "version", "Unsupported value: 2"),
    ("unknown-command", lambda d: _with(d, "commands.1.command", "explode"), "commands[1].command",
     'Unsupported value: "explode"'),
    ("bad-args", lambda d: _with(d, "commands.1.args", {"deployment": "web", "container": "app", "image": 5}),
     "commands[1].args.image", "Required value: a non-empty string"),
    ("unknown-argument", lambda d: _with(d, "commands.1.args.colour", "red"), "commands[1].args.colour",
     "unknown field"),
    ("decreasing-times", lambda d: _with(d, "commands.2.t", 1.0), "commands[2].t", "must not be before"),
    ("off-the-tick", lambda d: _with(d, "commands.1.t", 12.5), "commands[1].t", "whole number of ticks"),
    ("after-the-position", lambda d: _with(d, "commands.2.t", 500.0), "commands[2].t", "after position.t"),
    ("invalid-manifest", lambda d: _with(d, "commands.0.args.yaml", "kind: Deployment\napiVersion: apps/v1\n"
                                                                     "metadata: {name: web}\nspec: {replicas: -1}\n"),
     "commands[0].args.yaml", "spec.replicas"),
    ("over-the-pod-budget", lambda d: _with(d, "commands.0.args.yaml",
                                            d["commands"][0]["args"]["yaml"].replace("replicas: 3", "replicas: 6000")),
     "commands[0].args.yaml", "pod budget"),
    ("scale-over-the-pod-budget", lambda d: {**d, "commands": d["commands"] + [
        {"t": d["position"]["t"], "command": "scale", "args": {"deployment": "web", "replicas": 9000}}]},
     "commands[3].args.replicas", "pod budget"),
    ("over-the-duration-limit", lambda d: _with(d, "position.t", 3700.0), "position.t", "at most 3600 simulated"),
    ("too-many-commands", lambda d: _more_commands(d, 1001), "commands", "at most 1000 items"),
    ("over-the-cost-limit", lambda d: {**_with(d, "position.t", 3000.0), "commands": d["commands"] + [
        {"t": d["position"]["t"], "command": "scale", "args": {"deployment": "web", "replicas": 400}}]},
     "position.t", "replaying 3000 steps with up to 400 pods"),
    ("refused-when-replayed", lambda d: _with(d, "commands.1.args.deployment", "nope"), "commands[1]",
     'deployments.apps "nope" not found'),
    ("position-not-reached", lambda d: _with(d, "position.seq", 3), "position.seq", "the replay reaches seq"),
    ("broken-start-state", lambda d: {**d, "start": {"t": 0, "seq": 1, "manifests": {}, "state": {"version": 4}}},
     "start.state", "does not load"),
]


@pytest.mark.parametrize("case, change, field, message", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_scenario_is_refused_with_its_field_and_nothing_is_created(client, scenario, case, change, field,
                                                                         message):
    before = Simulation.objects.count()
    answer = post_json(client, "/api/simulations/import", change(scenario))
    assert answer.status_code == 400, answer.content
    errors = answer.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors
    if case == "invalid-manifest":
        assert errors[0]["line"] == 4  # the line in the manifest's text
    assert Simulation.objects.count() == before


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(client, scenario):
    with override_settings(SCENARIO_MAX_BYTES=1000):
        answer = post_json(client, "/api/simulations/import", scenario)
    assert answer.status_code == 413 and "larger than 1000 bytes" in answer.json()["errors"][0]["message"]
    assert Simulation.objects.count() == 1


def test_importing_needs_a_session_or_the_operator(rolled, scenario):
    viewer_link = links.link_create(simulation_id=rolled.id, role="view")
    token = Client(HTTP_AUTHORIZATION=f"Bearer {viewer_link.token}")
    assert post_json(token, "/api/simulations/import", scenario).status_code == 403
    assert post_json(Client(HTTP_AUTHORIZATION="Bearer made-up"), "/api/simulations/import", scenario).status_code == 401
    browser = Client(enforce_csrf_checks=True)
    assert post_json(browser, "/api/simulations/import", scenario).status_code == 403  # no CSRF token
    browser.get("/")
    answer = post_json(browser, "/api/simulations/import", scenario, HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    assert answer.status_code == 201 and answer.json()["role"] == "owner"
    assert Client().get(f"/api/simulations/{answer.json()['id']}/").status_code == 404  # a stranger's view


def test_exporting_needs_the_view_role(rolled):
    assert Client().get(f"/api/simulations/{rolled.id}/export").status_code == 404
    viewer = Client(HTTP_AUTHORIZATION=f"Bearer {links.link_create(simulation_id=rolled.id, role='view').token}")
    assert viewer.get(f"/api/simulations/{rolled.id}/export").status_code == 200


def _event_writes(sim_id: int) -> list[dict]:
    """Every event write in the record, read independently: the cluster replayed step by step."""
    sim = Simulation.objects.get(pk=sim_id)
    document = scenarios.scenario_export(simulation_id=sim_id)
    cluster = Cluster(seed=sim.seed, tick=sim.tick)
    writes, entries = [], iter(document["commands"])
    entry = next(entries, None)
    while True:
        while entry is not None and entry["t"] == cluster.now:
            method, _, renames = scenarios.fmt.NAMED[entry["command"]]
            back = {api: name for name, api in renames.items()}
            getattr(cluster, method)(**{back[k]: v for k, v in entry["args"].items()})
            writes += [(cluster.now, r) for r in cluster.take_changes()]
            entry = next(entries, None)
        if cluster.now >= sim.sim_time:
            return writes
        writes += [(cluster.now, r) for r in cluster.step()]


def test_the_event_log_as_json_and_csv(client, rolled):
    expected = [(t, r["object"]) for t, r in _event_writes(rolled.id) if r["type"] == "EVENT"]
    assert len(expected) > 10
    answer = client.get(f"/api/simulations/{rolled.id}/events")
    body = json.loads(b"".join(answer.streaming_content))
    assert [(e["t"], e["reason"], e["message"]) for e in body["events"]] == \
        [(t, ev["reason"], ev["message"]) for t, ev in expected]
    assert body["events"][0]["object"].startswith("deployment/web")
    text = b"".join(client.get(f"/api/simulations/{rolled.id}/events?format=csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["t", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert [row[1:] for row in rows[1:]] == [
        [e["last_seen"], e["type"], e["reason"], e["object"], e["message"]] for e in body["events"]]
    assert any('"' in row[5] for row in rows[1:]), "a message with quotes is in the log (quoting is exercised)"
    assert '""' in text  # written doubled, as RFC 4180 quotes them


def test_the_pods_watch_transcript_is_what_kubectl_prints(client, rolled):
    writes = [(t, r["object"]) for t, r in _event_writes(rolled.id) if r.get("kind") == "Pod"]
    header = "NAME\tREADY\tSTATUS\tRESTARTS\tAGE\n"
    expected = "".join(tabwrite((header if n == 0 else "") + "\t".join(pod_row(pod, t)) + "\n", 6, 3)
                       for n, (t, pod) in enumerate(writes))
    answer = client.get(f"/api/simulations/{rolled.id}/transcript?resource=pods")
    assert answer["Content-Type"] == "text/plain; charset=utf-8"
    text = b"".join(answer.streaming_content).decode()
    assert text == expected
    lines = text.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert sum(line.split()[0].startswith("NAME") for line in lines) == 1
    assert {"Pending", "ContainerCreating", "Running", "Terminating"} <= {line.split()[2] for line in lines[1:]}
    bad = client.get(f"/api/simulations/{rolled.id}/transcript?resource=deployments")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "resource"


def test_the_embed_player_renders_read_only_for_a_view_token(rolled, settings):
    link = links.link_create(simulation_id=rolled.id, role="view")
    page = Client().get(f"/embed/{link.token}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-page="embed"' in body and f'data-sim-id="{rolled.id}"' in body
    assert 'id="timeline"' in body and 'id="replica-chart"' in body
    assert 'id="editor"' not in body and 'id="actions"' not in body and "Apply" not in body
    assert "frame-ancestors 'self'" in page["Content-Security-Policy"]
    assert "X-Frame-Options" not in page
    settings.EMBED_FRAME_ANCESTORS = ["'self'", "https://slides.example.org"]
    page = Client().get(f"/embed/{link.token}/")
    assert "frame-ancestors 'self' https://slides.example.org" in page["Content-Security-Policy"]
    # every other page keeps refusing frames
    other = Client().get("/")
    assert other["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in other["Content-Security-Policy"]


def test_a_revoked_unknown_or_edit_token_gets_no_player(rolled):
    link = links.link_create(simulation_id=rolled.id, role="view")
    links.link_revoke(simulation_id=rolled.id, token=link.token)
    edit = links.link_create(simulation_id=rolled.id, role="edit")  # would let a course page's readers drive it
    for token in (link.token, "made-up", links.operator_link().token, edit.token):
        page = Client().get(f"/embed/{token}/")
        assert page.status_code == 404 and b"data-sim-id" not in page.content
