"""The lesson's shared step (GET/POST …/lesson and its stream message) and the refusal check of
rollout commands (POST …/commands/<name>/check), over HTTP and the WebSocket."""
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from rolloutviz import demos
from rolloutviz.models import Simulation
from rolloutviz.routing import websocket_urlpatterns
from rolloutviz.services import lesson, live
from rolloutviz.services.links import operator_link

pytestmark = pytest.mark.django_db(transaction=True)
DEMO = "nginx-docs"
STEPS = len(demos.get_demo(DEMO).steps)
WEB = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx:1.14.2}]}
"""


def post(client, url, body=None):
    return client.post(url, json.dumps(body if body is not None else {}), content_type="application/json")


@pytest.fixture
def owner():
    """A presenter's browser with a simulation made from the nginx demo."""
    browser = Client()
    made = post(browser, "/api/simulations/", {"demo": DEMO})
    assert made.status_code == 201, made.content
    browser.url = f"/api/simulations/{made.json()['id']}/"
    return browser


def opened(owner, role: str) -> Client:
    link = post(owner, owner.url + "links", {"role": role}).json()
    browser = Client()
    assert browser.get(link["url"]).status_code == 302
    return browser


def test_the_step_starts_at_the_first_and_persists(owner):
    assert owner.get(owner.url + "lesson").json() == {"step": 0, "steps": STEPS}
    moved = post(owner, owner.url + "lesson", {"step": STEPS - 1})
    assert moved.status_code == 200 and moved.json() == {"step": STEPS - 1, "steps": STEPS}
    assert owner.get(owner.url + "lesson").json() == {"step": STEPS - 1, "steps": STEPS}


@pytest.mark.parametrize("body, says", [
    ({}, "step: Required value"),
    ({"step": None}, "step: Required value"),
    ({"step": True}, "step: Invalid value: true: must be an integer"),
    ({"step": "2"}, 'step: Invalid value: "2": must be an integer'),
    ({"step": 1.5}, "step: Invalid value: 1.5: must be an integer"),
    ({"step": -1}, f"step: Invalid value: -1: must be between 0 and {STEPS - 1} (the tutorial has {STEPS} steps)"),
    ({"step": STEPS}, f"step: Invalid value: {STEPS}: must be between 0 and {STEPS - 1}"),
    ({"step": 2**70}, f"step: Invalid value: {2**70}: must be between 0 and {STEPS - 1}"),
], ids=["missing", "null", "bool", "string", "float", "negative", "past-the-end", "huge"])
def test_a_bad_step_is_refused_and_changes_nothing(owner, body, says):
    post(owner, owner.url + "lesson", {"step": 1})
    answer = post(owner, owner.url + "lesson", body)
    assert answer.status_code == 400, answer.content
    [error] = answer.json()["errors"]
    assert error["field"] == "step" and error["message"].startswith(says), error
    assert owner.get(owner.url + "lesson").json()["step"] == 1


def test_a_simulation_without_a_tutorial_has_no_step_to_move():
    browser = Client()
    url = f"/api/simulations/{post(browser, '/api/simulations/', {}).json()['id']}/"
    assert browser.get(url + "lesson").json() == {"step": 0, "steps": 0}
    answer = post(browser, url + "lesson", {"step": 0})
    assert answer.status_code == 400 and "has no tutorial" in answer.json()["errors"][0]["message"]


@pytest.mark.parametrize("role, read, write", [("view", 200, 403), ("edit", 200, 200)])
def test_a_viewer_reads_the_step_and_only_an_editor_moves_it(owner, role, read, write):
    browser = opened(owner, role)
    assert browser.get(owner.url + "lesson").status_code == read
    answer = post(browser, owner.url + "lesson", {"step": 2})
    assert answer.status_code == write, answer.content
    assert owner.get(owner.url + "lesson").json()["step"] == (2 if write == 200 else 0)


def test_a_stranger_sees_no_lesson(owner):
    assert Client().get(owner.url + "lesson").status_code == 404
    assert post(Client(), owner.url + "lesson", {"step": 1}).status_code == 404


async def test_every_viewer_hears_the_new_step(settings):
    settings.CLOCK_MODE = "external"
    live.forget()
    sim_id, token = await database_sync_to_async(
        lambda: (Simulation.objects.create(name="lesson", demo=DEMO).id, operator_link().token))()
    client = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/simulations/{sim_id}/?token={token}")
    try:
        assert (await client.connect(timeout=5))[0]
        assert json.loads(await client.receive_from(timeout=5))["type"] == "snapshot"
        await database_sync_to_async(lesson.lesson_set)(simulation_id=sim_id, step=3)
        message = json.loads(await client.receive_from(timeout=5))
        assert message == {"v": 2, "type": "lesson", "sim": sim_id, "step": 3, "steps": STEPS}
    finally:
        await client.disconnect()
        await get_channel_layer().flush()
        live.forget()


# ---------------------------------------------------------------- refusal before a preview


@pytest.fixture
def web(client):
    """A simulation (as the operator) with "web" applied, run a little, then set to a second image."""
    url = f"/api/simulations/{post(client, '/api/simulations/', {}).json()['id']}/"
    assert post(client, url + "apply", {"yaml": WEB}).status_code == 200
    assert post(client, url + "commands/step", {"count": 5}).status_code == 200
    client.url = url
    return client


UNDO_PAUSED = ("you cannot rollback a paused deployment; resume it first with "
               "'kubectl rollout resume deployment/web' and try again")


@pytest.mark.parametrize("setup, name, body, refusal", [
    ([], "undo", {"deployment": "web"}, 'no rollout history found for deployment "web"'),
    (["set-image"], "undo", {"deployment": "web"}, None),
    (["set-image", "pause"], "undo", {"deployment": "web"}, UNDO_PAUSED),
    (["set-image", "pause"], "undo", {"deployment": "web", "to_revision": 9},
     "unable to find specified revision 9 in history"),
    (["pause"], "pause", {"deployment": "web"}, 'deployments.apps "web" is already paused'),
    ([], "pause", {"deployment": "web"}, None),
    ([], "resume", {"deployment": "web"}, 'deployments.apps "web" is not paused'),
    (["pause"], "resume", {"deployment": "web"}, None),
    (["pause"], "restart", {"deployment": "web"},
     'deployments.apps "web" can\'t restart paused deployment (run rollout resume first)'),
    ([], "undo", {"deployment": "nope"}, 'deployments.apps "nope" not found'),
], ids=["undo-no-history", "undo-ok", "undo-paused", "undo-missing-revision-first", "pause-paused", "pause-ok",
        "resume-not-paused", "resume-ok", "restart-paused", "unknown-deployment"])
def test_the_check_says_what_the_command_would_answer(web, setup, name, body, refusal):
    for step in setup:
        extra = {"container": "app", "image": "nginx:1.16.1"} if step == "set-image" else {}
        assert post(web, web.url + f"commands/{step}", {"deployment": "web", **extra}).status_code == 200
    seq = web.get(web.url + "timeline").json()
    checked = post(web, web.url + f"commands/{name}/check", body)
    assert checked.status_code == 200 and checked.json() == {"refusal": refusal}
    assert web.get(web.url + "timeline").json() == seq  # nothing ran, nothing was recorded
    ran = post(web, web.url + f"commands/{name}", body)
    if refusal is None:
        assert ran.status_code == 200, ran.content
    else:  # the command itself answers the same words
        assert ran.json()["errors"][0]["message"] == refusal


@pytest.mark.parametrize("name, body, status", [
    ("scale", {"deployment": "web", "replicas": 2}, 404),
    ("explode", {}, 404),
    ("undo", {}, 400),
    ("undo", {"deployment": "web", "extra": 1}, 400),
    ("undo", {"deployment": "web", "to_revision": "two"}, 400),
    ("pause", {"deployment": ""}, 400),
], ids=["no-check-for-scale", "unknown-command", "missing-deployment", "unknown-field", "bad-revision", "empty-name"])
def test_a_bad_check_is_refused(web, name, body, status):
    answer = post(web, web.url + f"commands/{name}/check", body)
    assert answer.status_code == status, answer.content
    assert answer.json()["errors"][0]["message"]


def test_a_viewer_may_ask_what_an_undo_would_answer(owner):
    assert post(owner, owner.url + "commands/pause", {"deployment": "nginx-deployment"}).status_code == 200
    answer = post(opened(owner, "view"), owner.url + "commands/pause/check", {"deployment": "nginx-deployment"})
    assert answer.status_code == 200
    assert answer.json() == {"refusal": 'deployments.apps "nginx-deployment" is already paused'}
