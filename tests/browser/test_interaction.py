"""Driving the page the way a teacher does: the tutorial's steps, the keyboard, a pod's details."""
import pytest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser


def test_tutorial_steps_run_from_the_page(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    steps = page.locator("#demo-steps li[data-step]")
    steps.first.wait_for(state="visible")
    assert "Update to nginx:1.16.1" in steps.nth(0).inner_text()
    dash.set_speed(10)
    dash.play()
    dash.wait_pods(1, 3)

    page.click('#demo-steps [data-run-step="0"]')
    page.locator('#demo-steps li[data-step="0"].done').wait_for()
    dash.wait_pods(2, 3)
    assert dash.history_rows()[0] == (2, "nginx:1.16.1")

    page.click('#demo-steps [data-run-step="1"]')  # kubectl rollout status
    output = page.locator('#demo-steps li[data-step="1"] .step-output')
    output.wait_for(state="visible")
    assert 'deployment "nginx-deployment" successfully rolled out' in output.inner_text()


def test_keyboard_selects_a_pod_and_deletes_it(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    dash.set_speed(10)
    dash.play()
    pods = dash.wait_pods(1, 3)

    page.locator("body").press("t")  # focus the timeline
    page.keyboard.press("ArrowDown")
    details = page.locator("#pod-details")
    details.wait_for(state="visible")
    selected = dash.js("window.rolloutviz.timeline.selected")
    assert selected in [p["name"] for p in pods]
    assert selected in details.inner_text()
    page.locator("#pod-details .events", has_text="Scheduled").wait_for()

    page.keyboard.press("Delete")
    page.locator("#confirm-dialog .dialog-title", has_text=f"Delete pod {selected}?").wait_for()
    page.keyboard.press("Enter")  # the dialog focuses its confirm button
    dash.wait("(name) => window.rolloutviz.store.timeline.pods.get(name).deleted !== null", selected)
    replacements = dash.wait_pods(1, 3)
    assert selected not in [p["name"] for p in replacements]
    assert "Killing" in page.locator("#pod-details").inner_text() or dash.js(
        "(name) => window.rolloutviz.store.eventsFor('Pod', name).some((e) => e.reason === 'Killing')", selected)


def test_node_down_and_up_from_the_page(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    dash.set_speed(10)
    dash.play()
    dash.wait_pods(1, 3)
    node = page.locator("#nodes li").first
    name = node.locator("[data-node]").get_attribute("data-node")

    node.locator("button", has_text="Take down").click()
    page.locator("#nodes li", has_text=name).locator(".node-state.down").wait_for()
    assert dash.js("(n) => window.rolloutviz.store.objects.nodes.get(n).status.conditions"
                   ".find((c) => c.type === 'Ready').status", name) != "True"

    page.locator("#nodes li", has_text=name).locator("button", has_text="Bring up").click()
    page.locator("#nodes li", has_text=name).locator(".node-state.up").wait_for()
