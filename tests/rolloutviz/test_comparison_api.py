"""The comparisons' JSON API: status codes, bad input, and who may do what (a comparison's role is
its owner's, else the least of one's roles in its members)."""
import json

import pytest
from django.test import Client

from rolloutviz.demos.nginx_docs import NAME, manifest
from rolloutviz.models import Comparison, Simulation

pytestmark = pytest.mark.django_db(transaction=True)

VARIANTS = [{"label": "maxSurge 1", "yaml": manifest(surge=1, unavailable=0)},
            {"label": "Recreate", "yaml": manifest(extra_spec="  strategy:\n    type: Recreate\n")}]


def post(client, url, body=None):
    return client.post(url, json.dumps(body if body is not None else {}), content_type="application/json")


@pytest.fixture
def owner():
    """A presenter's browser with a comparison of two variants of the nginx demo."""
    browser = Client()
    made = post(browser, "/api/comparisons/", {"demo": "nginx-docs", "variants": VARIANTS, "name": "surge"})
    assert made.status_code == 201, made.content
    browser.comparison = made.json()
    browser.url = f"/api/comparisons/{made.json()['id']}/"
    return browser


def opened(owner, role, members):
    """A browser that opened a ``role`` link of each of ``members`` (member simulation ids)."""
    browser = Client()
    for sid in members:
        link = post(owner, f"/api/simulations/{sid}/links", {"role": role}).json()
        assert browser.get(link["url"]).status_code == 302
    return browser


def test_create_read_drive_and_delete(owner):
    made = owner.comparison
    assert (made["name"], made["role"], made["running"], made["t"]) == ("surge", "owner", False, 0.0)
    assert [m["label"] for m in made["members"]] == ["maxSurge 1", "Recreate"]
    assert [c["id"] for c in owner.get("/api/comparisons/").json()] == [made["id"]]
    assert post(owner, owner.url + "step", {"count": 20}).json() == {"t": 20.0}
    ran = post(owner, owner.url + "commands/set-image", {"deployment": NAME, "container": "nginx",
                                                          "image": "nginx:1.16.1"})
    assert ran.status_code == 200 and ran.json()["t"] == 20.0 and len(ran.json()["results"]) == 2
    assert post(owner, owner.url + "clock", {"running": True, "speed": 10}).json() == {"running": True, "speed": 10.0}
    assert post(owner, owner.url + "step", {}).status_code in (200, 409)  # 409 once a clock host drives it
    read = owner.get(owner.url).json()
    assert read["running"] and [m["summary"]["start"] for m in read["members"]] == [20.0, 20.0]
    assert owner.delete(owner.url).status_code == 204
    assert owner.get(owner.url).status_code == 404
    assert not Simulation.objects.exists()


@pytest.mark.parametrize(
    "body, status, field",
    [({"demo": "nginx-docs", "variants": VARIANTS[:1]}, 400, "variants"),
     ({"demo": "nginx-docs", "variants": [VARIANTS[0], {"yaml": "kind: [\n"}]}, 400, "variants[1].yaml"),
     ({"demo": "nginx-docs", "variants": VARIANTS, "colour": "red"}, 400, "colour"),
     ({"base": 999, "variants": VARIANTS}, 404, ""),
     ({"base": 2**63, "variants": VARIANTS}, 404, "")],
    ids=["one-variant", "bad-yaml", "unknown-field", "missing-base", "huge-base"],
)
def test_bad_creations_are_refused_and_make_nothing(client, body, status, field):
    answer = post(client, "/api/comparisons/", body)
    assert answer.status_code == status, answer.content
    assert answer.json()["errors"][0]["field"] == field
    assert not Comparison.objects.exists() and not Simulation.objects.exists()


def test_a_bad_command_or_step_is_refused(owner):
    assert post(owner, owner.url + "commands/reset").status_code == 404
    assert post(owner, owner.url + "commands/scale", {"deployment": NAME}).json()["errors"][0]["field"] == "replicas"
    assert post(owner, owner.url + "step", {"count": 0}).json()["errors"][0]["field"] == "count"
    assert post(owner, owner.url + "clock", {"speed": 3}).status_code == 400
    assert owner.get(f"/api/comparisons/{2**63}/").status_code == 404


REQUESTS = {
    "read": ("GET", "", None), "step": ("POST", "step", {"count": 1}), "clock": ("POST", "clock", {"speed": 2}),
    "command": ("POST", "commands/scale", {"deployment": NAME, "replicas": 2}), "delete": ("DELETE", "", None),
}
EXPECTED = {
    "stranger": {"read": 404, "step": 404, "clock": 404, "command": 404, "delete": 404},
    "viewer-of-one-member": {"read": 404, "step": 404, "clock": 404, "command": 404, "delete": 404},
    "viewer": {"read": 200, "step": 403, "clock": 403, "command": 403, "delete": 403},
    "viewer-and-editor": {"read": 200, "step": 403, "clock": 403, "command": 403, "delete": 403},
    "editor": {"read": 200, "step": 200, "clock": 200, "command": 200, "delete": 403},
    "operator": {"read": 200, "step": 200, "clock": 200, "command": 200, "delete": 204},
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_may_do_what_it_should_and_nothing_more(owner, django_user_model, who):
    members = [m["simulation"] for m in owner.comparison["members"]]
    if who == "stranger":
        caller = Client()
    elif who == "viewer-of-one-member":
        caller = opened(owner, "view", members[:1])
    elif who == "viewer-and-editor":
        caller = opened(owner, "view", members[:1])
        for sid in members[1:]:
            link = post(owner, f"/api/simulations/{sid}/links", {"role": "edit"}).json()
            caller.get(link["url"])
    elif who == "operator":
        caller = Client()
        caller.force_login(django_user_model.objects.create_superuser("admin", password="x"))
    else:
        caller = opened(owner, who[:4], members)
    listed = [c["id"] for c in caller.get("/api/comparisons/").json()]
    assert listed == ([owner.comparison["id"]] if EXPECTED[who]["read"] == 200 else [])
    got = {}
    for name, (method, path, body) in REQUESTS.items():
        url = owner.url + path
        answer = caller.get(url) if method == "GET" else caller.delete(url) if method == "DELETE" else post(caller, url, body)
        got[name] = answer.status_code
    assert got == EXPECTED[who]


def test_a_members_page_points_to_its_comparison(owner):
    comparison, member = owner.comparison["id"], owner.comparison["members"][1]
    page = owner.get(f"/simulations/{member['simulation']}/").content.decode()
    assert 'id="comparison-member"' in page and f'href="/compare/{comparison}/"' in page
    assert f"“{member['label']}”, one member of\n  comparison {comparison}" in page
    other = post(owner, "/api/simulations/", {"name": "alone"}).json()["id"]
    assert 'id="comparison-member"' not in owner.get(f"/simulations/{other}/").content.decode()


def test_the_page_follows_the_roles(owner):
    page = f"/compare/{owner.comparison['id']}/"
    assert owner.get(page).status_code == 200 and b'data-page="compare"' in owner.get(page).content
    assert Client().get(page).status_code == 404
    viewer = opened(owner, "view", [m["simulation"] for m in owner.comparison["members"]])
    answer = viewer.get(page)
    assert answer.status_code == 200 and b'data-role="view"' in answer.content


def test_presets_are_the_running_manifest_with_one_change_each_and_each_makes_a_variant(client):
    made = post(client, "/api/simulations/", {"demo": "zero-downtime"}).json()
    presets = client.get(f"/api/simulations/{made['id']}/variants").json()
    assert [p["preset"] for p in presets] == ["as-is", "max-surge-1", "max-surge-25", "recreate", "no-readiness-probe"]
    texts = {p["preset"]: p["yaml"] for p in presets}
    assert "readinessProbe" in texts["as-is"] and "readinessProbe" not in texts["no-readiness-probe"]
    assert "type: Recreate" in texts["recreate"] and "maxSurge: 25%" in texts["max-surge-25"]
    variants = [{"label": p["label"], "yaml": p["yaml"]} for p in presets[1:]]
    created = post(client, "/api/comparisons/", {"base": made["id"], "variants": variants})
    assert created.status_code == 201, created.content
    assert len(created.json()["members"]) == 4
    empty = post(client, "/api/simulations/", {}).json()
    assert client.get(f"/api/simulations/{empty['id']}/variants").json() == []


def test_a_comparisons_view_link_opens_every_member_and_revoking_one_ends_it(owner):
    made = post(owner, owner.url + "links", {"role": "view"})
    assert made.status_code == 201 and len(made.json()["tokens"]) == 2
    url = made.json()["url"]
    viewer = Client()
    opened = viewer.get(url)
    assert opened.status_code == 302 and opened["Location"] == f"/compare/{owner.comparison['id']}/"
    assert viewer.get(owner.url).json()["role"] == "view"
    assert post(viewer, owner.url + "clock", {"running": True}).status_code == 403
    assert post(viewer, owner.url + "links", {"role": "edit"}).status_code == 403
    assert Client().get(url.replace(made.json()["tokens"][0], "made-up")).status_code == 404
    member = owner.comparison["members"][0]["simulation"]
    assert owner.delete(f"/api/simulations/{member}/links/{made.json()['tokens'][0]}").status_code == 204
    assert viewer.get(owner.url).status_code == 404
    assert post(owner, owner.url + "links", {"role": "owner"}).json()["errors"][0]["field"] == "role"
