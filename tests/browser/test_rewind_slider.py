"""Rewind on the page: the slider shows every panel as it was at the moment chosen (ReplicaSets,
pods, counters, events, the kubectl text), held while the simulation goes on underneath; play back,
step, previous/next event, back to live, and "Continue from here" (a copy at that moment)."""
import pytest

from dashboard_page import Dashboard

pytestmark = pytest.mark.browser

CALL = """async ([method, path, body]) => {
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1];
  const answer = await fetch(`/api/${path}`, {method, credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: body ? JSON.stringify(body) : undefined});
  if (!answer.ok) throw new Error(`${path}: HTTP ${answer.status} ${await answer.text()}`);
  return answer.json();
}"""


def call(dashboard: Dashboard, method: str, path: str, body=None):
    return dashboard.js(CALL, [method, f"simulations/{dashboard.sim_id}/{path}", body])


def shown(dashboard: Dashboard) -> dict:
    """What the page shows of the rewound moment."""
    return dashboard.js("""() => {
      const s = window.rolloutviz.store;
      return {seq: s.seq, t: s.t, replicasets: s.objects.replicasets.size, pods: s.objects.pods.size,
              ready: document.querySelector('[data-counter="ready"]').textContent,
              banner: document.getElementById("rewind-banner").hidden ? null
                : document.querySelector("#rewind-banner .rewind-text").textContent,
              history: document.querySelectorAll("#history tbody tr[data-revision]").length,
              events: document.querySelector("#events tbody").textContent,
              rewound: document.body.dataset.rewoundSeq};
    }""")


def wait_rewound(dashboard: Dashboard, t: float) -> dict:
    dashboard.wait("(t) => document.body.dataset.rewoundSeq && window.rolloutviz.store.t === t", t)
    return shown(dashboard)


def test_the_slider_rewinds_every_panel_plays_back_and_branches(page, daphne_server):
    dashboard = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    call(dashboard, "POST", "commands/step", {"count": 20})
    call(dashboard, "POST", "commands/set-image", {"deployment": "nginx-deployment", "container": "nginx",
                                                   "image": "nginx:1.16.1"})
    last = call(dashboard, "POST", "commands/step", {"count": 25})["result"]
    dashboard.wait("(seq) => window.rolloutviz.store.seq === seq", last["seq"])
    live_pods_text = call(dashboard, "GET", "kubectl?args=get+pods")["text"]
    assert shown(dashboard)["replicasets"] == 2 and shown(dashboard)["banner"] is None

    # drag the slider back to t=10: one ReplicaSet, its three pods, the counters and texts of then
    page.locator("#rewind-slider").fill("10")
    then = wait_rewound(dashboard, 10)
    state = call(dashboard, "GET", "state?t=10")
    assert then["seq"] == state["seq"] and then["rewound"] == str(state["seq"])
    status = next(o for o in state["objects"] if o[1] == "Deployment")
    assert (then["replicasets"], then["history"]) == (1, 1)
    assert then["banner"].startswith("Rewound to 0:10 (live is at 0:45)")
    ready = dashboard.js("""() => { const d = window.rolloutviz.store.objects.deployments.get("nginx-deployment");
                                    return `${d.status.readyReplicas || 0}/${d.spec.replicas}`; }""")
    assert then["ready"] == ready and status[2] == "nginx-deployment"
    assert "nginx:1.16.1" not in then["events"] and "Scaled up replica set" in then["events"]
    pods_then = call(dashboard, "GET", f"kubectl?args=get+pods&seq={state['seq']}")["text"]
    dashboard.wait("(text) => document.getElementById('kubectl-text').textContent === text", pods_then)
    assert pods_then != live_pods_text

    # the simulation goes on underneath; the page holds the moment
    moved = call(dashboard, "POST", "commands/step", {"count": 3})["result"]
    page.wait_for_timeout(300)
    assert shown(dashboard)["seq"] == state["seq"]
    dashboard.wait("(end) => document.getElementById('rewind-slider').max === String(end)", moved["t"])

    # next event or command: the image change at t=20 (two ReplicaSets from then); previous: back before it
    page.click("#rewind-next")
    at_change = wait_rewound(dashboard, 20)
    assert at_change["replicasets"] == 2
    page.click("#rewind-prev")
    dashboard.wait("window.rolloutviz.store.t < 10 && window.rolloutviz.store.objects.replicasets.size === 1")
    page.locator("body").press("]")  # the key does the same
    wait_rewound(dashboard, 20)

    # step one recorded change on, then play back at 10x and pause
    before = shown(dashboard)["seq"]
    page.click("#rewind-step")
    dashboard.wait("(seq) => window.rolloutviz.store.seq === seq && document.body.dataset.rewoundSeq === String(seq)",
                   before + 1)
    page.select_option("#rewind-speed", "10")
    page.click("#rewind-play")
    dashboard.wait("window.rolloutviz.store.t >= 30 && document.body.dataset.rewoundSeq")
    page.click("#rewind-play")
    assert page.locator("#rewind-play").get_attribute("aria-pressed") == "false"
    assert shown(dashboard)["banner"] is not None
    # what the played-back deltas built is the state recorded at that seq
    played = dashboard.js("""() => { const s = window.rolloutviz.store;
      return {seq: s.seq, t: s.t, pods: [...s.objects.pods.keys()].sort(), lanes: s.timeline.pods.size,
              markers: s.timeline.markers.length, rs: [...s.objects.replicasets.keys()].sort()}; }""")
    recorded = call(dashboard, "GET", f"state?seq={played['seq']}")
    assert played == {"seq": recorded["seq"], "t": recorded["t"],
                      "pods": sorted(o[2] for o in recorded["objects"] if o[1] == "Pod" and o[0] == "A"),
                      "lanes": len(recorded["timeline"]["pods"]), "markers": len(recorded["timeline"]["markers"]),
                      "rs": sorted(o[2] for o in recorded["objects"] if o[1] == "ReplicaSet" and o[0] == "A")}

    # back to live: the latest state, deltas applied again
    page.click("#rewind-live")
    dashboard.wait("(seq) => window.rolloutviz.store.seq === seq && !document.body.dataset.rewoundSeq", moved["seq"])
    assert shown(dashboard)["banner"] is None and shown(dashboard)["replicasets"] == 2
    after = call(dashboard, "POST", "commands/step", {"count": 1})["result"]
    dashboard.wait("(seq) => window.rolloutviz.store.seq === seq", after["seq"])

    # continue from here: a copy at the moment shown, opened
    page.locator("#rewind-slider").fill("10")
    wait_rewound(dashboard, 10)
    source = dashboard.sim_id
    page.click("#rewind-branch")
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1] not in ("", str(source)))
    branch = Dashboard(page, daphne_server.url).wait_for_snapshot()
    assert branch.sim_id != source
    assert (branch.seq, branch.sim_time) == (state["seq"], 10)
    assert branch.js("window.rolloutviz.store.objects.replicasets.size") == 1
    assert not branch.js("window.rolloutviz.store.clock.running")
