"""The Export menu's downloads, each captured and parsed (scenario file, event log as JSON and CSV,
the kubectl get pods -w transcript, the timeline and chart as SVG and PNG), and the read-only
embed player opened in a fresh browser with a view link's token."""
import base64
import csv
import io
import json
import re
import struct
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlparse

import pytest
from dashboard_page import Dashboard
from policy_watch import watch_policy

pytestmark = pytest.mark.browser

SVG = "{http://www.w3.org/2000/svg}"


def downloaded(page, item: str) -> tuple[str, bytes]:
    """Open the Export menu, click ``item``, and return the download's file name and bytes."""
    page.click("#export-menu > summary")
    with page.expect_download() as info:
        page.click(f'[data-export="{item}"]')
    download = info.value
    return download.suggested_filename, open(download.path(), "rb").read()


def png_size(page, data: bytes) -> tuple[int, int]:
    """The PNG's size as its header says it and as the page decodes it (a data: image)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    decoded = page.evaluate("""(src) => new Promise((resolve, reject) => {
        const image = new Image();
        image.onload = () => resolve([image.naturalWidth, image.naturalHeight]);
        image.onerror = () => reject(new Error("the PNG does not decode"));
        image.src = src;
    })""", "data:image/png;base64," + base64.b64encode(data).decode())
    assert tuple(decoded) == (width, height)
    return width, height


def test_every_export_downloads_and_parses(page, daphne_server, tmp_path):
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    dash.set_speed(10)
    dash.play()
    dash.wait_pods(1, 3)
    dash.use_image("nginx:1.16.1")
    dash.apply()
    dash.wait_pods(2, 3)
    dash.pause_clock()
    sim = dash.sim_id

    name, body = downloaded(page, "scenario")
    scenario = json.loads(body)
    assert name == f"scenario-{sim}.json" and scenario["kind"] == "RolloutvizScenario"
    assert [c["command"] for c in scenario["commands"] if c["command"] != "clock"] == ["apply", "apply"]
    assert scenario["position"]["seq"] >= dash.seq - 1

    name, body = downloaded(page, "events-json")
    events = json.loads(body)["events"]
    assert name.endswith("-events.json") and {"ScalingReplicaSet", "Pulled", "Started"} <= {e["reason"] for e in events}
    name, body = downloaded(page, "events-csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert name.endswith(".csv") and rows[0] == ["t", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert [row[3] for row in rows[1:]] == [e["reason"] for e in events]

    name, body = downloaded(page, "transcript")
    lines = body.decode().splitlines()
    assert name.endswith("-pods-watch.txt") and lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    pods = set(dash.timeline()["pods"])
    assert {line.split()[0] for line in lines[1:]} == pods
    assert "1/1" in {line.split()[1] for line in lines[1:]}

    name, body = downloaded(page, "timeline-svg")
    drawing = ET.fromstring(body)
    assert name.endswith("-timeline.svg") and drawing.tag == f"{SVG}svg"
    labels = {t.text for t in drawing.iter(f"{SVG}text")}
    # each pod lane is labelled by its name after its ReplicaSet's ("…-x7k2p")
    lanes = {label for label in labels if label and label.startswith("…-")}
    assert lanes and all(any(pod.endswith(label[1:]) for pod in pods) for label in lanes), labels
    assert len(list(drawing.iter(f"{SVG}rect"))) > 2 * len(pods), "lane segments are drawn as rectangles"
    assert not list(drawing.iter(f"{SVG}image")), "vectors, not a picture wrapped in SVG"

    name, body = downloaded(page, "chart-svg")
    chart = ET.fromstring(body)
    strokes = [p for p in chart.iter(f"{SVG}path") if p.get("stroke") not in (None, "none")]
    assert name.endswith("-chart.svg") and len(strokes) >= 4  # a series per ReplicaSet, desired and ready

    for item, canvas in (("timeline-png", "#timeline canvas"), ("chart-png", "#replica-chart canvas")):
        name, body = downloaded(page, item)
        assert name.endswith(".png")
        assert png_size(page, body) == tuple(page.eval_on_selector(canvas, "(c) => [c.width, c.height]"))

    # the scenario file, imported from the home page, is the same simulation under a new id
    source = dash.timeline()
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    page.goto(daphne_server.url + "/")
    page.set_input_files("#import-scenario", str(path))
    page.wait_for_url(lambda url: "/simulations/" in url and f"/simulations/{sim}/" not in url)
    replayed = Dashboard(page, daphne_server.url).wait_for_snapshot()
    assert replayed.seq == scenario["position"]["seq"]
    assert replayed.timeline() == source


def test_the_embed_player_follows_live_in_a_fresh_browser(browser, page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    token = parse_qs(urlparse(dash.share("view")).query)["token"][0]
    page.click("#share-open")  # the owner's Share dialog offers the player's iframe for a view link
    code = page.locator("#share-links [data-embed]").input_value()
    src = re.search(r'<iframe src="([^"]+)"', code).group(1)
    assert src == f"{daphne_server.url}/embed/{token}/"
    page.keyboard.press("Escape")
    dash.set_speed(10)
    dash.play()
    stranger = browser.new_context(viewport={"width": 1000, "height": 800})  # no cookies, no session
    stranger.set_default_timeout(60_000)
    try:
        player = stranger.new_page()
        errors = []
        player.on("pageerror", lambda error: errors.append(str(error)))
        violations = watch_policy(player)
        player.goto(src)
        embed = Dashboard(player, daphne_server.url).wait_for_snapshot()
        assert player.locator("#editor, #actions, #apply, #export-menu").count() == 0
        start = embed.sim_time
        embed.wait("(t) => window.rolloutviz.store.t > t + 5", start)
        embed.wait("() => window.rolloutviz.store.timeline.pods.size >= 3")
        states = embed.js("() => [...window.rolloutviz.store.timeline.pods.values()].map((p) => p.segments.length)")
        assert max(states) >= 2, "pods move through states"
        assert player.locator("#rollout-status").inner_text().strip()
        assert not errors and not violations
        assert player.goto(f"{daphne_server.url}/embed/made-up/").status == 404
    finally:
        stranger.close()
