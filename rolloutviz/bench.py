"""Dashboard benchmark: page load time and frames per second during a 1,000-pod rollout.

Run: ``python -m rolloutviz.bench`` (needs Debian's chromium and Playwright);
``python -m rolloutviz.bench clocks`` runs the clock benchmark instead (`rolloutviz.bench_clocks`),
``python -m rolloutviz.bench abuse`` the abuse benchmark (`rolloutviz.bench_abuse`),
``python -m rolloutviz.bench fanout`` the fan-out benchmark (`rolloutviz.bench_fanout`),
``python -m rolloutviz.bench reads`` the read benchmark (`rolloutviz.bench_reads`),
``python -m rolloutviz.bench seek`` the rewind benchmark (`rolloutviz.bench_seek`). It starts its own
Daphne on a free loopback port with a temporary SQLite file, drives Chromium headless, prints a
Markdown table, and stops everything it started. A measurement, not a test: nothing is asserted.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from rolloutviz.local_processes import CHROMIUM, DaphneServer, launch_chromium, server_env

# the other benchmarks, by their first argument
OTHER_BENCHMARKS = {"clocks": "rolloutviz.bench_clocks", "abuse": "rolloutviz.bench_abuse",
                    "fanout": "rolloutviz.bench_fanout", "reads": "rolloutviz.bench_reads",
                    "whatif": "simulator.whatif.bench", "scenario": "rolloutviz.bench_scenario",
                    "seek": "rolloutviz.bench_seek"}
MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: big
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: big
  template:
    metadata:
      labels:
        app: big
    spec:
      containers:
      - name: app
        image: {image}
"""
FPS_JS = """(seconds) => new Promise((resolve) => {
  const intervals = [];
  const stats = window.rolloutviz.stats;
  const before = {draws: stats.draws, drawMs: stats.totalMs, messages: stats.messages,
                  messageMs: stats.messageMs, bytes: stats.messageBytes, pods: window.rolloutviz.store.timeline.pods.size};
  stats.maxMessageMs = 0;
  stats.maxSliceMs = 0;
  const longTasks = [];  // main-thread tasks over 50 ms, as Chromium reports them
  const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
  observer.observe({type: "longtask"});
  const start = performance.now();
  let last = start;
  function frame(now) {
    intervals.push(now - last);
    last = now;
    if (now - start < seconds * 1000) requestAnimationFrame(frame);
    else { observer.disconnect(); resolve({elapsed: now - start, intervals, longTasks, draws: stats.draws - before.draws,
                  drawMs: stats.totalMs - before.drawMs, messages: stats.messages - before.messages,
                  messageMs: stats.messageMs - before.messageMs, maxMessageMs: stats.maxMessageMs,
                  maxSliceMs: stats.maxSliceMs,
                  bytes: stats.messageBytes - before.bytes,
                  newPods: window.rolloutviz.store.timeline.pods.size - before.pods}); }
  }
  requestAnimationFrame(frame);
})"""


class Api:
    """JSON calls through the browser context (its CSRF cookie, sent back as X-CSRFToken)."""

    def __init__(self, context, base_url: str) -> None:
        self.context, self.base = context, base_url

    def call(self, method: str, path: str, body: dict | None = None):
        token = next((c["value"] for c in self.context.cookies() if c["name"] == "csrftoken"), "")
        response = self.context.request.fetch(
            f"{self.base}/api/{path}", method=method, data=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json", "X-CSRFToken": token, "Origin": self.base}, timeout=300_000)
        if not response.ok:
            raise RuntimeError(f"{method} {path}: {response.status} {response.text()[:300]}")
        return response.json()


def page_load_ms(context, url: str, runs: int) -> float:
    """Median time from navigation start to the first snapshot drawn (timeline rendered)."""
    times = []
    for _ in range(runs):
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => document.body.dataset.lastSeq !== undefined && window.rolloutviz.stats.draws > 0",
                               timeout=120_000)
        times.append(page.evaluate("performance.now()"))
        page.close()
    return statistics.median(times)


def fps_during_rollout(page, api: Api, sim: int, image: str, speed: float, seconds: float) -> dict:
    """Start a rolling update of every pod at `speed` and measure animation frames for `seconds`."""
    api.call("POST", f"simulations/{sim}/commands/clock", {"speed": speed, "running": True})
    api.call("POST", f"simulations/{sim}/commands/set-image", {"deployment": "big", "container": "app", "image": image})
    m = page.evaluate(FPS_JS, seconds)
    api.call("POST", f"simulations/{sim}/commands/clock", {"running": False})
    intervals = sorted(m["intervals"][1:])
    elapsed = m["elapsed"] / 1000
    return {
        "fps": round(len(m["intervals"]) / elapsed, 1),
        "p95_frame_ms": round(intervals[int(0.95 * (len(intervals) - 1))], 1),
        "p99_frame_ms": round(intervals[int(0.99 * (len(intervals) - 1))], 1),
        "long_tasks": len(m["longTasks"]),
        "worst_long_task_ms": round(max(m["longTasks"], default=0), 1),
        "worst_frame_ms": round(intervals[-1], 1),
        "deltas": m["messages"],
        "new_pods": m["newPods"],
        "mb_received": round(m["bytes"] / 1e6, 1),
        "mean_message_ms": round(m["messageMs"] / max(m["messages"], 1), 1),
        "worst_message_ms": round(m["maxMessageMs"], 1),
        "worst_slice_ms": round(m["maxSliceMs"], 1),
        "mean_draw_ms": round(m["drawMs"] / max(m["draws"], 1), 2),
    }


def run(replicas: int, seconds: float, runs: int) -> list[tuple[str, str]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory(prefix="rolloutviz-bench-") as tmp, \
            DaphneServer(server_env(Path(tmp) / "bench.sqlite3"), Path(tmp) / "daphne.log") as server, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = context.new_page()
        page.goto(server.url + "/")
        api = Api(context, server.url)
        small = api.call("POST", "simulations/", {"demo": "nginx-docs"})["id"]
        api.call("POST", f"simulations/{small}/commands/step", {"count": 20})
        rows.append(("page load, 3-pod demo (median of %d)" % runs,
                     f"{page_load_ms(context, f'{server.url}/simulations/{small}/', runs):.0f} ms"))
        big = api.call("POST", "simulations/", {"name": "bench"})["id"]
        api.call("POST", f"simulations/{big}/apply", {"yaml": MANIFEST.format(replicas=replicas, image="nginx:1.14.2")})
        api.call("POST", f"simulations/{big}/commands/step", {"count": 20})
        rows.append((f"page load, {replicas} pods Ready (median of {runs})",
                     f"{page_load_ms(context, f'{server.url}/simulations/{big}/', runs):.0f} ms"))
        page.goto(f"{server.url}/simulations/{big}/")
        page.wait_for_function("() => document.body.dataset.lastSeq !== undefined && window.rolloutviz.stats.draws > 0",
                               timeout=120_000)
        for speed, image in ((10.0, "nginx:1.16.1"), (50.0, "nginx:latest")):
            f = fps_during_rollout(page, api, big, image, speed, seconds)
            rows.append((f"rolling update of {replicas} pods at {speed:g}× for {seconds:g} s: frames per second", f"{f['fps']}"))
            rows.append(("  … 95th / 99th percentile / worst frame interval",
                         f"{f['p95_frame_ms']} / {f['p99_frame_ms']} / {f['worst_frame_ms']} ms"))
            rows.append(("  … long tasks (over 50 ms) / the longest", f"{f['long_tasks']} / {f['worst_long_task_ms']} ms"))
            rows.append(("  … deltas received (new pods, data)", f"{f['deltas']} ({f['new_pods']} pods, {f['mb_received']} MB)"))
            rows.append(("  … mean / worst time to parse and apply one delta", f"{f['mean_message_ms']} / {f['worst_message_ms']} ms"))
            rows.append(("  … longest stretch of message work without a break", f"{f['worst_slice_ms']} ms"))
            rows.append(("  … mean canvas draw (timeline or chart)", f"{f['mean_draw_ms']} ms"))
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in OTHER_BENCHMARKS:
        importlib.import_module(OTHER_BENCHMARKS[argv[0]]).main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to count frames per speed")
    parser.add_argument("--runs", type=int, default=3, help="page loads per measurement")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium")
    rows = run(args.replicas, args.seconds, args.runs)
    print(f"load average {Path('/proc/loadavg').read_text().split()[0]} (at the end)")
    print("| measurement | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
