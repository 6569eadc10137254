"""The HTML pages: they render, set the CSRF cookie, and the image catalogue panel's examples
are valid ImageBehavior documents."""
import html
import re

import pytest

from simulator.kubelet.images import BUILTIN_IMAGES, load_manifests, parse_image_behavior

pytestmark = pytest.mark.django_db  # (the client is the operator: conftest.py)


@pytest.mark.parametrize(
    "path,page_name",
    [("/", "home"), ("/simulations/{id}/", "simulation")],
    ids=["home", "dashboard"],
)
def test_page_renders_its_entry_point_and_sets_the_csrf_cookie(client, simulation, path, page_name):
    response = client.get(path.format(id=simulation.id))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-page="{page_name}"' in body
    assert "rolloutviz/dist/app.js" in body
    assert "csrftoken" in response.cookies


def test_dashboard_names_its_simulation_and_offers_every_speed(client, simulation):
    body = client.get(f"/simulations/{simulation.id}/").content.decode()
    assert f'data-sim-id="{simulation.id}"' in body and 'data-role="operator"' in body
    speeds = re.findall(r'<option value="([0-9.]+)">', body)
    assert speeds == ["0.5", "1", "2", "5", "10", "50"]


def test_catalogue_lists_every_builtin_image(client, simulation):
    body = client.get(f"/simulations/{simulation.id}/").content.decode()
    offered = set(re.findall(r'data-use-image="([^"]+)"', body))
    assert offered == set(BUILTIN_IMAGES)


def test_catalogue_examples_are_valid_image_behaviors(client, simulation):
    body = client.get(f"/simulations/{simulation.id}/").content.decode()
    examples = re.findall(r'<pre id="(example-[^"]+)">(.*?)</pre>', body, re.S)
    assert len(examples) == 3
    behaviors = {}
    for name, text in examples:
        (manifest,) = load_manifests(html.unescape(text))
        behaviors[name] = parse_image_behavior(manifest)
    assert behaviors["example-crash"].exit_after() == (8.0, 1, "Error")
    assert behaviors["example-pull-fails"].pull_error() is not None
    assert behaviors["example-slow-ready"].http_status(8080, "/ready", 5) == 503
    assert behaviors["example-slow-ready"].http_status(8080, "/ready", 25) == 200
    for name, _ in examples:
        assert f'data-insert-example="{name}"' in body
