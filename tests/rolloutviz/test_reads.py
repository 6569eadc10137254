"""The polled kubectl and explanations reads over the real ASGI stack (rolloutviz/views/reads.py, with the middleware of
rolloutviz/middleware.py and the kept threads of rolloutviz/request_threads.py): the same answers and
refusals as every API view, JSON on a 500, revocation at once, and no database query on the event
loop (Django's guard is on here: such a query would be a 500)."""
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator
from django.test import Client

from rolloutviz import permissions
from rolloutviz.middleware import Handler
from rolloutviz.request_threads import with_kept_threads
from rolloutviz.services import commands, links

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


@pytest.fixture(autouse=True)
def guarded(monkeypatch):
    """Django's async guard on (the suite turns it off for Playwright), no role remembered from before."""
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    permissions.forget_roles()


@pytest.fixture(scope="module")
def application():
    return with_kept_threads(Handler())


@pytest.fixture
def owner():
    """A presenter's browser with a simulation, one pod applied, and its session cookie."""
    browser = Client()
    made = browser.post("/api/simulations/", {"name": "reads"}, content_type="application/json")
    browser.sim_id = made.json()["id"]
    browser.post(f"/api/simulations/{browser.sim_id}/apply", {"yaml": ONE_POD}, content_type="application/json")
    browser.cookie = f"sessionid={browser.cookies['sessionid'].value}"
    return browser


async def ask(application, path: str, *, method: str = "GET", cookie: str = "", token: str = "") -> tuple[int, dict, dict]:
    headers = [(b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    answer = await HttpCommunicator(application, method, path, headers=headers).get_response(timeout=30)
    return answer["status"], json.loads(answer["body"]), {k.decode().lower(): v.decode() for k, v in answer["headers"]}


def kubectl(sim_id: int, args: str = "get+deploy") -> str:
    return f"/api/simulations/{sim_id}/kubectl?args={args}"


# (name, how the request is made from the owner's browser, status, what the answer says)
CASES = {
    "owner": (lambda o: {"path": kubectl(o.sim_id), "cookie": o.cookie}, 200, "web"),
    "rollout-status": (lambda o: {"path": kubectl(o.sim_id, "rollout+status+deployment/web"), "cookie": o.cookie},
                       200, "deployment"),
    "stranger": (lambda o: {"path": kubectl(o.sim_id)}, 404, "not found"),
    "made-up-token": (lambda o: {"path": kubectl(o.sim_id), "token": "made-up"}, 401, "Unauthorized"),
    "no-such-simulation": (lambda o: {"path": kubectl(o.sim_id + 1000), "cookie": o.cookie}, 404, "not found"),
    "changing-command": (lambda o: {"path": kubectl(o.sim_id, "scale+deployment/web+--replicas=2"),
                                    "cookie": o.cookie}, 400, "changes the cluster"),
    "unknown-command": (lambda o: {"path": kubectl(o.sim_id, "frobnicate"), "cookie": o.cookie}, 400, "unknown command"),
    "post": (lambda o: {"path": kubectl(o.sim_id), "cookie": o.cookie, "method": "POST"}, 405, "not allowed"),
}


@pytest.mark.parametrize("request_of, status, says", CASES.values(), ids=CASES.keys())
async def test_the_read_answers_and_refuses_as_the_api_does(application, owner, request_of, status, says):
    got, body, _ = await ask(application, **request_of(owner))
    assert got == status, body
    assert says in (body["text"] if status == 200 else body["errors"][0]["message"])


# (name, cookie or not, status) of GET …/explanations, the other read every page polls
EXPLANATIONS = {"owner": (True, 200), "stranger": (False, 404)}


@pytest.mark.parametrize("with_cookie, status", EXPLANATIONS.values(), ids=EXPLANATIONS.keys())
async def test_the_explanations_are_read_the_same_way(application, owner, with_cookie, status):
    got, body, _ = await ask(application, f"/api/simulations/{owner.sim_id}/explanations",
                             cookie=owner.cookie if with_cookie else "")
    assert got == status
    assert ("web" in body["deployments"]) if status == 200 else ("not found" in body["errors"][0]["message"])


async def test_a_second_read_at_the_same_seq_shares_the_answer_and_the_role(application, owner):
    first = await ask(application, kubectl(owner.sim_id), cookie=owner.cookie)
    second = await ask(application, kubectl(owner.sim_id), cookie=owner.cookie)
    assert first[:2] == second[:2] and first[0] == 200
    assert permissions.remembered_role(permissions.identity(session_key=owner.cookie.split("=")[1], bearer=None),
                                       owner.sim_id) == permissions.Role.OWNER


def link_opened(owner, through: str) -> tuple[dict, dict, int]:
    """A view link of the owner's simulation, how a request uses it, and the refusal once revoked."""
    link = owner.post(f"/api/simulations/{owner.sim_id}/links", {"role": "view"}, content_type="application/json").json()
    if through == "token":
        return link, {"token": link["token"]}, 401
    viewer = Client()
    viewer.get(link["url"])
    return link, {"cookie": f"sessionid={viewer.cookies['sessionid'].value}"}, 404


@pytest.mark.parametrize("through", ["token", "session"])
async def test_a_revoked_link_reads_no_more_at_once(application, owner, through):
    link, who, refused = await sync_to_async(link_opened)(owner, through)
    assert (await ask(application, kubectl(owner.sim_id), **who))[0] == 200  # (now remembered)
    await sync_to_async(links.link_revoke)(simulation_id=owner.sim_id, token=link["token"])
    assert (await ask(application, kubectl(owner.sim_id), **who))[0] == refused


async def test_a_failure_after_the_checks_answers_json_500_with_a_reference(application, owner, monkeypatch):
    async def broken(*args):
        raise RuntimeError("the worker fell over")

    monkeypatch.setattr(commands, "read_async", broken)
    status, body, _ = await ask(application, kubectl(owner.sim_id), cookie=owner.cookie)
    assert status == 500 and "reference" in body and body["reference"] in body["errors"][0]["message"]


# (method, path, body, the owner's session or a new one, CSRF token sent, status) of requests through
# the whole stack that must not touch the database on the event loop: a page, a first command of a
# new browser (its session is saved), a CSRF refusal
STACK = {
    "home-page": ("GET", "/", b"", True, False, 200),
    "create-saving-a-new-session": ("POST", "/api/simulations/", b"{}", False, True, 201),
    "csrf-refused": ("POST", "/api/simulations/", b"{}", True, False, 403),
}


@pytest.mark.parametrize("method, path, body, session, csrf, status", STACK.values(), ids=STACK.keys())
async def test_the_middleware_touches_no_database_on_the_event_loop(application, owner, method, path, body, session,
                                                                  csrf, status):
    token = "a" * 32
    cookies = f"{owner.cookie}; csrftoken={token}" if session else f"csrftoken={token}"
    headers = [(b"host", b"testserver"), (b"content-type", b"application/json"), (b"cookie", cookies.encode())]
    if csrf:
        headers.append((b"x-csrftoken", token.encode()))
    answer = await HttpCommunicator(application, method, path, body=body, headers=headers).get_response(timeout=30)
    assert answer["status"] == status, answer["body"][:300]
    if not session:
        assert any(k.lower() == b"set-cookie" and v.startswith(b"sessionid=") for k, v in answer["headers"]), answer["headers"]
