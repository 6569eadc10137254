"""Hostile strings stay text everywhere on the page: markup, script, ``javascript:`` URLs,
template syntax, very long values, right-to-left and zero-width characters.

They go in wherever Kubernetes admits them (annotations and the change-cause take anything;
an image reference is only required to be non-empty; an ImageBehavior's pull message is free
text; a name must be a DNS name, but a refused name is echoed in the error), plus a simulation
name through the API. Then every panel that shows them is opened. Three signals would catch a
string that became markup: a dialog (``alert``), a Content-Security-Policy report (an inline
handler or script the policy refused), and an element or ``on…`` attribute in the DOM that the
page never makes. And each string must be visible as the text it is.
"""
import json

import pytest

from dashboard_page import Dashboard
from policy_watch import watch_policy

pytestmark = pytest.mark.browser

MARKUP = '<img src=x onerror=alert(1)>'
BREAKOUT = '"><script>alert(2)</script>'
JS_URL = 'javascript:alert(3)'
TEMPLATE = '{{7*7}} ${7*7} {% debug %}'
BIDI = '\u202eevil\u202c zero\u200bwidth\u2060 rtl\u200f'
CHANGE_CAUSE = f"{BREAKOUT} {TEMPLATE} {JS_URL} {BIDI} " + "z" * 400  # one unbroken 400-character word
LONG = "long-" + "x" * 6000 + MARKUP
IMAGE_1 = f"registry.example/{MARKUP}:1"
IMAGE_2 = 'registry.example/"><svg/onload=alert(4)>:2'  # an ImageBehavior's image has no spaces
PULL_MESSAGE = '<iframe src="javascript:alert(5)"></iframe> manifest unknown'
SIM_NAME = (f"{MARKUP}{BREAKOUT}{BIDI}" + "y" * 200)[:200]  # the API's longest name


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text)


MANIFEST = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    kubernetes.io/change-cause: {q(CHANGE_CAUSE)}
    hostile.example/long: {q(LONG)}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
      annotations:
        hostile.example/bidi: {q(BIDI)}
    spec:
      containers:
      - name: app
        image: {q(IMAGE_1)}
---
apiVersion: rolloutviz.dev/v1
kind: ImageBehavior
metadata:
  name: {q(MARKUP)}
spec:
  image: {q(IMAGE_2)}
  description: {q(BREAKOUT)}
  pull: {{seconds: 1, error: NotFound, message: {q(PULL_MESSAGE)}}}
"""

# Elements and attributes the page itself never makes (CodeMirror's empty cursor-placement
# images excepted): any of them came from a string.
INJECTED_JS = """() => {
  const elements = [...document.querySelectorAll("img:not(.cm-widgetBuffer), iframe, svg, object, embed, script:not([src])")]
    .map((e) => e.outerHTML.slice(0, 80));
  const handlers = [...document.querySelectorAll("*")].flatMap((e) => [...e.attributes]
    .filter((a) => a.name.startsWith("on") || /^\\s*javascript:/i.test(a.value)).map((a) => `${e.tagName} ${a.name}`));
  return elements.concat(handlers);
}"""

POST_JS = """async ([url, body]) => {
  const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1];
  const answer = await fetch(url, {method: "POST", body: JSON.stringify(body),
    headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
  return [answer.status, await answer.json()];
}"""

# Where the first marker (a line on the time axis) with this label is on the screen.
MARKER_POINT_JS = """(label) => {
  const tl = window.rolloutviz.timeline;
  tl.draw();
  const hit = (tl.markerHits || []).find((m) => m.marker.label === label);
  if (!hit) return null;
  const rect = tl.canvas.getBoundingClientRect();
  return {x: rect.left + hit.px, y: rect.top + tl.sizes().axis / 2};
}"""


def text(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def test_hostile_strings_are_shown_as_text_in_every_panel(context, daphne_server):
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    violations = watch_policy(page)
    base = daphne_server.url

    # A simulation named by the API, listed on the home page.
    page.goto(base + "/")
    page.locator("body[data-ready=true]").wait_for()
    status, sim = page.evaluate(POST_JS, ["/api/simulations/", {"name": SIM_NAME}])
    assert status == 201, sim
    page.reload()
    link = page.locator(f'#simulations a[href="/simulations/{sim["id"]}/"]')
    assert link.inner_text() == SIM_NAME

    dash = Dashboard.open(page, base, sim["id"])

    # A refused name is echoed in the error list and the lint tooltip.
    dash.set_yaml(MANIFEST.replace("name: web", f"name: {q(MARKUP)}", 1))
    page.click("#apply")
    page.locator("#editor-errors li").first.wait_for()
    assert MARKUP in text(page, "#editor-errors")
    page.locator(".cm-lint-marker-error").first.hover()
    assert MARKUP in page.locator(".cm-tooltip-lint").inner_text()

    # The manifest: its diff in the confirm dialog, then the editor's own text.
    dash.set_yaml(MANIFEST)
    diff = dash.review_apply()
    # The diff is of the spec, as YAML writes it: control characters are escaped there.
    assert IMAGE_1 in diff and '"\\u202Eevil\\u202C zero\\u200Bwidth' in diff
    dash.confirm()
    assert "<script>alert(2)</script> {{7*7}}" in page.locator("#editor .cm-content").inner_text()
    dash.set_speed(10)
    dash.play()
    dash.wait_pods(1, 2)

    # A command carrying a hostile image, sent while this page has an unsaved edit.
    page.locator("#editor .cm-content").click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("# my own edit\n")
    status, answer = page.evaluate(POST_JS, [f"/api/simulations/{sim['id']}/commands/set-image",
                                             {"deployment": "web", "container": "app", "image": IMAGE_2}])
    assert status == 200, answer
    page.locator("#manifest-notice").wait_for(state="visible")
    assert "by kubectl set image" in text(page, "#manifest-notice")
    page.click("#manifest-load")
    dash.wait("(image) => window.rolloutviz.store.allEvents().some((e) => e.message.includes(image) && e.reason === 'Failed')",
              IMAGE_2)
    dash.pause_clock()

    # Revision history, the status of the Deployment, the kubectl views.
    history = text(page, "#history")
    assert IMAGE_1 in history and IMAGE_2 in history and CHANGE_CAUSE in history and "49" not in history
    page.locator('[data-text-view="describe"]').click()
    page.locator('#kubectl-text[data-command="kubectl describe deployment web"]').wait_for()
    # describe shortens long annotation values, as kubectl does
    assert f"{BREAKOUT} {TEMPLATE}" in text(page, "#kubectl-text") and IMAGE_2 in text(page, "#kubectl-text")
    page.locator('[data-text-view="history"]').click()
    page.locator('#kubectl-text[data-command="kubectl rollout history deployment/web"]').wait_for()
    assert CHANGE_CAUSE in text(page, "#kubectl-text")
    # Events of every object: pulling the first image, failing to pull the second.
    page.select_option("#events-scope", "all")
    events = text(page, "#events")
    assert f'Pulling image "{IMAGE_1}"' in events
    assert f'Failed to pull image "{IMAGE_2}": {PULL_MESSAGE}' in events

    # The timeline: a ReplicaSet header's and a pod lane's tooltips, the command's marker.
    replicasets = dash.js("[...window.rolloutviz.store.timeline.replicasets.values()].map((r) => [r.name, r.revision])")
    new_rs = next(name for name, revision in replicasets if revision == 2)
    assert IMAGE_2 in dash.hover_row("rs", new_rs)
    failing = dash.js("(rs) => [...window.rolloutviz.store.timeline.pods.values()].find((l) => l.rs === rs).name", new_rs)
    assert failing in dash.hover_row("pod", failing)
    page.locator("#timeline canvas").scroll_into_view_if_needed()  # the axis must be on screen to hover it
    marker = dash.js(MARKER_POINT_JS, "apply")  # its detail names what the apply created
    page.mouse.move(marker["x"], marker["y"])
    assert f"imagebehavior.rolloutviz.dev/{IMAGE_2} created" in page.locator("#timeline .tl-tooltip").inner_text()
    # The pod's details: its events say what its image is.
    dash.js("(name) => window.rolloutviz.timeline.select(name)", failing)
    page.locator("#pod-details .events", has_text="Failed").wait_for()
    assert f'Failed to pull image "{IMAGE_2}": {PULL_MESSAGE}' in text(page, "#pod-details")

    # The rollback dialog: both images and revision 1's template, annotations included.
    page.click('#history [data-rollback="1"]')
    body = page.locator("#confirm-dialog .dialog-body")
    body.wait_for(state="visible")
    body.locator("pre", has_text="Annotations").wait_for()
    assert IMAGE_1 in body.inner_text() and IMAGE_2 in body.inner_text() and BIDI in body.inner_text()
    page.click("#confirm-dialog button[value=cancel]")
    page.locator("#confirm-dialog").wait_for(state="hidden")

    # Nothing became markup, nothing ran, nothing was refused, no string widened the page.
    assert dash.js(INJECTED_JS) == []
    assert dash.js("document.documentElement.scrollWidth <= window.innerWidth"), "a long string widened the page"
    page.goto(base + "/")
    page.locator("body[data-ready=true]").wait_for()
    assert page.locator(f'#simulations a[href="/simulations/{sim["id"]}/"]').inner_text() == SIM_NAME
    assert page.evaluate(INJECTED_JS) == []
    assert not dialogs, dialogs
    assert not violations, violations
    assert not errors, errors
