"""A class: a presenter (a browser with no account) and a student who opened a view link.

The student's page says it is watching, offers no control that changes anything (and the server
refuses one forced through anyway), follows the presenter's view when asked to, and copies the
demo into a sandbox of their own; the presenter sees how many watch; large mode scales the page."""
import pytest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser

# Every control that changes the simulation (the page marks them; the server checks again).
_ENABLED_CHANGERS_JS = """() => [...document.querySelectorAll('[data-needs]')]
  .filter((e) => !e.disabled && !e.hidden && e.offsetParent !== null).map((e) => e.id || e.textContent.trim())"""
_FORCED_STEP_JS = """async (sim) => {
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1];
  const answer = await fetch(`/api/simulations/${sim}/commands/step`, {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify({count: 1})});
  return [answer.status, (await answer.json()).errors[0].message];
}"""


def run(dashboard: Dashboard, seconds: float) -> None:
    """Let the dashboard's clock run ``seconds`` of simulated time at 10×."""
    dashboard.set_speed(10)
    dashboard.play()
    dashboard.advance(seconds)


@pytest.fixture
def classroom(browser, daphne_server):
    """(presenter, student) dashboards in two browsers of their own, neither the operator."""
    contexts = [browser.new_context(viewport={"width": 1500, "height": 1000}) for _ in range(2)]
    for context in contexts:
        context.set_default_timeout(60_000)
    try:
        presenter = Dashboard.from_demo(contexts[0].new_page(), daphne_server.url, "hellok8s")
        student = Dashboard.open_link(contexts[1].new_page(), presenter.share("view"))
        yield presenter, student
    finally:
        for context in contexts:
            context.close()


HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'


def test_a_student_watches_and_cannot_act(classroom):
    presenter, student = classroom
    dialogs = []
    student.page.on("dialog", lambda dialog: dialogs.append(dialog.message) or dialog.dismiss())
    # the presenter's next revision carries a hostile change-cause: the student reads it as text
    presenter.set_yaml(presenter.yaml().replace(
        "metadata:\n  name: hellok8s-deployment\n",
        f"metadata:\n  name: hellok8s-deployment\n  annotations:\n    kubernetes.io/change-cause: '{HOSTILE}'\n", 1)
        .replace("hellok8s:v1", "hellok8s:v2"))
    presenter.apply()
    student.page.locator("#history td", has_text=HOSTILE).first.wait_for()
    assert student.page.locator("#history img, #history script").count() == 0 and dialogs == []
    assert presenter.page.title().endswith("· owner · rolloutviz")
    assert student.page.title() == "hellok8s: the Deployment chapter · watching · rolloutviz"
    assert presenter.js(_ENABLED_CHANGERS_JS)  # the presenter has the controls …
    student.wait("document.querySelectorAll('#history [data-rollback], #demo-steps [data-run-step]').length > 0")
    assert student.js(_ENABLED_CHANGERS_JS) == []  # … the student none, not even re-rendered ones
    status, message = student.js(_FORCED_STEP_JS, student.sim_id)
    assert status == 403 and "needs the edit role" in message
    # what the presenter does reaches the student
    presenter.set_speed(10)
    presenter.play()
    student.wait("window.rolloutviz.store.clock.running === true")
    student.wait_pods(2, 1)  # the v2 revision rolls out


def test_the_presenter_sees_the_audience_and_a_follower_sees_what_the_presenter_shows(classroom):
    presenter, student = classroom
    presenter.page.locator("#audience", has_text="1 watching").wait_for()
    run(presenter, 20)
    student.page.click("#follow-presenter")
    presenter.page.click("#zoom-in")
    presenter.page.click("#zoom-in")
    span = presenter.js("window.rolloutviz.view.span")
    student.wait("(span) => Math.abs(window.rolloutviz.view.span - span) < 1e-6", span)
    pod = presenter.live_pods(1)[0]["name"]
    presenter.js("(name) => window.rolloutviz.timeline.select(name)", pod)
    student.wait("(name) => window.rolloutviz.timeline.selected === name", pod)
    assert student.page.locator("#pod-details").is_visible()
    # a student who stops following keeps their own view
    student.page.click("#follow-presenter")
    presenter.page.click("#zoom-out")
    presenter.page.wait_for_timeout(500)
    assert abs(student.js("window.rolloutviz.view.span") - span) < 1e-6
    # the audience shrinks when the student leaves
    student.page.close()
    presenter.page.locator("#audience", has_text="0 watching").wait_for()


def test_a_student_copies_the_demo_into_a_sandbox_of_their_own(classroom):
    presenter, student = classroom
    run(presenter, 10)
    presenter.pause_clock()
    demo = f"/simulations/{presenter.sim_id}/"
    student.page.click("#copy-sim")
    student.page.wait_for_url(lambda url: demo not in url)
    sandbox = Dashboard(student.page, student.base_url).wait_for_snapshot()
    assert sandbox.page.title().endswith("(copy) · owner · rolloutviz")
    assert sandbox.js(_ENABLED_CHANGERS_JS)  # theirs to drive
    before = presenter.seq
    run(sandbox, 5)
    assert presenter.seq == before  # the class's demo did not move


def test_large_mode_scales_the_whole_page(classroom):
    presenter, _ = classroom
    sizes_js = """() => ["#rollout-status", "#editor .cm-content", "#history", "#demo-steps p", "#kubectl-text"]
      .map((s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"""
    presenter.js("localStorage.removeItem('rolloutviz.large')")
    normal = presenter.js(sizes_js)
    presenter.page.click("#large-mode")
    large = presenter.js(sizes_js)
    assert all(big >= 1.3 * small for small, big in zip(normal, large)), (normal, large)
    presenter.page.reload()  # remembered by this browser
    Dashboard(presenter.page, presenter.base_url).wait_for_snapshot()
    assert presenter.js(sizes_js) == large
