"""Two viewers of one simulation (a projector and a laptop) see the same rollout."""
import pytest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser


def test_two_pages_see_the_same_rollout(browser, page, daphne_server):
    presenter = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    other_context = browser.new_context(viewport={"width": 1280, "height": 900})
    other_context.set_default_timeout(60_000)
    try:
        viewer = Dashboard.open_link(other_context.new_page(), presenter.share("view"))
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


def test_a_viewers_editor_follows_the_running_manifest_and_keeps_an_unsaved_edit(browser, page, daphne_server):
    presenter = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    other_context = browser.new_context(viewport={"width": 1280, "height": 900})
    other_context.set_default_timeout(60_000)
    try:
        viewer = Dashboard.open_link(other_context.new_page(), presenter.share("edit"))  # a co-presenter
        original = viewer.yaml()
        assert original == presenter.yaml() and "image: nginx:1.14.2" in original
        cursor = original.index("replicas:")  # the viewer's cursor, above the line that changes
        viewer.js("(at) => window.rolloutviz.editor.editor.view.dispatch({selection: {anchor: at}})", cursor)

        presenter.use_image("nginx:1.16.1")
        presenter.apply()
        applied = presenter.yaml()
        # no reload, nothing pressed: the viewer's editor now shows what the presenter applied
        viewer.wait("(text) => window.rolloutviz.editor.editor.getText() === text", applied)
        assert "image: nginx:1.16.1" in viewer.yaml()
        assert viewer.js("window.rolloutviz.editor.editor.view.state.selection.main.head") == cursor
        assert viewer.page.locator("#manifest-notice").is_hidden()

        # the viewer starts an edit of their own and does not apply it
        viewer.page.locator("#editor .cm-content").click()
        viewer.page.keyboard.press("Control+Home")
        viewer.page.keyboard.type("# my question for the class\n")
        edited = viewer.yaml()
        assert edited == "# my question for the class\n" + applied

        presenter.use_image("nginx:latest")
        presenter.apply()
        reapplied = presenter.yaml()
        notice = viewer.page.locator("#manifest-notice")
        notice.wait_for(state="visible")
        assert "The running manifest changed (revision 3, by kubectl apply)" in notice.inner_text()
        assert viewer.yaml() == edited  # the unsaved edit is kept

        viewer.page.get_by_role("button", name="Load it").click()
        assert viewer.yaml() == reapplied and "image: nginx:latest" in reapplied
        assert notice.is_hidden()
        assert viewer.page.locator("#editor-hint").inner_text() == ""

        # a command from the Rollout panel changes the manifest too; this time keep the edit
        viewer.page.locator("#editor .cm-content").click()
        viewer.page.keyboard.press("Control+End")
        viewer.page.keyboard.type("# note\n")
        kept = viewer.yaml()
        presenter.page.fill("#scale-replicas", "5")
        presenter.page.click("#scale-submit")
        notice.wait_for(state="visible")
        assert "The running manifest changed (revision 3, by kubectl scale)" in notice.inner_text()
        viewer.page.get_by_role("button", name="Keep my edit").click()
        assert notice.is_hidden() and viewer.yaml() == kept
        assert "replicas: 3" in kept and "replicas: 5" in viewer.js("window.rolloutviz.store.meta['nginx-deployment'].manifest")
        assert viewer.page.locator("#editor-hint").inner_text().startswith("Edited")
    finally:
        other_context.close()
