"""Rewind with others and with the live controls: a presenter's rewind, step, playback and return to
live reach the pages that follow it (one that stops following rewinds on its own); while a page
shows the past, every control that would act on the live simulation is disabled saying why (the
keyboard's too), "Continue from here" stays, and back to live gives them back as they were."""
import pytest

from dashboard_page import Dashboard
from test_classroom import classroom, run  # noqa: F401 (the presenter and a student following it)

pytestmark = pytest.mark.browser

SHOWN_JS = """() => ({seq: window.rolloutviz.store.seq, t: window.rolloutviz.store.t,
                    rewound: document.body.dataset.rewoundSeq || "",
                    playing: window.rolloutviz.rewind.playing})"""

LIVE_CONTROLS_JS = """() => Object.fromEntries([...document.querySelectorAll('[data-needs="edit"]')]
  .filter((e) => "disabled" in e && !e.hidden && e.offsetParent !== null)
  .map((e, i) => [e.id || `${e.textContent.trim()} #${i}`, {disabled: e.disabled, title: e.title}]))"""


def shown(dashboard: Dashboard) -> dict:
    return dashboard.js(SHOWN_JS)


def wait_same_moment(presenter: Dashboard, student: Dashboard) -> dict:
    """The student's page shows the moment the presenter's shows (rewound or live)."""
    moment = shown(presenter)
    student.wait("""([seq, rewound]) => window.rolloutviz.store.seq === seq
                    && (document.body.dataset.rewoundSeq || "") === rewound""", [moment["seq"], moment["rewound"]])
    return moment


def test_a_follower_rewinds_steps_plays_back_and_returns_to_live_with_the_presenter(classroom):  # noqa: F811
    presenter, student = classroom
    run(presenter, 30)
    presenter.pause_clock()
    student.wait("(seq) => window.rolloutviz.store.seq === seq", presenter.seq)
    student.page.click("#follow-presenter")

    presenter.page.locator("#rewind-slider").fill("5")
    presenter.wait("document.body.dataset.rewoundSeq && window.rolloutviz.store.t === 5")
    assert wait_same_moment(presenter, student)["t"] == 5

    presenter.page.click("#rewind-step")
    presenter.wait("window.rolloutviz.store.t > 5")
    wait_same_moment(presenter, student)

    presenter.page.select_option("#rewind-speed", "5")
    presenter.page.click("#rewind-play")
    student.wait("window.rolloutviz.rewind.playing")  # plays back on its own page, at the same speed
    assert student.js("document.getElementById('rewind-speed').value") == "5"
    presenter.wait("window.rolloutviz.store.t >= 12")
    presenter.page.click("#rewind-play")
    paused = wait_same_moment(presenter, student)
    assert not shown(student)["playing"] and paused["rewound"]

    presenter.page.click("#rewind-live")
    presenter.wait("!document.body.dataset.rewoundSeq")
    assert wait_same_moment(presenter, student)["rewound"] == ""

    # a student who stops following stays live when the presenter rewinds, and rewinds alone
    student.page.click("#follow-presenter")
    presenter.page.locator("#rewind-slider").fill("8")
    presenter.wait("document.body.dataset.rewoundSeq && window.rolloutviz.store.t === 8")
    presenter.page.wait_for_timeout(500)
    assert shown(student)["rewound"] == ""
    student.page.locator("#rewind-slider").fill("20")
    student.wait("document.body.dataset.rewoundSeq && window.rolloutviz.store.t === 20")
    assert shown(presenter)["t"] == 8


def test_while_rewound_the_live_controls_are_held_with_the_reason_and_given_back(page, daphne_server):
    dashboard = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    run(dashboard, 20)
    dashboard.pause_clock()
    live = dashboard.js(LIVE_CONTROLS_JS)
    assert not live["apply"]["disabled"] and not live["clock-toggle"]["disabled"]
    assert any(c["disabled"] for c in live.values())  # some are off for reasons of their own (undo: one revision)
    seq = dashboard.seq

    page.locator("#rewind-slider").fill("5")
    dashboard.wait("document.body.dataset.rewoundSeq && window.rolloutviz.store.t === 5")
    held = dashboard.js(LIVE_CONTROLS_JS)
    assert held.keys() == live.keys()
    reason = "Showing 0:05 — back to live to act"
    assert {name: c for name, c in held.items() if not live[name]["disabled"]} == {
        name: {"disabled": True, "title": reason} for name, c in live.items() if not c["disabled"]}
    assert dashboard.js("document.getElementById('rewind-branch').disabled") is False
    # the keyboard's shortcuts are held too: the clock does not start, no step is taken
    dashboard.js("document.activeElement.blur()")  # (keys typed into the slider are the slider's)
    page.locator("body").press("p")
    page.locator("body").press(".")
    page.locator("#notice", has_text="Showing 0:05 — back to live to act").wait_for()
    page.wait_for_timeout(300)
    state = dashboard.js("fetch(`/api/simulations/${document.body.dataset.simId}/`).then((r) => r.json())")
    assert (state["seq"], state["clock"]["running"]) == (seq, False)
    # stepping on in the past renames the reason
    page.click("#rewind-step")
    dashboard.wait("window.rolloutviz.store.t === 6")
    assert dashboard.js("document.getElementById('apply').title") == "Showing 0:06 — back to live to act"

    page.click("#rewind-live")
    dashboard.wait("(seq) => window.rolloutviz.store.seq === seq && !document.body.dataset.rewoundSeq", seq)
    assert dashboard.js(LIVE_CONTROLS_JS) == live
