"""The page's side of the wire protocol, against a scripted WebSocket server (Playwright routes the
socket): snapshots replace the state, deltas apply in seq order, old ones are dropped, a gap asks
for a resync, unknown types and versions are ignored; and against a real simulation, the page
holds exactly the objects and events the simulator reports."""
import json

import pytest

from dashboard_page import Dashboard
from rolloutviz import compact, protocol

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
    added = [{"type": "ADDED", "kind": "Pod", "name": n, "namespace": "default", "object": pod(n, "web-1")} for n in pods]
    return protocol.state_dict(
        sim=SIM, seq=seq, t=t, clock=protocol.clock_info(running=False, speed=1.0),
        objects=compact.encode(compact.Mirror(), added), deployments={},
        timeline={"pods": {n: {"rs": "web-1", "node": "node-1", "segments": segs, "marks": [], "deleted": None}
                           for n, segs in pods.items()},
                  "replicasets": {"web-1": {"revision": 1, "images": ["nginx"], "hash": "1", "series": [[0.0, 1, 0, 0]]}},
                  "deployments": {}, "markers": []},
    )


def delta(seq: int, t: float, name: str, segment_state: str) -> dict:
    return protocol.delta_message(
        sim=SIM, seq=seq, t=t, cause="step", changes={"objects": [], "events": []}, deployments={},
        clock=protocol.clock_info(running=True, speed=1.0), markers=[],
        timeline={"pods": {name: {"segments": [[t, segment_state]], "marks": []}}, "replicasets": {}, "deployments": {}})


def segments(page, name: str) -> list:
    return page.evaluate("(n) => window.rolloutviz.store.timeline.pods.get(n)?.segments", name)


def test_the_page_follows_the_protocol_rules(page, daphne_server, sim_id):
    sockets, received = [], []

    def handler(ws):
        sockets.append(ws)
        ws.on_message(lambda message: received.append(json.loads(message)))
        ws.send(json.dumps(protocol.snapshot_message(state(10, 5.0, {"web-1-a": [[0.0, "Pending"]]}))))

    page.route_web_socket(f"**/ws/simulations/{sim_id}/", handler)
    page.route(f"**/api/**", lambda route: route.fulfill(json=[]))  # no demo steps for this simulation
    page.goto(f"{daphne_server.url}/simulations/{sim_id}/")
    page.wait_for_function("() => document.body.dataset.lastSeq === '10'")
    ws = sockets[0]

    ws.send(json.dumps(delta(11, 6.0, "web-1-a", "ContainerCreating")))
    page.wait_for_function("() => document.body.dataset.lastSeq === '11'")
    ws.send(json.dumps(delta(11, 6.0, "web-1-a", "Running")))  # a repeat: dropped
    ws.send(json.dumps({"v": 2, "type": "fireworks", "seq": 12}))  # unknown type: ignored
    ws.send(json.dumps({**delta(12, 7.0, "web-1-a", "Error"), "v": 1}))  # another version: ignored
    ws.send(json.dumps(delta(12, 7.0, "web-1-a", "Ready")))
    page.wait_for_function("() => document.body.dataset.lastSeq === '12'")
    assert segments(page, "web-1-a") == [[0.0, "Pending"], [6.0, "ContainerCreating"], [7.0, "Ready"]]

    ws.send(json.dumps(delta(15, 9.0, "web-1-a", "Terminating")))  # 13 and 14 are missing
    page.wait_for_function("() => document.body.dataset.lastSeq === '12'")
    assert [m for m in received if m["type"] != "view"] == [{"type": "resync"}]  # (a presenter also shares its view)
    ws.send(json.dumps(delta(16, 10.0, "web-1-a", "Terminating")))  # waiting for the snapshot: dropped
    ws.send(json.dumps(protocol.snapshot_message(state(16, 10.0, {"web-1-a": [[0.0, "Pending"], [6.0, "Available"]],
                                                                  "web-1-b": [[9.0, "Pending"]]}))))
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
        ws.send(json.dumps(protocol.snapshot_message(state(10, 5.0, {"web-1-a": [[0.0, "Pending"]]}))))

    page.route_web_socket(f"**/ws/simulations/{sim_id}/", handler)
    page.route(f"**/api/**", lambda route: route.fulfill(json=[]))
    page.goto(f"{daphne_server.url}/simulations/{sim_id}/")
    page.wait_for_function("() => document.body.dataset.lastSeq === '10'")
    label = page.locator("#connection")
    assert label.inner_text() == "live"
    ws = sockets[0]

    ws.send(json.dumps(protocol.status_message(sim=SIM, state="stalled", reason="the database disk is full")))
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

    ws.send(json.dumps(protocol.status_message(sim=SIM, state="live")))
    ws.send(json.dumps(delta(13, 8.0, "web-1-a", "Ready")))  # on pace again
    page.wait_for_function("() => document.getElementById('connection').textContent === 'live'")


def test_a_big_delta_is_seen_whole_and_the_next_one_waits_its_turn(page, daphne_server, sim_id):
    """A delta that starts 3,000 pods with an event each is applied over several tasks (frames are
    drawn meanwhile): every frame sees all of one seq, the delta sent right after it applies next,
    and the events read back (rebuilt from their compact form when read) are those sent."""
    sockets = []

    def handler(ws):
        sockets.append(ws)
        ws.send(json.dumps(protocol.snapshot_message(state(10, 5.0, {}))))

    page.route_web_socket(f"**/ws/simulations/{sim_id}/", handler)
    page.route(f"**/api/**", lambda route: route.fulfill(json=[]))
    page.goto(f"{daphne_server.url}/simulations/{sim_id}/")
    page.wait_for_function("() => document.body.dataset.lastSeq === '10'")
    names = [f"web-1-{i:05d}" for i in range(3000)]
    pods = {n: {**pod(n, "web-1"), "apiVersion": "v1", "kind": "Pod",
                "metadata": {**pod(n, "web-1")["metadata"], "namespace": "default", "uid": f"00000000-0000-4000-8000-{i:012x}"}}
            for i, n in enumerate(names)}
    events = [{"apiVersion": "v1", "kind": "Event", "count": 1, "type": "Normal", "reason": "Scheduled",
               "message": f"Successfully assigned default/{n} to node-1", "lastTimestamp": "2026-01-01T00:00:06Z",
               "metadata": {"name": f"{n}.18867257{i:08x}", "namespace": "default", "uid": f"10000000-0000-4000-8000-{i:012x}"},
               "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": n, "namespace": "default",
                                  "uid": pods[n]["metadata"]["uid"]}} for i, n in enumerate(names)]
    mirror = compact.Mirror()
    added = [{"type": "ADDED", "kind": "Pod", "name": n, "namespace": "default", "object": pods[n]} for n in names]
    big = protocol.delta_message(
        sim=SIM, seq=11, t=6.0, cause="step", deployments={}, markers=[],
        changes=compact.encode(mirror, added + [{"type": "EVENT", "kind": "Event", "object": e} for e in events]),
        clock=protocol.clock_info(running=True, speed=1.0),
        timeline={"pods": {n: {"rs": "web-1", "node": "node-1", "segments": [[6.0, "Pending"]], "marks": []} for n in names},
                  "replicasets": {}, "deployments": {}})
    running = {**pods[names[0]], "status": {"phase": "Running"}}
    after = protocol.delta_message(
        sim=SIM, seq=12, t=7.0, cause="step", deployments={}, markers=[], timeline={"pods": {}},
        changes=compact.encode(mirror, [{"type": "MODIFIED", "kind": "Pod", "name": names[0], "namespace": "default",
                                        "object": running}]),
        clock=protocol.clock_info(running=True, speed=1.0))
    page.evaluate("""() => {
      const store = window.rolloutviz.store;
      const seen = window.seenInFrames = [];
      const look = () => {
        seen.push([store.seq, store.objects.pods.size]);
        if (store.seq < 12) requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    }""")
    sockets[0].send(json.dumps(big))
    sockets[0].send(json.dumps(after))
    page.wait_for_function("() => document.body.dataset.lastSeq === '12'")
    seen = {tuple(pair) for pair in page.evaluate("window.seenInFrames")}
    assert seen <= {(10, 0), (11, 3000), (12, 3000)}, seen
    held = page.evaluate("(name) => [window.rolloutviz.store.objects.pods.get(name), window.rolloutviz.store.allEvents()]",
                         names[0])
    assert held == [running, events]


# Every object and event the page holds, by kind and name, as plain data.
_HELD_JS = """() => {
  const store = window.rolloutviz.store;
  const by = (map) => Object.fromEntries([...map.entries()]);
  return {seq: store.seq, objects: {Deployment: by(store.objects.deployments), ReplicaSet: by(store.objects.replicasets),
                                    Pod: by(store.objects.pods), Node: by(store.objects.nodes)},
          events: Object.fromEntries(store.allEvents().map((e) => [e.metadata.name, e]))};
}"""
RESOURCES = {"Deployment": "deployments", "ReplicaSet": "replicasets", "Pod": "pods", "Node": "nodes"}


def server_holds(dashboard: Dashboard) -> dict:
    """The simulator's objects and events now, as the objects API gives them whole."""
    def items(resource):
        return dashboard.js("""async ([sim, resource]) => (await (await fetch(`/api/simulations/${sim}/objects/${resource}/`,
                                   {credentials: "same-origin"})).json()).items""", [dashboard.sim_id, resource])
    return {"objects": {kind: {o["metadata"]["name"]: o for o in items(resource)} for kind, resource in RESOURCES.items()},
            "events": {e["metadata"]["name"]: e for e in items("events")}}


def test_the_page_holds_exactly_what_the_simulator_reports(page, daphne_server):
    """A rollout with its commands (set image, scale, delete a pod, a node down and up), checked
    at pauses along the way and after a page reload (a snapshot)."""
    dashboard = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    sim = dashboard.sim_id

    def command(name, body):
        dashboard.js("""async ([sim, name, body]) => {
          const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1];
          const answer = await fetch(`/api/simulations/${sim}/commands/${name}`, {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify(body)});
          if (!answer.ok) throw new Error(`${name}: HTTP ${answer.status} ${await answer.text()}`);
        }""", [sim, name, body])

    def check(where: str) -> None:
        seq = dashboard.js(f"async () => (await (await fetch('/api/simulations/', {{credentials: 'same-origin'}}))"
                           f".json()).find((s) => s.id === {sim}).seq")
        dashboard.wait("(seq) => window.rolloutviz.store.seq === seq", seq)
        held, server = dashboard.js(_HELD_JS), server_holds(dashboard)
        assert held["seq"] == seq, where
        assert held["objects"] == server["objects"], f"{where}: the page's objects differ"
        assert held["events"] == server["events"], f"{where}: the page's events differ"

    command("step", {"count": 15})
    check("after the first rollout")
    command("set-image", {"deployment": "nginx-deployment", "container": "nginx", "image": "nginx:1.16.1"})
    command("step", {"count": 4})
    command("scale", {"deployment": "nginx-deployment", "replicas": 5})
    command("step", {"count": 3})
    check("in the middle of a rolling update, scaled")
    command("delete-pod", {"deployment": "nginx-deployment"})
    command("node", {"node": "node-2", "ready": False})
    command("step", {"count": 40})
    command("node", {"node": "node-2", "ready": True})
    command("step", {"count": 30})
    check("after a pod deleted and a node down and up")
    page.reload()
    dashboard.wait_for_snapshot()
    check("after a reload (a fresh snapshot)")
