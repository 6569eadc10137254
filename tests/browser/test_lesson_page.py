"""The page for a lesson, as a new user meets it (issue 16.6): what to do first, a legend for
everything drawn, markers in plain words that never overlap, long-gone pods folded away, the
tutorial's step kept and shared, stale notices gone, a delete that asks, the visualisation first
on a narrow screen, pod details in view."""
import pytest

from conftest import WAIT_MS
from dashboard_page import Dashboard
from policy_watch import watch_policy
from rolloutviz.local_processes import LOCAL_OPERATOR_TOKEN

pytestmark = pytest.mark.browser
DEMO = "nginx-docs"  # nginx:1.14.2, 3 replicas; steps: set image 1.16.1, status, the typo 1.161, …

# For each canvas: what its last draw showed, the legend rows it explains, and the keys its drawing
# code can draw (the timeline's fixed list; the chart and strip add one per ReplicaSet / answer).
_LEGENDS_JS = """() => {
  const keys = (sel) => [...document.querySelectorAll(`${sel} [data-legend]`)].map((li) => li.dataset.legend);
  const r = window.rolloutviz;
  r.timeline.draw(); r.chart.draw(); r.strip.draw();
  return {
    timeline: {drawn: [...r.timeline.drawn], legend: keys("#legend"), known: r.timeline.legendKeys},
    chart: {drawn: [...r.chart.drawn], legend: keys("#replica-chart .chart-legend"), known: r.chart.legendKeys},
    strip: {drawn: [...r.strip.drawn], legend: keys("#traffic-strip .traffic-legend"), known: r.strip.legendKeys},
  };
}"""


def own_context(browser, daphne_server, **options):
    """A context signed in as the operator, as the `context` fixture makes one, with other options."""
    ctx = browser.new_context(**options)
    ctx.set_default_timeout(WAIT_MS)
    opener = ctx.new_page()
    opener.goto(f"{daphne_server.url}/?token={LOCAL_OPERATOR_TOKEN}")
    opener.close()
    return ctx


def watched(page) -> tuple:
    """Collect the page's script errors and policy violations (as the `page` fixture does)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors, watch_policy(page)


def test_a_new_simulation_says_to_press_play_until_the_clock_moves(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, DEMO)
    hint = page.locator("#first-step")
    hint.wait_for(state="visible")
    assert "Press ▶ Play" in hint.inner_text() and "tutorial" in hint.inner_text()
    page.click("#clock-step")  # one step is enough: the clock has moved
    hint.wait_for(state="hidden")
    dash.play()
    dash.pause_clock()
    assert hint.is_hidden()


def test_the_legends_explain_every_line_and_mark_drawn(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "zero-downtime")
    dash.set_speed(10)
    dash.play()
    dash.run_step(0)  # traffic through the Service
    dash.run_step(1)  # roll out v0.2: old pods terminate and go, requests answer v0.1 then v0.2
    dash.wait_pods(2, 3, states=("Available",))
    dash.wait("() => [...window.rolloutviz.store.timeline.pods.values()].some((l) => l.deleted !== null)")
    dash.pause_clock()
    dash.click_row("pod", dash.live_pods(2)[0]["name"])  # its lane is highlighted while its details show
    legends = dash.js(_LEGENDS_JS)
    for canvas, found in legends.items():
        drawn, legend, known = set(found["drawn"]), found["legend"], set(found["known"])
        assert drawn, f"the {canvas} drew nothing"
        assert drawn <= set(legend), f"{canvas}: drawn without a legend row: {sorted(drawn - set(legend))}"
        assert set(legend) == known and len(legend) == len(known), f"{canvas}: legend {legend} vs {sorted(known)}"
    assert {"now", "action", "scaling", "deleted", "selected", "state:Available", "state:Terminating"} <= set(
        legends["timeline"]["drawn"])
    assert {"desired", "ready", "ceiling", "floor", "available", "now"} <= set(legends["chart"]["drawn"])
    assert any(key.startswith("answer:") for key in legends["strip"]["drawn"])


def test_markers_read_as_spoken_and_their_labels_never_overlap(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, DEMO)
    dash.run_step(0)  # kubectl set image … nginx=nginx:1.16.1
    commands = "(n) => window.rolloutviz.store.timeline.markers.filter((m) => m.kind === 'command').length >= n"
    for n, act in enumerate(("#scale-submit", "#pause-toggle", "#pause-toggle", "#scale-submit"), start=3):
        page.click("#clock-step")  # a second apart: close enough on the axis to collide
        page.fill("#scale-replicas", "5" if n == 3 else "4")
        page.click(act)
        dash.wait(commands, n)  # apply, set image, then this one
    labels = dash.js("""() => { const tl = window.rolloutviz.timeline; tl.draw();
      return tl.markerLabels.map((l) => ({text: l.text, x: l.x, y: l.y, w: l.w, h: l.h,
        words: l.markers.map((m) => m.words || m.label)})); }""")
    words = [w for label in labels for w in label["words"]]
    for spoken in ("apply", "set image nginx:1.16.1", "scale to 5", "pause", "resume", "scale to 4"):
        assert spoken in words, (spoken, labels)
    assert not any("_" in w for w in words), words
    for i, a in enumerate(labels):
        assert a["text"].startswith(a["words"][0])
        for b in labels[i + 1:]:
            apart = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"] or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]
            assert apart, f"labels overlap: {a} and {b}"
    folded = next((label for label in labels if len(label["words"]) > 1), None)
    assert folded, f"a second apart, some labels must have folded into another: {labels}"
    assert folded["text"].endswith(f"+{len(folded['words']) - 1}")
    box = page.locator("#timeline canvas").bounding_box()
    page.mouse.move(box["x"] + folded["x"] + 4, box["y"] + folded["y"] + folded["h"] / 2)
    tooltip = page.locator("#timeline .tl-tooltip")
    tooltip.wait_for(state="visible")
    for spoken in folded["words"]:
        assert spoken in tooltip.inner_text()
    page.mouse.move(0, 0)
    page.locator("#timeline canvas").focus()  # the keyboard reaches every action too, folded or not
    seen = []
    for _ in range(3):
        page.keyboard.press("m")
        seen.append(tooltip.inner_text().split(" at ")[0])
    assert seen == ["apply", "set image nginx:1.16.1", "scale to 5"], seen


def test_long_gone_pods_fold_into_a_row_that_opens(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, DEMO)
    dash.set_speed(50)
    dash.play()
    dash.run_step(0)
    dash.wait_pods(2, 3)
    dash.wait("""() => { const r = window.rolloutviz;
      const gone = [...r.store.timeline.pods.values()].filter((l) => l.deleted !== null);
      return gone.length === 3 && gone.every((l) => r.store.t > l.deleted + r.timeline.foldAfter); }""")
    dash.pause_clock()
    rows = dash.js("""() => { const tl = window.rolloutviz.timeline; tl.draw();
      return tl.rows.map((r) => [r.kind, r.kind === "pod" ? r.lane.name : r.rs.name, r.lanes ? r.lanes.length : null, r.open ?? null]); }""")
    old_rs = dash.js("[...window.rolloutviz.store.timeline.replicasets.values()].find((r) => r.revision === 1).name")
    gone = dash.js("(rs) => [...window.rolloutviz.store.timeline.pods.values()].filter((l) => l.rs === rs).map((l) => l.name)", old_rs)
    assert ["folded", old_rs, 3, False] in rows
    assert not [row for row in rows if row[0] == "pod" and row[1] in gone], rows
    assert "3 earlier pods" in dash.hover_row("folded", old_rs)
    dash.click_row("folded", old_rs)
    dash.wait("(names) => names.every((n) => window.rolloutviz.timeline.rows.some((r) => r.kind === 'pod' && r.lane.name === n))", gone)


def test_the_tutorial_step_survives_a_reload_and_a_viewer_follows_it(browser, page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, DEMO)
    steps = page.locator("#demo-steps")
    total = page.locator("#demo-steps [data-step]").count()
    assert total >= 10  # two-digit step numbers must show whole
    assert page.locator("[data-lesson-position]").inner_text() == f"Step 1 of {total}"
    assert page.locator(f'#demo-steps [data-step="{total - 1}"] .step-number').inner_text() == f"Step {total} of {total}"
    page.click('[data-lesson-move="1"]')
    page.click('[data-lesson-move="1"]')
    dash.wait("() => document.querySelector('#demo-steps').dataset.lessonStep === '2'")
    page.reload()
    dash.wait_for_snapshot()
    dash.wait("() => document.querySelector('#demo-steps').dataset.lessonStep === '2'")
    assert page.locator("[data-lesson-position]").inner_text() == f"Step 3 of {total}"
    assert steps.locator("li.current").get_attribute("data-step") == "2"

    link = dash.share("view")
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    other.set_default_timeout(WAIT_MS)
    try:
        viewer_page = other.new_page()
        errors, violations = watched(viewer_page)
        viewer = Dashboard.open_link(viewer_page, link)
        viewer.wait("() => document.querySelector('#demo-steps').dataset.lessonStep === '2'")
        assert viewer_page.locator('[data-lesson-move="1"]').is_hidden()  # a viewer cannot move it
        dash.run_step(1)  # running a step moves the lesson there (`kubectl rollout status`)
        viewer.wait("() => document.querySelector('#demo-steps').dataset.lessonStep === '1'")
        assert viewer_page.locator("#demo-steps li.current .step-number").inner_text() == f"Step 2 of {total}"
        assert not errors and not violations, (errors, violations)
    finally:
        other.close()


def test_a_result_notice_goes_when_stale_and_an_error_at_the_next_action(page, daphne_server):
    Dashboard.from_demo(page, daphne_server.url, DEMO)
    notice = page.locator("#notice")
    page.click("#pause-toggle")
    page.locator("#notice.notice-ok").wait_for(state="visible")
    page.click("#restart")  # refused: a paused Deployment does not restart
    page.locator("#notice.notice-error").wait_for(state="visible")
    page.wait_for_timeout(1000)
    assert notice.is_visible(), "an error stays until the next action"
    page.fill("#scale-replicas", "4")
    page.click("#scale-submit")
    page.locator("#notice.notice-ok").wait_for(state="visible")
    assert "scaled" in notice.inner_text()
    notice.wait_for(state="hidden", timeout=6000 + 4000)  # dialogs.js NOTICE_MS.ok, and slack


def test_deleting_a_simulation_asks_first(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, DEMO)
    sim_id = dash.sim_id
    page.goto(daphne_server.url + "/")
    page.wait_for_function("() => document.body.dataset.ready === 'true'")
    delete = page.locator(f'[data-delete="{sim_id}"]')
    delete.click()
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    assert "Delete" in dialog.locator(".dialog-title").inner_text()
    dialog.locator('button[value="cancel"]').click()
    dialog.wait_for(state="hidden")
    page.reload()
    page.wait_for_function("() => document.body.dataset.ready === 'true'")
    assert page.locator(f'[data-delete="{sim_id}"]').count() == 1, "cancel keeps the simulation"
    page.locator(f'[data-delete="{sim_id}"]').click()
    dialog.wait_for(state="visible")
    dialog.locator("[data-confirm]").click()
    page.locator(f'[data-delete="{sim_id}"]').wait_for(state="detached")


@pytest.mark.parametrize("width", [600, 700])
def test_at_narrow_widths_the_visualisation_comes_first(browser, daphne_server, width):
    ctx = own_context(browser, daphne_server, viewport={"width": width, "height": 900})
    try:
        narrow = ctx.new_page()
        errors, violations = watched(narrow)
        Dashboard.from_demo(narrow, daphne_server.url, DEMO)
        box = {name: narrow.locator(sel).bounding_box() for name, sel in [
            ("status", "#status"), ("timeline", "#timeline"), ("chart", "#replica-chart"), ("editor", "#editor-panel"),
            ("steps", "#demo-steps")]}
        assert box["status"]["y"] < box["timeline"]["y"] < box["chart"]["y"] < box["editor"]["y"] < box["steps"]["y"], box
        assert box["timeline"]["x"] + box["timeline"]["width"] <= width
        assert not errors and not violations, (errors, violations)
    finally:
        ctx.close()


def test_the_editor_stays_beside_the_visualisation_on_a_wide_screen(page, daphne_server):
    Dashboard.from_demo(page, daphne_server.url, DEMO)
    editor, timeline = page.locator("#editor-panel").bounding_box(), page.locator("#timeline").bounding_box()
    assert editor["x"] + editor["width"] <= timeline["x"]


def test_pod_details_open_in_view_and_close_with_escape(browser, daphne_server):
    ctx = own_context(browser, daphne_server, viewport={"width": 1280, "height": 560})
    try:
        short = ctx.new_page()
        errors, violations = watched(short)
        dash = Dashboard.from_demo(short, daphne_server.url, DEMO)
        pod = dash.js("[...window.rolloutviz.store.timeline.pods.keys()][0]")
        short.locator("#why").wait_for(state="visible")  # (it loads after the page, above the timeline)
        short.locator("#timeline canvas").scroll_into_view_if_needed()
        dash.click_row("pod", pod)
        details = short.locator("#pod-details")
        details.wait_for(state="visible")
        short.wait_for_timeout(300)  # (the scroll into view)
        box = details.bounding_box()
        assert box["y"] >= 0 and box["y"] + min(box["height"], 560) <= 560 + 1, box
        assert pod in details.inner_text()
        short.keyboard.press("Escape")
        details.wait_for(state="hidden")
        assert dash.js("window.rolloutviz.timeline.selected") is None
        dash.click_row("pod", pod)
        details.wait_for(state="visible")
        short.locator("#help-open").focus()  # Esc works with the focus anywhere on the page
        short.keyboard.press("Escape")
        details.wait_for(state="hidden")
        assert not errors and not violations, (errors, violations)
    finally:
        ctx.close()


def test_bare_replicasets_have_no_deployment_guides_in_the_legend(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "replicaset-practice")  # a ReplicaSet, no Deployment
    dash.set_speed(10)
    dash.play()
    dash.wait("() => window.rolloutviz.store.t >= 5")
    chart = dash.js(_LEGENDS_JS)["chart"]
    assert set(chart["drawn"]) <= set(chart["legend"]) and set(chart["legend"]) == set(chart["known"]), chart
    assert not {"ceiling", "floor", "available"} & set(chart["legend"]), chart["legend"]
    assert "ReplicaSet nginx-replicaset" in " ".join(page.locator("#replica-chart .chart-legend").text_content().split())
