"""Invalid YAML is refused with every error shown at its line and in a list; nothing changes."""
import pytest

from dashboard_page import Dashboard
from simulator import notes

pytestmark = pytest.mark.browser

CASES = [
    # (replace this, with this, the field the error names, the line it is reported at,
    #  the learner's note shown under Kubernetes' words)
    ("replicas: 3", "replicas: -1", "spec.replicas", 8, None),
    ("      app: nginx\n  template", "      app: web\n  template", "spec.template.metadata.labels", None,
     notes.SELECTOR_MISMATCH),
    ("  replicas: 3", "  replicas: [3", "", None, None),
]


@pytest.mark.parametrize("old,new,field,line,note", CASES, ids=["negative-replicas", "selector-mismatch", "yaml-syntax"])
def test_invalid_manifest_shows_inline_errors_and_changes_nothing(page, daphne_server, old, new, field, line, note):
    dash = Dashboard.from_demo(page, daphne_server.url, "nginx-docs")
    dash.page.click("#clock-step")
    dash.wait("window.rolloutviz.store.timeline.pods.size === 3")
    before = dash.timeline()
    manifest = dash.yaml()
    assert old in manifest
    dash.set_yaml(manifest.replace(old, new, 1))

    page.click("#apply")
    errors = page.locator("#editor-errors li")
    errors.first.wait_for(state="visible")
    assert page.locator("#confirm-dialog").is_hidden(), "nothing to confirm: the manifest is invalid"
    texts = [errors.nth(i).inner_text() for i in range(errors.count())]
    assert any(field in text for text in texts), texts
    shown = [n.inner_text() for n in page.locator("#editor-errors .learner-note").all()]
    assert (note in shown) if note else shown == [], shown
    if line is not None:
        lines = [int(errors.nth(i).get_attribute("data-line")) for i in range(errors.count())]
        assert line in lines, texts
    # The lint gutter marks every reported line.
    page.locator(".cm-lint-marker-error").first.wait_for(state="visible")
    marker_centres = [box["y"] + box["height"] / 2 for box in
                      (m.bounding_box() for m in page.locator(".cm-lint-marker-error").all())]
    for i in range(errors.count()):
        reported = int(errors.nth(i).get_attribute("data-line"))
        line_box = page.locator(".cm-content .cm-line").nth(reported - 1).bounding_box()
        centre = line_box["y"] + line_box["height"] / 2
        assert any(abs(y - centre) < line_box["height"] / 2 for y in marker_centres), (reported, texts)

    # One more step of the clock: the timeline goes on from the running spec, untouched.
    seq = dash.seq
    page.click("#clock-step")
    dash.wait("(s) => window.rolloutviz.store.seq > s", seq)
    after = dash.timeline()
    assert after["pods"].keys() == before["pods"].keys()
    assert [label for _, label in after["markers"]].count("apply") == [label for _, label in before["markers"]].count("apply")
    assert dash.js("window.rolloutviz.store.objects.deployments.get('nginx-deployment').spec.replicas") == 3
    assert dash.history_rows() == [(1, "nginx:1.14.2")]
