"""Takes the README's screenshots of the dashboard (docs/screenshots/*.png).

Run: ``python tests/browser/take_screenshots.py`` — starts its own Daphne (as the browser tests
do), drives Debian's Chromium and overwrites the PNGs. Not a test.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from rolloutviz.local_processes import LOCAL_OPERATOR_TOKEN, ROOT, launch_chromium

from conftest import live_server
from dashboard_page import Dashboard

OUT = ROOT / "docs" / "screenshots"
SIZE = {"width": 1600, "height": 1000}


def mid_rollout(page, base: str) -> Dashboard:
    """The nginx demo rolled out, then caught half-way through its update to nginx:1.16.1."""
    dash = Dashboard.from_demo(page, base, "nginx-docs")
    dash.set_speed(2)
    dash.play()
    dash.wait_pods(1, 3)
    dash.advance(6)
    dash.use_image("nginx:1.16.1")
    dash.apply()
    dash.wait("""() => {
      const tl = window.rolloutviz.store.timeline;
      const live = (rev) => { const rs = [...tl.replicasets.values()].find((r) => r.revision === rev);
        return rs ? [...tl.pods.values()].filter((l) => l.rs === rs.name && l.deleted === null) : []; };
      const now = window.rolloutviz.store.t;
      const up = live(2).filter((l) => l.segments.at(-1)[1] === "Available" && l.segments.at(-1)[0] <= now - 2).length;
      return up >= 1 && live(1).filter((l) => l.segments.at(-1)[1] === "Available").length >= 1;
    }""")
    dash.pause_clock()
    page.locator("#catalogue summary").click()  # close the catalogue again
    return dash


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        server = live_server(Path(tmp)).start()
        try:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport=SIZE)
            context.set_default_timeout(60_000)
            page = context.new_page()
            page.goto(f"{server.url}/?token={LOCAL_OPERATOR_TOKEN}")  # the operator link

            dash = mid_rollout(page, server.url)
            page.mouse.move(*hover_point(page, dash))
            page.locator("#timeline .tl-tooltip").wait_for(state="visible")
            page.screenshot(path=OUT / "dashboard.png", full_page=True)
            page.locator("#timeline").screenshot(path=OUT / "timeline.png")

            page.click('#history [data-rollback="1"]')
            page.locator("#confirm-dialog .dialog-title", has_text="Roll back to revision 1?").wait_for()
            page.screenshot(path=OUT / "rollback-preview.png")
            page.keyboard.press("Escape")

            dash.set_yaml(dash.yaml().replace("replicas: 3", "replicas: -1").replace("app: nginx\n  template", "app: web\n  template"))
            page.click("#apply")
            page.locator("#editor-errors li").first.wait_for()
            page.locator("#editor-panel").screenshot(path=OUT / "editor-errors.png")

            page.goto(page.url + "?large")
            dash.wait_for_snapshot()
            page.screenshot(path=OUT / "large-mode.png")
            page.click("#large-mode")

            liveness_failures(page, server.url)
            page.locator("#timeline").screenshot(path=OUT / "probe-failures.png")

            thousand_pods(page, server.url)
            page.screenshot(path=OUT / "thousand-pods.png")

            whatif_checked(page, server.url)
            page.locator("#editor-panel").screenshot(path=OUT / "whatif.png")

            page.goto(server.url + "/")
            page.wait_for_selector("body[data-ready=true]")
            page.screenshot(path=OUT / "home.png", full_page=True)
            browser.close()
        finally:
            server.stop()


def whatif_checked(page, base: str) -> Dashboard:
    """The nginx demo rolled out, its image edited to nginx:1.16.1 and not applied: the What-if
    panel's prediction with its check."""
    dash = Dashboard.from_demo(page, base, "nginx-docs")
    dash.set_speed(50)
    dash.play()
    dash.wait_pods(1, 3)
    dash.pause_clock()
    dash.use_image("nginx:1.16.1")
    page.locator("#catalogue summary").click()  # close the catalogue again
    dash.wait("document.querySelector('#whatif').dataset.state === 'checked'")
    return dash


def liveness_failures(page, base: str) -> Dashboard:
    """hellok8s with its liveness probe failing after 15 s: restarts, probe failures, back-off."""
    dash = Dashboard.from_demo(page, base, "hellok8s")
    dash.set_speed(10)
    dash.play()
    dash.wait_pods(1, 1)
    page.click('#demo-steps [data-run-step="6"]')  # "A liveness probe that fails after 15 s"
    page.locator('#demo-steps li[data-step="6"].done').wait_for()
    dash.wait("""() => [...window.rolloutviz.store.timeline.pods.values()]
      .some((l) => l.marks.filter((m) => m[1] === "restart").length >= 2)""")
    dash.pause_clock()
    page.click("#fit-all")
    return dash


def thousand_pods(page, base: str) -> Dashboard:
    """A 1,000-replica Deployment half-way through a rolling update."""
    dash = Dashboard.new_empty(page, base)
    dash.set_yaml(dash.yaml().replace("replicas: 3", "replicas: 1000").replace("maxSurge: 1", "maxSurge: 25%")
                  .replace("maxUnavailable: 0", "maxUnavailable: 25%"))
    dash.apply()
    dash.set_speed(10)
    dash.play()
    dash.wait_pods(1, 1000)
    dash.set_speed(1)
    dash.use_image("nginx:1.16.1")
    dash.apply()
    dash.wait("""() => {
      const tl = window.rolloutviz.store.timeline;
      const live = (rev) => { const rs = [...tl.replicasets.values()].find((r) => r.revision === rev);
        return rs ? [...tl.pods.values()].filter((l) => l.rs === rs.name && l.deleted === null).length : 0; };
      return live(2) >= 250 && live(1) >= 250;
    }""")
    dash.advance(5)  # let the first new pods pull and start
    dash.pause_clock()
    page.click("#fit-all")
    page.locator("#catalogue summary").click()
    # Scroll the lanes to where the new ReplicaSet's pods end and the old one's begin.
    dash.js("""() => { const tl = window.rolloutviz.timeline;
      const header = tl.rows.find((r) => r.kind === "rs" && r.rs.revision === 1);
      tl.scroller.scrollTop = header.y - 200; }""")
    return dash


def hover_point(page, dash: Dashboard) -> tuple[float, float]:
    """A point over the middle of the newest ReplicaSet's first lane (for the tooltip)."""
    box = page.locator("#timeline canvas").bounding_box()
    point = dash.js("""() => {
      const tl = window.rolloutviz.timeline;
      const row = tl.rows.find((r) => r.kind === "pod");
      const seg = row.lane.segments;
      return [tl.x((seg[0][0] + window.rolloutviz.store.t) / 2), row.y - tl.scroller.scrollTop + tl.sizes().axis + row.h / 2];
    }""")
    return box["x"] + point[0], box["y"] + point[1]


if __name__ == "__main__":
    sys.exit(main())
