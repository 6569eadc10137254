"""Two viewers of one simulation (a projector and a laptop) see the same rollout."""
import pytest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser


def test_two_pages_see_the_same_rollout(browser, page, daphne_server):
    presenter = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    other_context = browser.new_context(viewport={"width": 1280, "height": 900})
    other_context.set_default_timeout(60_000)
    try:
        viewer = Dashboard.open(other_context.new_page(), daphne_server.url, presenter.sim_id)
        presenter.set_speed(10)
        presenter.play()
        viewer.wait("window.rolloutviz.store.clock.running === true")
        presenter.wait_pods(1, 3)
        presenter.use_image("nginx:1.16.1")
        presenter.apply()
        viewer.wait_pods(2, 3)  # the viewer pressed nothing
        presenter.pause_clock()
        viewer.wait("window.rolloutviz.store.clock.running === false")
        final_seq = presenter.seq
        viewer.wait("(s) => window.rolloutviz.store.seq === s", final_seq)

        seen_by_presenter, seen_by_viewer = presenter.timeline(), viewer.timeline()
        assert seen_by_viewer == seen_by_presenter
        assert len(seen_by_viewer["pods"]) >= 6
        assert viewer.history_rows() == presenter.history_rows() == [(2, "nginx:1.16.1"), (1, "nginx:1.14.2")]
    finally:
        other_context.close()
