"""Who may do what, over HTTP and the WebSocket: stranger, viewer, editor, owner, operator, and
bearer tokens (good, read-only, revoked, made up); share links, their revocation, and copies."""
import asyncio
import json

import pytest
from channels.sessions import SessionMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client

from rolloutviz import permissions
from rolloutviz.models import Link, Simulation, TickRecord
from rolloutviz.routing import websocket_urlpatterns
from rolloutviz.services import links, live

pytestmark = pytest.mark.django_db(transaction=True)

ONE_POD = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx:1.14.2}]}
"""


def post(client, url, body=None, **extra):
    return client.post(url, json.dumps(body if body is not None else {}), content_type="application/json", **extra)


@pytest.fixture
def owner():
    """A presenter's browser (no account) with a simulation it made, one pod applied."""
    browser = Client()
    made = post(browser, "/api/simulations/", {"name": "class demo"})
    assert made.status_code == 201 and made.json()["role"] == "owner"
    sim_id = made.json()["id"]
    assert post(browser, f"/api/simulations/{sim_id}/apply", {"yaml": ONE_POD}).status_code == 200
    browser.sim_id = sim_id
    return browser


def share(owner, role: str) -> dict:
    answer = post(owner, f"/api/simulations/{owner.sim_id}/links", {"role": role})
    assert answer.status_code == 201, answer.content
    return answer.json()


def opened(link: dict) -> Client:
    """A browser that opened a link: the page loads without the token in its address."""
    browser = Client()
    answer = browser.get(link["url"])
    assert answer.status_code == 302 and answer["Location"] == link["url"].split("?")[0].split("testserver")[1]
    return browser


def callers(owner, django_user_model) -> dict:
    view, edit = share(owner, "view"), share(owner, "edit")
    revoked = share(owner, "edit")
    links.link_revoke(simulation_id=owner.sim_id, token=revoked["token"])
    operator = Client()
    operator.force_login(django_user_model.objects.create_superuser("admin", password="x"))

    def bearer(token):
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}", enforce_csrf_checks=True)

    return {
        "stranger": Client(), "viewer": opened(view), "editor": opened(edit), "owner": owner, "operator": operator,
        "bearer-view": bearer(view["token"]), "bearer-edit": bearer(edit["token"]),
        "bearer-revoked": bearer(revoked["token"]), "bearer-made-up": bearer("made-up"),
    }


# (name, method, path under /api/simulations/<id>/, body) and the status each caller gets.
REQUESTS = {
    "state": ("GET", "", None),
    "timeline": ("GET", "timeline", None),
    "history.json": ("GET", "history.json", None),
    "events": ("GET", "events?format=csv", None),
    "transcript": ("GET", "transcript?resource=pods", None),
    "kubectl": ("GET", "kubectl?args=get+pods", None),
    "explanations": ("GET", "explanations", None),
    "history": ("GET", "history/web/", None),
    "export": ("GET", "export", None),
    "diff": ("POST", "diff", {"yaml": ONE_POD}),
    "whatif": ("POST", "whatif", {"yaml": ONE_POD.replace("nginx:1.14.2", "nginx:1.16.1")}),
    "copy": ("POST", "copy", {}),
    "lesson": ("GET", "lesson", None),
    "check": ("POST", "commands/pause/check", {"deployment": "web"}),
    "rewind": ("GET", "state?seq=1", None),
    "playback": ("GET", "deltas?after=0&upto=1", None),
    "copy-at": ("POST", "copy", {"seq": 1}),
    "apply": ("POST", "apply", {"yaml": ONE_POD.replace("replicas: 1", "replicas: 2")}),
    "step": ("POST", "commands/step", {"count": 1}),
    "clock": ("POST", "commands/clock", {"speed": 2}),
    "lesson-step": ("POST", "lesson", {"step": 0}),
    "links": ("GET", "links", None),
    "new-link": ("POST", "links", {"role": "view"}),
    "delete": ("DELETE", "", None),
}
READS = {"state": 200, "timeline": 200, "kubectl": 200, "explanations": 200, "history": 200, "export": 200, "diff": 200,
         "whatif": 200, "copy": 201, "rewind": 200, "playback": 200, "copy-at": 201}
EDITS = {"apply": 200, "step": 200, "clock": 200}
OWNS = {"links": 200, "new-link": 201, "delete": 204}
READS |= {"history.json": 200, "events": 200, "transcript": 200}  # the record and what it exports
READS.update({"lesson": 200, "check": 200})  # the lesson's step, and whether a command would be refused
EDITS["lesson-step"] = 400  # (this simulation has no tutorial: past the role check, moving its step is a 400)
EXPECTED = {
    "stranger": dict.fromkeys(REQUESTS, 404),
    "viewer": {**READS, **dict.fromkeys(EDITS, 403), **dict.fromkeys(OWNS, 403)},
    "editor": {**READS, **EDITS, **dict.fromkeys(OWNS, 403)},
    "owner": {**READS, **EDITS, **OWNS},
    "operator": {**READS, **EDITS, **OWNS},
    "bearer-view": {**READS, "copy": 403, "copy-at": 403, **dict.fromkeys(EDITS, 403), **dict.fromkeys(OWNS, 403)},
    "bearer-edit": {**READS, "copy": 403, "copy-at": 403, **EDITS, **dict.fromkeys(OWNS, 403)},
    "bearer-revoked": dict.fromkeys(REQUESTS, 401),
    "bearer-made-up": dict.fromkeys(REQUESTS, 401),
}


def send(client, sim_id, request):
    method, path, body = REQUESTS[request]
    url = f"/api/simulations/{sim_id}/{path}"
    if method == "GET":
        return client.get(url)
    if method == "DELETE":
        return client.delete(url)
    return post(client, url, body)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_may_do_what_it_should_and_nothing_more(owner, django_user_model, who):
    client = callers(owner, django_user_model)[who]
    for request_name in REQUESTS:  # in order: the deletion last
        before = Simulation.objects.get(pk=owner.sim_id).seq
        answer = send(client, owner.sim_id, request_name)
        expected = EXPECTED[who][request_name]
        assert answer.status_code == expected, (who, request_name, answer.content[:300])
        if expected >= 400:
            assert answer["Content-Type"] == "application/json" and answer.json()["errors"]
            still = Simulation.objects.filter(pk=owner.sim_id).first()
            assert still is not None and still.seq == before, request_name  # a refusal changes nothing
        if expected == 401:
            assert answer["WWW-Authenticate"].startswith("Bearer")


def test_a_stranger_cannot_tell_a_missing_simulation_from_someone_elses(owner):
    stranger = Client()
    theirs, missing = stranger.get(f"/api/simulations/{owner.sim_id}/"), stranger.get("/api/simulations/999999/")
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json()["errors"][0]["message"] == f"simulation {owner.sim_id} not found"


def test_the_list_shows_what_one_may_see(owner, django_user_model):
    demo = Simulation.objects.create(name="class demo (public)", public=True)
    viewer = opened(share(owner, "view"))
    listed = {who: {(s["id"], s["role"]) for s in client.get("/api/simulations/").json()}
              for who, client in {"owner": owner, "viewer": viewer, "stranger": Client()}.items()}
    assert listed == {"owner": {(owner.sim_id, "owner"), (demo.id, "view")},
                      "viewer": {(owner.sim_id, "view"), (demo.id, "view")},
                      "stranger": {(demo.id, "view")}}


def test_links_are_listed_and_revoking_one_ends_its_grants(owner):
    viewer_link, kube = share(owner, "view"), post(owner, f"/api/simulations/{owner.sim_id}/links",
                                                   {"role": "edit", "label": "kubeconfig"}).json()
    listed = owner.get(f"/api/simulations/{owner.sim_id}/links").json()
    assert [(entry["token"], entry["role"], entry["label"]) for entry in listed] == [
        (viewer_link["token"], "view", ""), (kube["token"], "edit", "kubeconfig")]
    assert set(listed[0]) == {"token", "url", "role", "label", "created"}
    assert listed[0]["url"] == f"http://testserver/simulations/{owner.sim_id}/?token={viewer_link['token']}"
    viewer = opened(viewer_link)
    assert viewer.get(f"/api/simulations/{owner.sim_id}/").status_code == 200
    assert owner.delete(f"/api/simulations/{owner.sim_id}/links/{viewer_link['token']}").status_code == 204
    assert viewer.get(f"/api/simulations/{owner.sim_id}/").status_code == 404
    assert viewer.get(viewer_link["url"]).status_code == 404  # the link itself no longer opens
    assert owner.delete(f"/api/simulations/{owner.sim_id}/links/{viewer_link['token']}").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [({"role": "owner"}, "role"), ({"role": "operator"}, "role"), ({}, "role"),
     ({"role": "view", "label": 3}, "label"), ({"role": "view", "label": "a\0b"}, "label"),
     ({"role": "view", "colour": "red"}, "colour")],
    ids=["owner-role", "operator-role", "no-role", "label-type", "label-nul", "unknown-field"],
)
def test_a_bad_link_request_is_refused(owner, body, field):
    answer = post(owner, f"/api/simulations/{owner.sim_id}/links", body)
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == field
    assert not Link.objects.filter(simulation_id=owner.sim_id).exists()


def test_a_link_opens_only_its_own_simulation(owner):
    other = post(owner, "/api/simulations/", {"name": "another"}).json()["id"]
    link = share(owner, "edit")
    browser = Client()
    assert browser.get(f"/simulations/{other}/?token={link['token']}").status_code == 404
    assert browser.get(f"/api/simulations/{other}/").status_code == 404


def test_pages_follow_the_roles(owner):
    stranger = Client()
    page = stranger.get(f"/simulations/{owner.sim_id}/")
    assert page.status_code == 404 and b"data-sim-id" not in page.content
    viewer = opened(share(owner, "view"))
    body = viewer.get(f"/simulations/{owner.sim_id}/").content.decode()
    assert 'data-role="view"' in body and "<title>class demo · watching · rolloutviz</title>" in body
    body = owner.get(f"/simulations/{owner.sim_id}/").content.decode()
    assert 'data-role="owner"' in body


def test_a_copy_is_the_callers_own_with_the_same_state_and_history(owner):
    assert post(owner, f"/api/simulations/{owner.sim_id}/commands/step", {"count": 5}).status_code == 200
    student = opened(share(owner, "view"))
    answer = post(student, f"/api/simulations/{owner.sim_id}/copy")
    assert answer.status_code == 201
    copy = answer.json()
    assert (copy["role"], copy["name"], copy["running"]) == ("owner", "class demo (copy)", False)
    source_state = owner.get(f"/api/simulations/{owner.sim_id}/").json()
    copy_state = student.get(f"/api/simulations/{copy['id']}/").json()
    assert copy_state["seq"] == source_state["seq"] and copy_state["t"] == source_state["t"]
    assert copy_state["objects"] == source_state["objects"]
    assert copy_state["timeline"] == source_state["timeline"]
    # its recorded deltas name the copy
    assert {tick.payload["sim"] for tick in TickRecord.objects.filter(simulation_id=copy["id"])} == {copy["id"]}
    assert len(student.get(f"/api/simulations/{copy['id']}/export").getvalue()) > 0
    # the student experiments; the class's demo does not move
    assert post(student, f"/api/simulations/{copy['id']}/commands/step", {"count": 3}).status_code == 200
    assert owner.get(f"/api/simulations/{owner.sim_id}/").json()["seq"] == source_state["seq"]
    assert owner.get(f"/api/simulations/{copy['id']}/").status_code == 404  # the student's own
    assert post(student, f"/api/simulations/{owner.sim_id}/commands/step", {"count": 1}).status_code == 403


def test_signing_in_keeps_a_browsers_simulations_and_rotates_the_session(owner, django_user_model):
    django_user_model.objects.create_user("teacher", password="s3cret-pass")
    before = owner.cookies["sessionid"].value
    signed_in = owner.post("/accounts/login/", {"username": "teacher", "password": "s3cret-pass"})
    assert signed_in.status_code == 302
    assert owner.cookies["sessionid"].value != before
    assert Simulation.objects.get(pk=owner.sim_id).owner_user.username == "teacher"
    laptop = Client()
    laptop.login(username="teacher", password="s3cret-pass")
    assert {s["id"]: s["role"] for s in laptop.get("/api/simulations/").json()} == {owner.sim_id: "owner"}


# ---------------------------------------------------------------- the socket


def socket(sim_id: int, *, token: str | None = None, client: Client | None = None) -> WebsocketCommunicator:
    """A viewer's socket: with a ``?token=``, or with a browser's session cookie."""
    path = f"/ws/simulations/{sim_id}/" + (f"?token={token}" if token else "")
    headers = [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())] if client else []
    return WebsocketCommunicator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns)), path, headers=headers)


async def first_message(communicator) -> dict:
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return json.loads(await communicator.receive_from(timeout=10))


async def test_sockets_follow_the_roles(settings, owner):
    settings.CLOCK_MODE = "external"
    sim_id = owner.sim_id
    view = await database_sync_to_async(share)(owner, "view")
    stranger = socket(sim_id)
    refused = await first_message(stranger)
    assert refused["type"] == "error" and refused["code"] == "NOT_FOUND"  # no snapshot for a stranger
    assert (await stranger.receive_output(timeout=5))["type"] == "websocket.close"
    for viewer in (socket(sim_id, token=view["token"]), socket(sim_id, client=await database_sync_to_async(opened)(view)),
                   socket(sim_id, client=owner)):
        assert (await first_message(viewer))["type"] == "snapshot"
        await viewer.disconnect()
    made_up = socket(sim_id, token="made-up")
    assert (await first_message(made_up))["type"] == "error"


async def test_revoking_a_link_closes_the_sockets_it_opened_within_seconds(settings, owner):
    settings.CLOCK_MODE = "external"
    sim_id = owner.sim_id
    view, kube = [await database_sync_to_async(share)(owner, role) for role in ("view", "edit")]
    by_token, by_session = socket(sim_id, token=view["token"]), socket(sim_id, client=await database_sync_to_async(opened)(view))
    other = socket(sim_id, token=kube["token"])
    for viewer in (by_token, by_session, other):
        assert (await first_message(viewer))["type"] == "snapshot"
    await database_sync_to_async(lambda: owner.delete(f"/api/simulations/{sim_id}/links/{view['token']}"))()
    for viewer in (by_token, by_session):
        told = json.loads(await viewer.receive_from(timeout=5))
        assert told["type"] == "error" and told["code"] == "NOT_FOUND"
        assert (await viewer.receive_output(timeout=5))["type"] == "websocket.close"
    # the other link's viewer keeps watching: the next step reaches it
    await database_sync_to_async(live.advance)(simulation_id=sim_id, steps=1)
    assert json.loads(await other.receive_from(timeout=5))["type"] == "delta"
    await other.disconnect()


def test_a_server_that_requires_login_lets_only_presenters_make_simulations(owner, settings, django_user_model):
    settings.REQUIRE_LOGIN = True
    visitor = opened(share(owner, "view"))
    refused = [post(visitor, "/api/simulations/", {"name": "mine"}),
               post(visitor, f"/api/simulations/{owner.sim_id}/copy")]
    assert [answer.status_code for answer in refused] == [403, 403]
    assert "sign in" in refused[0].json()["errors"][0]["message"]
    assert visitor.get(f"/api/simulations/{owner.sim_id}/").status_code == 200  # the link still works
    assert 'data-may-create="false"' in visitor.get("/").content.decode()
    django_user_model.objects.create_user("teacher", password="pw")
    assert visitor.login(username="teacher", password="pw")
    assert post(visitor, "/api/simulations/", {"name": "mine"}).status_code == 201
    assert 'data-may-create="true"' in visitor.get("/").content.decode()
