"""A page object for the dashboard: how a person (and the tests) drive it, and what they read off it.

Reads go through `window.rolloutviz` (the page's own store and canvas renderers) or the DOM;
every wait is bounded by the context's default timeout.
"""
from __future__ import annotations

import json

# What the browser keeps about one simulation, as plain data the tests can compare.
_TIMELINE_JS = """() => {
  const tl = window.rolloutviz.store.timeline;
  return {
    pods: Object.fromEntries([...tl.pods.values()].map((l) => [l.name, {rs: l.rs, segments: l.segments, deleted: l.deleted}])),
    replicasets: Object.fromEntries([...tl.replicasets.values()].map((r) => [r.name, {revision: r.revision, images: r.images, series: r.series}])),
    markers: tl.markers.map((m) => [m.t, m.label]),
  };
}"""

# The colour the timeline canvas shows at the middle of a pod's lane at sim time t.
_LANE_PIXEL_JS = """([pod, t]) => {
  const tl = window.rolloutviz.timeline;
  tl.reveal(pod);
  tl.draw();
  const row = tl.rows.find((r) => r.kind === "pod" && r.lane.name === pod);
  if (!row) return null;
  const sz = tl.sizes();
  const x = tl.x(t);
  const y = row.y - tl.scroller.scrollTop + sz.axis + row.h / 2;
  const dpr = window.devicePixelRatio || 1;
  const d = tl.ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
  return "#" + [d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, "0")).join("").toUpperCase();
}"""


# Where a timeline row is on the screen: the middle of a pod's lane (kind "pod", by pod name)
# or of a ReplicaSet's header (kind "rs", by ReplicaSet name), at the latest sim time shown.
_ROW_POINT_JS = """([kind, name]) => {
  const tl = window.rolloutviz.timeline;
  if (kind === "pod") tl.reveal(name);
  tl.draw();
  const row = tl.rows.find((r) => r.kind === kind && (kind === "pod" ? r.lane.name : r.rs.name) === name);
  if (!row) return null;
  const rect = tl.canvas.getBoundingClientRect();
  const x = Math.min(tl.x(window.rolloutviz.store.t) - 4, rect.width - 30);
  return {x: rect.left + x, y: rect.top + row.y - tl.scroller.scrollTop + tl.sizes().axis + row.h / 2};
}"""


class Dashboard:
    """One open dashboard page of one simulation."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    # ------------------------------------------------------------ opening

    @classmethod
    def from_demo(cls, page, base_url: str, demo: str) -> "Dashboard":
        """Home page → "New from demo" → the new simulation's dashboard."""
        page.goto(base_url + "/")
        page.click(f'[data-demo="{demo}"]')
        page.wait_for_url("**/simulations/*/")
        return cls(page, base_url).wait_for_snapshot()

    @classmethod
    def new_empty(cls, page, base_url: str) -> "Dashboard":
        page.goto(base_url + "/")
        page.click("#new-empty")
        page.wait_for_url("**/simulations/*/")
        return cls(page, base_url).wait_for_snapshot()

    @classmethod
    def open(cls, page, base_url: str, sim_id: int) -> "Dashboard":
        page.goto(f"{base_url}/simulations/{sim_id}/")
        return cls(page, base_url).wait_for_snapshot()

    @classmethod
    def open_link(cls, page, url: str) -> "Dashboard":
        """Open a share link (it grants its role to the browser, then shows the page)."""
        page.goto(url)
        page.wait_for_url("**/simulations/*/")
        return cls(page, url.split("/simulations/")[0]).wait_for_snapshot()

    def share(self, role: str) -> str:
        """A new ``role`` link to this simulation (as its owner's page would make it): its URL."""
        return self.js("""async ([sim, role]) => {
          const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1];
          const answer = await fetch(`/api/simulations/${sim}/links`, {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}, body: JSON.stringify({role})});
          if (answer.status !== 201) throw new Error(`links: HTTP ${answer.status}`);
          return (await answer.json()).url;
        }""", [self.sim_id, role])

    def wait_for_snapshot(self) -> "Dashboard":
        self.wait("document.body.dataset.lastSeq !== undefined")
        return self

    @property
    def sim_id(self) -> int:
        return int(self.page.evaluate("document.body.dataset.simId"))

    # ------------------------------------------------------------ reading

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def wait(self, predicate: str, arg=None) -> None:
        """Wait (bounded) until a JS predicate over the page is true.

        A bare expression is wrapped in a function: Playwright evaluates an expression string
        with ``eval`` at every poll, which the page's Content-Security-Policy refuses, while a
        function is compiled once by the debugger protocol, which the policy does not govern.
        """
        if "=>" not in predicate and not predicate.lstrip().startswith("function"):
            predicate = f"() => ({predicate})"
        self.page.wait_for_function(predicate, arg=arg)

    @property
    def seq(self) -> int:
        return self.js("window.rolloutviz.store.seq")

    @property
    def sim_time(self) -> float:
        return self.js("window.rolloutviz.store.t")

    def timeline(self) -> dict:
        return self.js(_TIMELINE_JS)

    def lane_colour(self, pod: str, t: float) -> str | None:
        """The timeline canvas' colour (#RRGGBB) in the middle of `pod`'s lane at time t."""
        return self.js(_LANE_PIXEL_JS, [pod, t])

    def live_pods(self, revision: int) -> list[dict]:
        """Lanes of the not-deleted pods of the ReplicaSet with this revision."""
        return self.js("""(rev) => {
          const tl = window.rolloutviz.store.timeline;
          const rs = [...tl.replicasets.values()].find((r) => r.revision === rev);
          if (!rs) return [];
          return [...tl.pods.values()].filter((l) => l.rs === rs.name && l.deleted === null)
            .map((l) => ({name: l.name, state: l.segments.at(-1)?.[1], since: l.segments.at(-1)?.[0]}));
        }""", revision)

    def wait_pods(self, revision: int, count: int, states=("Ready", "Available")) -> list[dict]:
        """Wait until the revision's ReplicaSet has exactly `count` live pods, all in `states`."""
        self.wait("""([rev, n, states]) => {
          const tl = window.rolloutviz.store.timeline;
          const rs = [...tl.replicasets.values()].find((r) => r.revision === rev);
          if (!rs) return false;
          const lanes = [...tl.pods.values()].filter((l) => l.rs === rs.name && l.deleted === null);
          return lanes.length === n && lanes.every((l) => states.includes(l.segments.at(-1)?.[1]));
        }""", [revision, count, list(states)])
        return self.live_pods(revision)

    def history_rows(self) -> list[tuple[int, str]]:
        """(revision, images) of the revision history table, newest first."""
        rows = self.page.locator("#history tbody tr[data-revision]")
        return [(int(rows.nth(i).get_attribute("data-revision")), rows.nth(i).locator("td").nth(1).inner_text())
                for i in range(rows.count())]

    def notice(self) -> str:
        return self.page.locator("#notice .notice-text").inner_text()

    # ------------------------------------------------------------ acting

    def set_speed(self, speed: float) -> None:
        self.page.select_option("#clock-speed", str(speed if speed % 1 else int(speed)))
        self.wait("(s) => window.rolloutviz.store.clock.speed === s", float(speed))

    def play(self) -> None:
        if not self.js("window.rolloutviz.store.clock.running"):
            self.page.click("#clock-toggle")
        self.wait("window.rolloutviz.store.clock.running === true")

    def pause_clock(self) -> None:
        if self.js("window.rolloutviz.store.clock.running"):
            self.page.click("#clock-toggle")
        self.wait("window.rolloutviz.store.clock.running === false")

    def advance(self, seconds: float) -> None:
        """Let the running clock move `seconds` of simulated time."""
        target = self.sim_time + seconds
        self.wait("(t) => window.rolloutviz.store.t >= t", target)

    def set_yaml(self, text: str) -> None:
        self.js("(text) => window.rolloutviz.editor.editor.setText(text)", text)

    def yaml(self) -> str:
        return self.js("window.rolloutviz.editor.editor.getText()")

    def use_image(self, image: str) -> None:
        """Open the image catalogue and press "Use" on `image` (it replaces the first image: line)."""
        catalogue = self.page.locator("#catalogue")
        if catalogue.get_attribute("open") is None:
            catalogue.locator("summary").click()
        self.page.click(f'[data-use-image="{image}"]')

    def review_apply(self) -> str:
        """Press Apply…; return the diff the confirm dialog shows (the dialog stays open)."""
        self.page.click("#apply")
        dialog = self.page.locator("#confirm-dialog")
        dialog.wait_for(state="visible")
        return dialog.locator(".dialog-body").inner_text()

    def confirm(self) -> None:
        self.page.click("#confirm-dialog [data-confirm]")
        self.page.locator("#confirm-dialog").wait_for(state="hidden")

    def apply(self) -> str:
        """Apply the editor's text after its diff and wait for the server's answer; returns the diff."""
        self.js("document.getElementById('notice').hidden = true")
        diff = self.review_apply()
        self.confirm()
        self.page.locator("#notice.notice-ok").wait_for(state="visible")
        return diff

    def hover_row(self, kind: str, name: str) -> str:
        """Point at a timeline row ("pod" lane or "rs" header); returns the tooltip's text."""
        point = self.js(_ROW_POINT_JS, [kind, name])
        assert point, f"no {kind} row {name!r} on the timeline"
        self.page.mouse.move(point["x"], point["y"])
        tooltip = self.page.locator("#timeline .tl-tooltip")
        tooltip.wait_for(state="visible")
        return tooltip.inner_text()

    def click_row(self, kind: str, name: str) -> None:
        """Click a timeline row: a "pod" lane, an "rs" header or a ReplicaSet's "folded" row."""
        point = self.js(_ROW_POINT_JS, [kind, name])
        assert point, f"no {kind} row {name!r} on the timeline"
        self.page.mouse.click(point["x"], point["y"])

    def run_step(self, index: int) -> None:
        """Press Run on the tutorial's step ``index`` (0-based) and wait until it is done."""
        self.page.click(f'[data-run-step="{index}"]')
        self.wait("(i) => document.querySelector(`#demo-steps [data-step='${i}']`).classList.contains('done')", index)

    def lesson_step(self) -> int:
        """The tutorial step (0-based) this page shows as the lesson's."""
        return int(self.page.locator("#demo-steps").get_attribute("data-lesson-step"))

    def dump(self) -> str:
        """Everything the page knows, for assertion messages."""
        return json.dumps(self.timeline())[:3000]
