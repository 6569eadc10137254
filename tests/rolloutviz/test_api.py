"""The JSON API: every endpoint, its status codes, bad input and CSRF enforcement."""
import json

import pytest
from django.test import Client

from rolloutviz.models import Simulation
from simulator.api.yaml_source import MAX_MANIFEST_BYTES

pytestmark = pytest.mark.django_db(transaction=True)


def post(client, url, body=None, **extra):
    return client.post(url, json.dumps(body) if body is not None else "",
                       content_type="application/json", **extra)


@pytest.fixture
def sim_url(simulation, client, web_yaml):
    """The URL of a simulation with the "web" Deployment applied and 20 s run."""
    url = f"/api/simulations/{simulation.id}/"
    assert post(client, url + "apply", {"yaml": web_yaml()}).status_code == 200
    assert post(client, url + "commands/step", {"count": 20}).status_code == 200
    return url


def test_demos(client):
    answer = client.get("/api/demos/")
    assert answer.status_code == 200
    keys = [d["key"] for d in answer.json()]
    assert keys == ["hellok8s", "nginx-docs", "replicaset-practice", "k8s-in-action",
                    "zero-downtime"]
    assert all(d["steps"] and d["title"] and d["description"] for d in answer.json())


def test_create_list_get_delete(client):
    created = post(client, "/api/simulations/", {"demo": "hellok8s", "seed": 3})
    assert created.status_code == 201
    sim_id = created.json()["id"]
    assert created.json()["seed"] == 3
    listed = client.get("/api/simulations/").json()
    assert [(s["id"], s["running"]) for s in listed] == [(sim_id, False)]
    state = client.get(f"/api/simulations/{sim_id}/").json()
    assert set(state) >= {"sim", "seq", "t", "clock", "objects", "events", "deployments",
                          "timeline"}
    assert "hellok8s-deployment" in state["deployments"]
    assert client.delete(f"/api/simulations/{sim_id}/").status_code == 204
    assert client.get(f"/api/simulations/{sim_id}/").status_code == 404
    assert client.delete(f"/api/simulations/{sim_id}/").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [({"seed": "x"}, "seed"), ({"demo": "nope"}, "demo"), ({"colour": "red"}, "colour"), ({"name": "a\u0000b"}, "name")],
    ids=["seed", "demo", "unknown-field", "nul-in-name"],
)
def test_create_bad_input(client, body, field):
    answer = post(client, "/api/simulations/", body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == field
    assert not Simulation.objects.exists()


@pytest.mark.parametrize(
    "raw", ["{not json", "[1, 2]", "\"text\""], ids=["malformed", "array", "string"])
def test_body_must_be_a_json_object(client, raw):
    answer = client.post("/api/simulations/", raw, content_type="application/json")
    assert answer.status_code == 400
    assert set(answer.json()["errors"][0]) == {"field", "message", "line"}


def test_apply_errors_carry_field_and_line(client, simulation, web_yaml):
    url = f"/api/simulations/{simulation.id}/apply"
    assert post(client, url, {"yaml": web_yaml()}).json() == {
        "results": ["deployment.apps/web created"]}
    answer = post(client, url, {"yaml": web_yaml(replicas=-2)})
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["field"] == "spec.replicas" and error["line"] == 6
    syntax = post(client, url, {"yaml": "kind: [\n"})
    assert syntax.status_code == 400 and syntax.json()["errors"][0]["line"] is not None
    assert post(client, url, {"yaml": "x: " + "a" * MAX_MANIFEST_BYTES}).status_code == 413
    assert post(client, url, {}).status_code == 400
    assert post(client, "/api/simulations/999/apply", {"yaml": web_yaml()}).status_code == 404


def test_diff(client, sim_url, web_yaml):
    answer = post(client, sim_url + "diff", {"yaml": web_yaml(image="nginx:1.16.1")})
    assert answer.status_code == 200
    assert "+    - image: nginx:1.16.1" in answer.json()["diff"]
    assert post(client, sim_url + "diff", {"yaml": web_yaml()}).json() == {"diff": ""}
    assert post(client, sim_url + "diff", {"yaml": ": :"}).status_code == 400


@pytest.mark.parametrize(
    "name, body, status, result",
    [
        ("scale", {"deployment": "web", "replicas": 2}, 200, "deployment.apps/web scaled"),
        ("set-image", {"deployment": "web", "container": "app", "image": "nginx:1.16.1"}, 200,
         "deployment.apps/web image updated"),
        ("pause", {"deployment": "web"}, 200, "deployment.apps/web paused"),
        ("resume", {"deployment": "web"}, 409, None),
        ("restart", {"deployment": "web"}, 200, "deployment.apps/web restarted"),
        ("delete-pod", {"deployment": "web"}, 200, None),
        ("node", {"node": "__first__", "ready": False}, 200, None),
        ("clock", {"running": True, "speed": 2}, 200, None),
        ("step", {"count": 2}, 200, None),
        ("undo", {"deployment": "web", "to_revision": None}, 409, None),
        ("reset", {}, 200, None),
        ("undo", {"deployment": "web", "to_revision": 7}, 409, None),
        ("scale", {"deployment": "web"}, 400, None),
        ("scale", {"deployment": "web", "replicas": 2, "extra": 1}, 400, None),
        ("scale", {"deployment": "nope", "replicas": 2}, 404, None),
        ("clock", {"speed": 3}, 400, None),
        ("explode", {}, 404, None),
        ("traffic", {"service": "nope", "rate": 5}, 404, None),
        ("traffic", {"service": "web", "rate": "fast"}, 400, None),
    ],
    ids=["scale", "set-image", "pause", "resume-not-paused", "restart", "delete-pod", "node", "clock",
         "step", "undo-null-revision-no-history", "reset", "undo-missing-revision", "missing-field", "unknown-field",
         "missing-deployment", "bad-speed", "unknown-command", "traffic-no-service", "traffic-bad-rate"],
)
def test_commands(client, sim_url, name, body, status, result):
    if body.get("node") == "__first__":
        nodes = client.get(sim_url + "objects/nodes/").json()["items"]
        body = {**body, "node": nodes[0]["metadata"]["name"]}
    answer = post(client, sim_url + f"commands/{name}", body)
    assert answer.status_code == status, answer.content
    if status == 200 and result is not None:
        assert answer.json() == {"result": result}
    if status != 200:
        assert answer.json()["errors"][0]["message"]


def test_undo_while_paused_is_refused(client, sim_url):
    # kubectl looks the target revision up before refusing a paused Deployment, so there
    # must be an earlier revision to go back to
    post(client, sim_url + "commands/set-image",
         {"deployment": "web", "container": "app", "image": "nginx:1.16.1"})
    post(client, sim_url + "commands/pause", {"deployment": "web"})
    answer = post(client, sim_url + "commands/undo", {"deployment": "web"})
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["message"] == (
        "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/web' and try again")


def test_history_timeline_export_kubectl(client, sim_url):
    found = client.get(sim_url + "history/web/")
    assert found.status_code == 200 and found.json()["history"][0]["revision"] == 1
    assert client.get(sim_url + "history/web/?revision=1").status_code == 200
    assert client.get(sim_url + "history/web/?revision=9").status_code == 404
    assert client.get(sim_url + "history/web/?revision=x").status_code == 400
    assert client.get(sim_url + "history/nope/").status_code == 404
    window = client.get(sim_url + "timeline?since=1&until=3").json()
    assert [d["t"] for d in window["deltas"]] == [1.0, 2.0, 3.0]
    assert client.get(sim_url + "timeline?since=soon").status_code == 400
    exported = client.get(sim_url + "history.json")
    assert exported["Content-Disposition"].startswith("attachment")
    assert len(json.loads(b"".join(exported.streaming_content))["deltas"]) == 21
    scenario = client.get(sim_url + "export")
    assert scenario["Content-Disposition"].startswith("attachment")
    assert scenario.json()["kind"] == "RolloutvizScenario"
    text = client.get(sim_url + "kubectl", {"args": "get pods"}).json()["text"]
    assert text.startswith("NAME")
    assert client.get(sim_url + "kubectl", {"args": "rollout undo deployment/web"}
                      ).status_code == 400


SERVICE = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n"
           "  ports:\n  - port: 80\n")


@pytest.mark.parametrize("rate, path, answer, counted", [
    (10, "/", "service/web: 10 requests/s to / on port 80", {"Welcome to nginx!": 50}),
    (1001, "/", None, None),
    (0, "/", "service/web: traffic stopped", {}),
], ids=["ten-per-second", "over-the-cap", "stop"])
def test_traffic_through_a_service(client, sim_url, rate, path, answer, counted):
    assert post(client, sim_url + "apply", {"yaml": SERVICE}).status_code == 200
    # kube-proxy learns of the Service's endpoints a propagation delay (1 s) after they exist
    assert post(client, sim_url + "commands/step", {"count": 2}).status_code == 200
    sent = post(client, sim_url + "commands/traffic", {"service": "web", "rate": rate, "path": path})
    if answer is None:
        assert sent.status_code == 409
        assert sent.json()["errors"][0]["message"] == "rate 1001 is above the limit of 1000 requests per second"
        return
    assert sent.json() == {"result": answer}
    assert post(client, sim_url + "commands/step", {"count": 5}).status_code == 200
    traffic = client.get(sim_url + "explanations").json()["traffic"]
    if not counted:
        assert traffic == {} or traffic["web"]["sent"] == 0
        return
    assert traffic["web"]["answers"] == counted and traffic["web"]["failed"] == 0, traffic
    assert client.get(sim_url + "kubectl", {"args": "get svc"}).json()["text"].startswith("NAME")
    assert client.get(sim_url + "kubectl", {"args": "get endpointslices"}).json()["text"].startswith("NAME")
    assert client.get(sim_url + "kubectl", {"args": "describe svc web"}).json()["text"].startswith("Name:")
    assert client.get(sim_url + "kubectl", {"args": "describe service/nope"}).status_code == 404


def test_explanations_say_why_with_countdowns_and_notes(client, sim_url):
    assert post(client, sim_url + "commands/set-image",
                {"deployment": "web", "container": "app", "image": "nginx:1.161"}).status_code == 200
    assert post(client, sim_url + "commands/step", {"count": 30}).status_code == 200
    answer = client.get(sim_url + "explanations")
    assert answer.status_code == 200
    body = answer.json()
    web = body["deployments"]["web"]
    assert web["reason"] == "WaitingForNewPods" and web["message"].startswith("old ReplicaSet not scaled down")
    assert web["new_pods"]["message"] == "rollout stalled: image pull failing on 1 new pod"
    assert {c["what"] for c in body["countdowns"]} >= {"ImagePullBackOff", "progressDeadlineSeconds"}
    assert all(c["at"] >= body["t"] for c in body["countdowns"])
    assert body["notes"] == []


@pytest.mark.parametrize(
    "method, path",
    [
        ("put", "simulations/"),
        ("post", "demos/"),
        ("get", "simulations/{id}/apply"),
        ("get", "simulations/{id}/commands/scale"),
        ("post", "simulations/{id}/export"),
        ("patch", "simulations/{id}/"),
    ],
    ids=["put-simulations", "post-demos", "get-apply", "get-command", "post-export",
         "patch-simulation"],
)
def test_wrong_method_is_405(client, simulation, method, path):
    answer = getattr(client, method)("/api/" + path.format(id=simulation.id))
    assert answer.status_code == 405
    assert answer["Allow"]


def test_csrf_is_enforced_on_changes(simulation, web_yaml, django_user_model):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(django_user_model.objects.create_superuser("strict", password="x"))
    url = f"/api/simulations/{simulation.id}/"
    refused = [
        post(strict, "/api/simulations/", {}),
        post(strict, url + "apply", {"yaml": web_yaml()}),
        post(strict, url + "commands/step", {}),
        strict.delete(url),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert "CSRF" in refused[0].json()["errors"][0]["message"]
    assert Simulation.objects.get(pk=simulation.id).seq == 0
    strict.get("/api/simulations/")  # sets the csrftoken cookie, as the page does
    token = strict.cookies["csrftoken"].value
    accepted = post(strict, url + "apply", {"yaml": web_yaml()}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200


def test_a_form_body_is_refused(client, simulation):
    answer = client.post(f"/api/simulations/{simulation.id}/commands/step", {"count": "1"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"].startswith("request body: ")


def test_apply_returns_every_error_with_its_line(client, simulation):
    text = (
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: Web_1\n"
        "spec:\n"
        "  replicas: -1\n"
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
    )
    answer = post(client, f"/api/simulations/{simulation.id}/apply", {"yaml": text})
    assert answer.status_code == 400
    found = {e["field"]: e["line"] for e in answer.json()["errors"]}
    assert found["metadata.name"] == 4
    assert found["spec.replicas"] == 6
    assert found["spec.template.spec.containers[0].image"] == 16
    assert client.get(f"/api/simulations/{simulation.id}/objects/deployments/").json() == {"items": []}


# ---------------------------------------------------------------- limits before any work


def record_of(sim_id: int) -> tuple:
    """What a refused request must leave as it was: the row's seq and time, commands, deltas."""
    sim = Simulation.objects.get(pk=sim_id)
    return sim.seq, sim.sim_time, sim.commands.count(), sim.ticks.count(), sim.running


DEEP = "[" * 100_000 + "]" * 100_000
INT32_OVER, INT64_OVER = 2**31, 2**63


@pytest.mark.parametrize(
    "method, path, raw, status, field, says",
    [
        ("post", "apply", '{"yaml": ' + DEEP + "}", 400, None, "nested deeper than 32"),
        ("post", "commands/step", '{"count": ' + DEEP + "}", 413, None, "larger than 16384 bytes"),
        ("post", "apply", '{"yaml": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}", 400, None,
         "nested deeper than 32"),
        ("post", "commands/clock", '{"speed": NaN}', 400, None, "NaN is not a JSON value"),
        ("post", "commands/clock", '{"speed": Infinity}', 400, None, "Infinity is not a JSON value"),
        ("post", "commands/clock", '{"speed": 1e400}', 400, None, "number out of range: 1e400"),
        ("post", "commands/step", '{"count": ' + "9" * 5000 + "}", 400, None, "invalid JSON"),
        ("post", "commands/step", '{"count": 0}', 400, "count", "from 1 to 3600"),
        ("post", "commands/step", '{"count": 3601}', 400, "count", "from 1 to 3600"),
        ("post", "commands/step", '{"count": 1.5}', 400, "count", "from 1 to 3600"),
        ("post", "commands/scale", json.dumps({"deployment": "web", "replicas": INT32_OVER}), 400,
         "replicas", "cannot unmarshal number 2147483648 into Go struct field ScaleSpec.spec.replicas of type int32"),
        ("post", "commands/scale", json.dumps({"deployment": "web", "replicas": INT64_OVER}), 400,
         "replicas", "of type int32"),
        ("post", "commands/scale", json.dumps({"deployment": "web", "replicas": -(2**31) - 1}), 400,
         "replicas", "of type int32"),
        ("post", "commands/undo", json.dumps({"deployment": "web", "to_revision": INT64_OVER}), 400,
         "to_revision", 'for "--to-revision" flag: strconv.ParseInt'),
        ("post", "commands/step", '{"count": 1, "pad": "' + "x" * 20_000 + '"}', 413, None,
         "larger than 16384 bytes"),
        ("post", "apply", json.dumps({"yaml": "x: " + "a" * (4 * MAX_MANIFEST_BYTES)}), 413, None,
         "larger than 1048576 bytes"),
        ("get", "timeline?since=nan", None, 400, "since", "must be a number of seconds"),
        ("get", "timeline?until=inf", None, 400, "until", "must be a number of seconds"),
        ("get", "timeline?since=-Infinity", None, 400, "since", "must be a number of seconds"),
        ("get", "history/web/?revision=" + "9" * 5000, None, 400, "revision", "revision number"),
        ("get", "history/web/?revision=-1", None, 400, "revision", "revision number"),
        ("get", "history/web/?revision=%C2%B2", None, 400, "revision", "revision number"),
        ("get", "kubectl?args=get+pods+" + "x" * 1000, None, 400, "args", "longer than 1000"),
    ],
    ids=["deep-json-100000", "deep-json-100000-in-a-command", "deep-json-in-apply", "NaN", "Infinity", "float-overflow", "5000-digit-int",
         "step-0", "step-3601", "step-float", "scale-int32+1", "scale-2^63", "scale-int32-min-1",
         "undo-2^63", "command-body-over-16KiB", "apply-body-over-1MiB", "timeline-since-nan",
         "timeline-until-inf", "timeline-since-minus-infinity", "revision-5000-digits",
         "revision-negative", "revision-superscript-two", "kubectl-args-too-long"],
)
def test_limits_refuse_before_any_work(client, sim_url, method, path, raw, status, field, says):
    sim_id = int(sim_url.split("/")[-2])
    before = record_of(sim_id)
    if method == "post":
        answer = client.post(sim_url + path, raw, content_type="application/json")
    else:
        answer = client.get(sim_url + path)
    assert answer.status_code == status, answer.content[:300]
    (found,) = answer.json()["errors"]
    assert set(found) == {"field", "message", "line"}
    assert found["field"] == field and says in found["message"], found
    assert record_of(sim_id) == before


def test_a_declared_content_length_over_the_cap_is_refused_unread(client, sim_url):
    # The declared length alone decides: the body is never read.
    answer = client.post(sim_url + "commands/step", "{}", content_type="application/json",
                         CONTENT_LENGTH=str(10**9))
    assert answer.status_code == 413
    assert "larger than 16384 bytes" in answer.json()["errors"][0]["message"]



@pytest.mark.parametrize("path", ["", "timeline", "export", "kubectl?args=get+pods", "history/web/"],
                         ids=["state", "timeline", "export", "kubectl", "history"])
def test_reading_a_simulation_keeps_it_watched(client, sim_url, path):
    from rolloutviz.services import watching

    sim_id = int(sim_url.split("/")[-2])
    Simulation.objects.filter(pk=sim_id).update(last_watched=None)
    watching._written.clear()  # the per-process throttle: this request is the first in a while
    assert client.get(sim_url + path).status_code == 200
    assert Simulation.objects.get(pk=sim_id).last_watched is not None
