"""The What-if panel: typing an edit into the editor shows, before anything is applied, the
rounding of maxSurge/maxUnavailable and the predicted numbers, then the check's outcome beside
each; a manifest the API refuses is named field by field; nothing is applied."""
import pytest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser


def type_at_end_of(page, dash: Dashboard, needle: str, backspaces: int, text: str) -> None:
    """Put the cursor at the end of the first line containing ``needle``, then type like a person."""
    dash.js("""(needle) => {
        const view = window.rolloutviz.editor.editor.view;
        const doc = view.state.doc;
        for (let n = 1; n <= doc.lines; n++) {
            const line = doc.line(n);
            if (line.text.includes(needle)) { view.dispatch({selection: {anchor: line.to}}); break; }
        }
        view.focus();
    }""", needle)
    for _ in range(backspaces):
        page.keyboard.press("Backspace")
    page.keyboard.type(text, delay=20)


def measured(page, row: str) -> tuple[str, str, str]:
    cells = page.locator(f'#whatif tr[data-row="{row}"] td')
    return cells.nth(0).inner_text(), cells.nth(1).inner_text(), cells.nth(1).get_attribute("data-match")


def test_typing_an_edit_shows_the_prediction_and_then_its_check(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    dash.set_speed(50)
    dash.play()
    dash.wait_pods(1, 3)
    dash.pause_clock()
    seq = dash.seq
    assert "nginx:1.14.2" in dash.yaml()

    type_at_end_of(page, dash, "image: nginx:1.14.2", 6, "1.16.1")

    rounding = page.locator("#whatif .whatif-rounding")
    rounding.wait_for(state="visible")
    assert rounding.inner_text() == "25% of 3 → surge 1 (rounded up), unavailable 0 (rounded down)"
    sentences = page.locator("#whatif .whatif-sentences").inner_text()
    assert "image nginx:1.14.2 → nginx:1.16.1): a rollout starts" in sentences
    assert "3.4 s pull of nginx:1.16.1" in sentences

    dash.wait("document.querySelector('#whatif').dataset.state === 'checked'")
    assert measured(page, "peak pods") == ("4", "4", "yes")
    assert measured(page, "minimum available") == ("3", "3", "yes")
    assert measured(page, "waves") == ("3", "3", "yes")
    assert measured(page, "maxSurge / maxUnavailable") == ("1 / 0", "1 / 0", "yes")
    predicted, run, match = measured(page, "duration")
    assert match == "yes" and run.endswith(" s"), (predicted, run)
    assert measured(page, "outcome")[1] == "completes"
    assert page.locator("#whatif .whatif-status").inner_text().startswith("Checked:")

    # nothing was applied: the running Deployment and the record are as they were
    assert dash.seq == seq
    assert dash.history_rows() == [(1, "nginx:1.14.2")]

    # an edit the API refuses: the panel names the field and its line, and jumps to it
    type_at_end_of(page, dash, "replicas: 3", 1, "-1")
    refusal = page.locator("#whatif .whatif-refusals li")
    refusal.first.wait_for(state="visible")
    assert "spec.replicas" in refusal.first.inner_text()
    assert page.locator("#whatif .whatif-status").inner_text() == "The API would refuse this manifest:"
    assert dash.seq == seq

    # back to the running manifest: nothing to predict, the panel empties
    page.click("#revert")
    dash.wait("document.querySelector('#whatif').dataset.state === 'idle'")
    assert page.locator("#whatif .whatif-body").inner_text() == ""
