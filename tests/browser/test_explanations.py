"""The page says why: the controller's sentence, why the new pods are not available, and the
countdowns ticking with the simulated clock."""
import re

import pytest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser


def _countdown(dash, what):
    """The seconds a countdown shows ("in 42 s", "in 9 min 5 s"), None if it is not shown."""
    text = dash.js(f"document.querySelector('#why li[data-what=\"{what}\"] .countdown')?.textContent")
    found = re.fullmatch(r"in (?:(\d+) min )?(\d+) s", text or "")
    return int(found.group(1) or 0) * 60 + int(found.group(2)) if found else None


def _rolled_to(page, daphne_server, image):
    """The nginx demo's page, its clock at 10×, 10 s in, rolled to ``image`` through the editor."""
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    dash.set_speed(10)
    dash.play()
    dash.advance(10)
    dash.set_yaml(dash.yaml().replace("image: nginx:1.14.2", f"image: {image}", 1))
    dash.apply()
    return dash


def test_a_stalled_rollout_says_why_and_counts_down(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    dash.set_speed(10)
    dash.play()
    dash.advance(10)
    dash.wait("document.querySelector('#why .why-line')?.textContent.includes('rollout complete')")
    dash.set_yaml(dash.yaml().replace("image: nginx:1.14.2", "image: nginx:1.161", 1))   # no such tag
    dash.apply()
    dash.advance(20)
    dash.wait("document.querySelector('#why .why-stalled')?.textContent === "
              "'rollout stalled: image pull failing on 1 new pod'")
    line = dash.js("document.querySelector('#why .why-line').textContent")
    assert line.startswith("Why old ReplicaSet not scaled down: 3 available, minimum 3, 1 new pod unavailable")
    # the progress deadline (600 s) counts down with the simulated clock
    dash.wait("document.querySelector('#why li[data-what=\"progressDeadlineSeconds\"]') !== null")
    first = _countdown(dash, "progressDeadlineSeconds")
    assert first is not None and 500 < first <= 600
    dash.advance(30)
    left = _countdown(dash, "progressDeadlineSeconds")
    assert left is not None and left <= first - 25, (first, left)


def test_traffic_through_the_service_is_counted_on_the_page(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "zero-downtime")
    dash.set_speed(10)
    dash.play()
    dash.advance(40)   # the app needs 15 s to start listening
    page.locator("#traffic-service option", has_text="k8s-rollout-demo").wait_for(state="attached")
    page.fill("#traffic-rate", "10")
    page.fill("#traffic-path", "/version")
    page.click("#traffic-send")
    row = page.locator('#traffic-table tr[data-service="k8s-rollout-demo"]')
    row.wait_for()
    dash.wait("() => +document.querySelector('#traffic-table [data-ok]')?.textContent >= 50")
    assert row.locator("[data-failed]").inner_text() == "0"
    assert '× "v0.1"' in row.inner_text() and "10/s /version" in row.inner_text()
    # the strip under the timeline: one point per step, the same counts as the table's
    dash.wait("window.rolloutviz.store.timeline.traffic.get('k8s-rollout-demo')?.series.length >= 5")
    assert page.locator("#traffic-strip").is_visible()
    assert '"v0.1"' in page.locator("#traffic-strip .traffic-legend").inner_text()
    # the replica chart's total-available line, against the floor it already draws
    assert "total available" in page.locator("#replica-chart .chart-legend").inner_text()
    assert dash.js("window.rolloutviz.store.timeline.deployments.get('k8s-rollout-demo').series.at(-1)[4]") == 3
    dash.pause_clock()
    ok = dash.js("window.rolloutviz.store.timeline.traffic.get('k8s-rollout-demo').series"
                 ".reduce((sum, p) => sum + p[1], 0)")
    dash.wait("(ok) => +document.querySelector('#traffic-table [data-ok]').textContent === ok", ok)
    dash.play()
    # the Service and its endpoints, as kubectl prints them
    page.click('[data-text-view="endpointslices"]')
    dash.wait("document.querySelector('#kubectl-text').textContent.startsWith('NAME') "
              "&& document.querySelector('#kubectl-text').textContent.includes('ADDRESSTYPE')")
    assert "IPv4" in page.locator("#kubectl-text").inner_text()
    page.click('[data-text-view="svc"]')
    dash.wait("document.querySelector('#kubectl-text').textContent.includes('LoadBalancer')")
    page.click("#traffic-stop")
    dash.wait("() => document.querySelector('#traffic-table tr td:nth-child(2)')?.textContent === 'stopped'")


def test_an_earlier_decision_is_highlighted_at_its_moment_on_the_timeline(page, daphne_server):
    dash = _rolled_to(page, daphne_server, "nginx:1.16.1")
    dash.wait("document.querySelector('#why .why-line')?.textContent.includes('rollout complete') "
              "&& window.rolloutviz.store.t > 40")
    page.click("#why .why-history summary")
    first_scale_up = page.locator("#why .why-history li", has_text="scaled up").last
    moment = float(first_scale_up.locator("[data-moment]").get_attribute("data-moment"))
    dash.pause_clock()
    first_scale_up.locator("[data-moment]").click()
    # the timeline scrolls to that moment and highlights it; the list stays open
    dash.wait("(t) => { const [a, b] = window.rolloutviz.timeline.x.domain(); return a < t && t < b; }", moment)
    assert dash.js("window.rolloutviz.timeline.highlight") == moment
    assert page.locator("#why .why-history").get_attribute("open") is not None
    # the sentence is the controller's own scale at that moment: its ScalingReplicaSet event
    said = re.search(r"new ReplicaSet (\S+) scaled up from (\d+) to (\d+)", first_scale_up.inner_text())
    assert said, first_scale_up.inner_text()
    assert dash.js("([t, text]) => window.rolloutviz.store.timeline.markers.some((m) => m.t === t "
                   "&& m.label === 'ScalingReplicaSet' && m.detail.includes(text))",
                   [moment, f"Scaled up replica set {said[1]} from {said[2]} to {said[3]}"])


def test_a_pod_in_back_off_shows_its_countdown_on_its_lane(page, daphne_server):
    dash = _rolled_to(page, daphne_server, "nginx:1.161")
    # the new pod's image pull fails: its lane counts down to the next pull
    dash.wait("() => [...window.rolloutviz.timeline.countdowns.values()].some((c) => c.what === 'ImagePullBackOff')")
    pod = dash.js("() => [...window.rolloutviz.timeline.countdowns.values()].find((c) => c.what === 'ImagePullBackOff').name")
    lane = dash.js("(name) => window.rolloutviz.store.timeline.pods.get(name).segments.at(-1)[1]", pod)
    assert lane in ("ErrImagePull", "ImagePullBackOff")
    due = dash.js("(name) => window.rolloutviz.timeline.countdowns.get(name).at", pod)
    assert due > dash.sim_time - 1


def test_a_combined_event_gets_a_learners_note_beside_kubernetes_words(page, daphne_server):
    from simulator import notes

    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    dash.set_yaml(dash.yaml().replace("replicas: 3", "replicas: 12", 1))
    dash.apply()
    dash.set_speed(10)
    dash.play()
    page.select_option("#events-scope", "all")
    # twelve "Created pod" events: from the tenth distinct message on, the recorder combines them
    row = page.locator("#events tr", has_text="(combined from similar events): Created pod")
    row.locator(".learner-note").wait_for()
    assert row.locator(".learner-note").first.inner_text() == notes.COMBINED
    assert page.locator("#events tr", has_text="Created pod").count() > \
        page.locator("#events .learner-note").count()   # plain events get no note


FAILED_SINCE_JS = """(t) => window.rolloutviz.store.timeline.traffic.get('k8s-rollout-demo').series
  .filter((p) => p[0] > t).reduce((sum, p) => sum + p[2], 0)"""


def test_the_strip_shows_the_zero_downtime_contrast(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "zero-downtime")
    dash.set_speed(50)
    dash.play()
    dash.advance(40)   # the three v0.1 pods start (15 s) and become Ready
    outcomes = []
    # send traffic, roll out v0.2 with probes, then v0.1 without them
    for step, seconds in ((0, 20), (1, 120), (3, 120)):
        start = dash.sim_time
        page.click(f'#demo-steps [data-run-step="{step}"]')
        page.locator(f'#demo-steps li[data-step="{step}"].done').wait_for()
        dash.advance(seconds)
        outcomes.append(dash.js(FAILED_SINCE_JS, start))
    steady, with_probes, without_probes = outcomes
    assert steady == 0
    assert 0 < with_probes <= 20          # a handful refused while kube-proxy catches up
    assert without_probes > 3 * with_probes  # refused while the new app still sleeps
    bodies = dash.js("() => [...new Set(window.rolloutviz.store.timeline.traffic.get('k8s-rollout-demo').series"
                     ".flatMap((p) => Object.keys(p[3])))]")
    assert set(bodies) == {'"v0.1"', '"v0.2"'}
