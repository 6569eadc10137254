"""A person drives a rollout from the dashboard: apply a demo, change the image, roll back,
pause and resume, and sees it on the timeline, the chart, the status and the history."""
import pytest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser

AVAILABLE_COLOUR = "#009E73"  # Okabe–Ito bluish green, the timeline's "Available"
DEMO = "nginx-docs"  # nginx:1.14.2, 3 replicas, 25 %/25 %
SPEED = 10


def rolled_out(page, base_url) -> Dashboard:
    """The nginx demo with its three pods Available, the clock running fast."""
    dash = Dashboard.from_demo(page, base_url, DEMO)
    dash.set_speed(SPEED)
    dash.play()
    dash.wait_pods(1, 3)
    return dash


def roll_to(dash: Dashboard, image: str, revision: int) -> str:
    """Pick `image` in the catalogue, apply, and wait until its revision's 3 pods are up."""
    dash.use_image(image)
    diff = dash.apply()
    dash.wait_pods(revision, 3)
    return diff


def test_demo_apply_shows_pods_becoming_ready_on_the_timeline(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, DEMO)
    assert "image: nginx:1.14.2" in dash.yaml()
    dash.apply()
    assert "deployment.apps/nginx-deployment" in dash.notice()
    dash.set_speed(SPEED)
    dash.play()
    pods = dash.wait_pods(1, 3, states=("Available",))

    dash.advance(2)
    for pod in pods:
        t = (pod["since"] + dash.sim_time) / 2
        assert dash.lane_colour(pod["name"], t) == AVAILABLE_COLOUR, dash.dump()
    dash.wait("document.querySelector('[data-counter=ready]').textContent === '3/3'")
    dash.wait("document.querySelector('#rollout-status').textContent.includes('successfully rolled out')")
    assert dash.history_rows() == [(1, "nginx:1.14.2")]


def test_image_edit_rolls_the_new_replicaset_up_and_the_old_one_down(page, daphne_server):
    dash = rolled_out(page, daphne_server.url)

    diff = roll_to(dash, "nginx:1.16.1", 2)
    assert "nginx:1.16.1" in diff
    dash.wait("() => window.rolloutviz.store.timeline.pods.size >= 6")
    dash.wait_pods(1, 0)

    timeline = dash.timeline()
    by_revision = {rs["revision"]: name for name, rs in timeline["replicasets"].items()}
    assert set(by_revision) == {1, 2}
    old = [p for p in timeline["pods"].values() if p["rs"] == by_revision[1]]
    new = [p for p in timeline["pods"].values() if p["rs"] == by_revision[2]]
    # Rolling: the new ReplicaSet's first pod started before the old one's last pod was gone.
    assert min(p["segments"][0][0] for p in new) < max(p["deleted"] for p in old)
    assert "ScalingReplicaSet" in [label for _, label in timeline["markers"]]
    headers = dash.js("window.rolloutviz.timeline.rows.filter((r) => r.kind === 'rs').map((r) => r.rs.revision)")
    assert headers == [2, 1]  # newest revision first
    assert dash.history_rows() == [(2, "nginx:1.16.1"), (1, "nginx:1.14.2")]
    legend = page.locator("#replica-chart .chart-legend").inner_text()
    assert "rev 2" in legend and "rev 1" in legend


def test_roll_back_to_this_renumbers_the_revision(page, daphne_server):
    dash = rolled_out(page, daphne_server.url)
    roll_to(dash, "nginx:1.16.1", 2)
    first_rs = dash.js("[...window.rolloutviz.store.timeline.replicasets.values()].find((r) => r.revision === 1).name")

    page.click('#history [data-rollback="1"]')
    page.locator("#confirm-dialog .dialog-title", has_text="Roll back to revision 1?").wait_for()
    body = page.locator("#confirm-dialog .dialog-body").inner_text()
    assert "nginx:1.16.1 → nginx:1.14.2" in body
    assert "revision 3" in body
    dash.confirm()

    dash.wait_pods(3, 3)
    assert dash.history_rows() == [(3, "nginx:1.14.2"), (2, "nginx:1.16.1")]
    renumbered = dash.js("[...window.rolloutviz.store.timeline.replicasets.values()].find((r) => r.revision === 3).name")
    assert renumbered == first_rs  # the old ReplicaSet came back under a new number


def test_pause_holds_the_rollout_and_resume_releases_it(page, daphne_server):
    dash = rolled_out(page, daphne_server.url)
    roll_to(dash, "nginx:1.16.1", 2)

    page.click("#pause-toggle")
    dash.wait("document.querySelector('[data-counter=paused]').textContent === 'paused'")
    assert page.locator("#pause-toggle").inner_text() == "Resume rollout"

    # Refused while paused, in kubectl's words, before any preview: nothing to confirm.
    page.click('#history [data-rollback="1"]')
    dialog = page.locator("#confirm-dialog")
    dialog.locator(".dialog-title", has_text="Roll back to revision 1?").wait_for()
    assert dialog.locator("[data-refusal]").inner_text() == (
        "error: you cannot rollback a paused deployment; resume it first with "
        "'kubectl rollout resume deployment/nginx-deployment' and try again")
    assert dialog.locator("[data-confirm]").is_disabled()
    assert "Images:" not in dialog.locator(".dialog-body").inner_text()  # no preview
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    roll_image = "nginx:latest"
    dash.use_image(roll_image)
    dash.apply()
    dash.advance(20)
    revisions = dash.js("[...window.rolloutviz.store.timeline.replicasets.values()].map((r) => r.revision)")
    assert sorted(revisions) == [1, 2], "a paused Deployment must not start a new rollout"
    assert len(dash.live_pods(2)) == 3

    page.click("#pause-toggle")
    dash.wait("document.querySelector('[data-counter=paused]').textContent === 'no'")
    pods = dash.wait_pods(3, 3)
    assert len(pods) == 3
    assert dash.history_rows()[0] == (3, roll_image)
