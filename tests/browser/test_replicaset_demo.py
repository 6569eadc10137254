"""The ReplicaSet demo starts with a bare ReplicaSet: the editor shows the manifest the demo
applied (not some Deployment), and its lane says it has no revision (not "rev ?")."""
import pytest
import yaml

from dashboard_page import Dashboard
from rolloutviz.demos import replicaset_practice

pytestmark = pytest.mark.browser

# Every text the timeline draws on its canvas, while it redraws once.
_DRAWN_TEXTS_JS = """() => {
  const tl = window.rolloutviz.timeline;
  const texts = [];
  const fillText = tl.ctx.fillText;
  tl.ctx.fillText = function (text, ...rest) { texts.push(String(text)); return fillText.call(this, text, ...rest); };
  try { tl.draw(); } finally { tl.ctx.fillText = fillText; }
  return texts;
}"""


def run_step(page, index: int) -> None:
    page.click(f'#demo-steps [data-run-step="{index}"]')
    page.locator(f'#demo-steps li[data-step="{index}"].done').wait_for()


def test_the_replicaset_demo_shows_its_own_manifest_and_a_lane_without_a_revision(page, daphne_server):
    dash = Dashboard.from_demo(page, daphne_server.url, "replicaset-practice")
    dash.wait("window.rolloutviz.editor.editor.getText().includes('ReplicaSet')")
    assert yaml.safe_load(dash.yaml()) == yaml.safe_load(replicaset_practice.replicaset(3))

    page.click("#clock-step")
    dash.wait("window.rolloutviz.store.timeline.pods.size === 3")
    headers = [t for t in dash.js(_DRAWN_TEXTS_JS) if "ReplicaSet" in t or "rev " in t]
    assert headers and headers[0].startswith(
        f"ReplicaSet {replicaset_practice.RS_NAME} (no Deployment, no revision) · nginx:1.14.2"), headers
    assert not any("rev ?" in t for t in dash.js(_DRAWN_TEXTS_JS))

    run_step(page, 2)  # "Scale the ReplicaSet up to 5": the editor follows what was applied
    dash.wait("window.rolloutviz.editor.editor.getText().includes('replicas: 5')")
    assert yaml.safe_load(dash.yaml()) == yaml.safe_load(replicaset_practice.replicaset(5))

    run_step(page, 4)  # "Create a Deployment": now the editor shows the Deployment, as typed
    dash.wait("window.rolloutviz.editor.editor.getText().includes('kind: Deployment')")
    assert dash.yaml() == replicaset_practice.deployment()
    page.click("#clock-step")
    dash.wait("[...window.rolloutviz.store.timeline.replicasets.values()].some((r) => r.revision === 1)")
    drawn = dash.js(_DRAWN_TEXTS_JS)
    assert any(t.startswith("rev 1 · nginx:1.14.2 · ") for t in drawn), drawn
    assert any(t.startswith(f"ReplicaSet {replicaset_practice.RS_NAME} (no Deployment") for t in drawn), drawn
