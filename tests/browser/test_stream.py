"""The page's side of the wire protocol, against a scripted WebSocket server (Playwright routes the
socket): snapshots replace the state, deltas apply in seq order, old ones are dropped, a gap asks
for a resync, unknown types and versions are ignored."""
import json

import pytest

pytestmark = pytest.mark.browser

SIM = 4242  # the messages' own sim field (the page goes by its address, a real simulation's)


@pytest.fixture
def sim_id(page, daphne_server) -> int:
    """A real simulation to open the page of (its socket is then scripted by the test)."""
    page.goto(daphne_server.url + "/")
    return page.evaluate("""async () => {
      const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1];
      const answer = await fetch("/api/simulations/", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: "{}"});
      return (await answer.json()).id;
    }""")


def pod(name: str, rs: str) -> dict:
    return {"metadata": {"name": name, "ownerReferences": [{"kind": "ReplicaSet", "name": rs, "controller": True}]},
            "spec": {"nodeName": "node-1"}, "status": {"phase": "Pending"}}


def state(seq: int, t: float, pods: dict) -> dict:
    return {
        "sim": SIM, "seq": seq, "t": t, "clock": {"running": False, "speed": 1.0},
        "objects": {"deployments": [], "replicasets": [], "pods": [pod(n, "web-1") for n in pods], "nodes": []},
        "events": [], "deployments": {},
        "timeline": {"pods": {n: {"rs": "web-1", "node": "node-1", "segments": segs, "marks": [], "deleted": None}
                              for n, segs in pods.items()},
                     "replicasets": {"web-1": {"revision": 1, "images": ["nginx"], "hash": "1", "series": [[0.0, 1, 0, 0]]}},
                     "deployments": {}, "markers": []},
    }


def delta(seq: int, t: float, name: str, segment_state: str) -> dict:
    return {"v": 1, "type": "delta", "sim": SIM, "seq": seq, "t": t, "cause": "step", "changes": [], "events": [],
            "deployments": {}, "clock": {"running": True, "speed": 1.0}, "markers": [],
            "timeline": {"pods": {name: {"rs": "web-1", "node": "node-1", "deleted": None,
                                         "segments": [[t, segment_state]], "marks": []}}}}


def segments(page, name: str) -> list:
    return page.evaluate("(n) => window.rolloutviz.store.timeline.pods.get(n)?.segments", name)


def test_the_page_follows_the_protocol_rules(page, daphne_server, sim_id):
    sockets, received = [], []

    def handler(ws):
        sockets.append(ws)
        ws.on_message(lambda message: received.append(json.loads(message)))
        ws.send(json.dumps({"v": 1, "type": "snapshot", "sim": SIM, "seq": 10, "t": 5.0,
                            "state": state(10, 5.0, {"web-1-a": [[0.0, "Pending"]]})}))

    page.route_web_socket(f"**/ws/simulations/{sim_id}/", handler)
    page.route(f"**/api/**", lambda route: route.fulfill(json=[]))  # no demo steps for this simulation
    page.goto(f"{daphne_server.url}/simulations/{sim_id}/")
    page.wait_for_function("() => document.body.dataset.lastSeq === '10'")
    ws = sockets[0]

    ws.send(json.dumps(delta(11, 6.0, "web-1-a", "ContainerCreating")))
    page.wait_for_function("() => document.body.dataset.lastSeq === '11'")
    ws.send(json.dumps(delta(11, 6.0, "web-1-a", "Running")))  # a repeat: dropped
    ws.send(json.dumps({"v": 1, "type": "fireworks", "seq": 12}))  # unknown type: ignored
    ws.send(json.dumps({**delta(12, 7.0, "web-1-a", "Error"), "v": 2}))  # unknown version: ignored
    ws.send(json.dumps(delta(12, 7.0, "web-1-a", "Ready")))
    page.wait_for_function("() => document.body.dataset.lastSeq === '12'")
    assert segments(page, "web-1-a") == [[0.0, "Pending"], [6.0, "ContainerCreating"], [7.0, "Ready"]]

    ws.send(json.dumps(delta(15, 9.0, "web-1-a", "Terminating")))  # 13 and 14 are missing
    page.wait_for_function("() => document.body.dataset.lastSeq === '12'")
    assert [m for m in received if m["type"] != "view"] == [{"type": "resync"}]  # (a presenter also shares its view)
    ws.send(json.dumps(delta(16, 10.0, "web-1-a", "Terminating")))  # waiting for the snapshot: dropped
    ws.send(json.dumps({"v": 1, "type": "snapshot", "sim": SIM, "seq": 16, "t": 10.0,
                        "state": state(16, 10.0, {"web-1-a": [[0.0, "Pending"], [6.0, "Available"]],
                                                  "web-1-b": [[9.0, "Pending"]]})}))
    page.wait_for_function("() => document.body.dataset.lastSeq === '16'")
    assert segments(page, "web-1-a") == [[0.0, "Pending"], [6.0, "Available"]]
    assert segments(page, "web-1-b") == [[9.0, "Pending"]]
    ws.send(json.dumps(delta(17, 11.0, "web-1-b", "ContainerCreating")))
    page.wait_for_function("() => document.body.dataset.lastSeq === '17'")
    assert segments(page, "web-1-b") == [[9.0, "Pending"], [11.0, "ContainerCreating"]]
    assert page.locator("#connection").inner_text() == "live"


def test_the_page_says_stalled_with_the_reason_and_live_again_with_the_next_delta(page, daphne_server, sim_id):
    sockets = []

    def handler(ws):
        sockets.append(ws)
        ws.send(json.dumps({"v": 1, "type": "snapshot", "sim": SIM, "seq": 10, "t": 5.0,
                            "state": state(10, 5.0, {"web-1-a": [[0.0, "Pending"]]})}))

    page.route_web_socket(f"**/ws/simulations/{sim_id}/", handler)
    page.route(f"**/api/**", lambda route: route.fulfill(json=[]))
    page.goto(f"{daphne_server.url}/simulations/{sim_id}/")
    page.wait_for_function("() => document.body.dataset.lastSeq === '10'")
    label = page.locator("#connection")
    assert label.inner_text() == "live"
    ws = sockets[0]

    ws.send(json.dumps({"v": 1, "type": "status", "sim": SIM, "state": "stalled",
                        "reason": "the database disk is full"}))
    page.wait_for_function("() => document.getElementById('connection').textContent.startsWith('stalled')")
    assert (label.inner_text(), label.get_attribute("data-state")) == ("stalled: the database disk is full", "bad")

    ws.send(json.dumps(delta(11, 6.0, "web-1-a", "ContainerCreating")))
    page.wait_for_function("() => document.getElementById('connection').textContent === 'live'")

    behind = delta(12, 7.0, "web-1-a", "Running")
    behind["clock"] = {"running": True, "speed": 50.0, "effective": 0.4}
    ws.send(json.dumps(behind))
    page.wait_for_function("() => document.body.dataset.lastSeq === '12'")
    assert (label.inner_text(), label.get_attribute("data-state")) == (
        "live · running at 0.4× of the chosen speed", "warn")

    ws.send(json.dumps({"v": 1, "type": "status", "sim": SIM, "state": "live", "reason": ""}))
    ws.send(json.dumps(delta(13, 8.0, "web-1-a", "Ready")))  # on pace again
    page.wait_for_function("() => document.getElementById('connection').textContent === 'live'")
