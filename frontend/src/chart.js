// The replica chart: desired and ready replicas per ReplicaSet over time, with the Deployment's
// `replicas + maxSurge` ceiling and `replicas − maxUnavailable` floor as guides. Same time axis
// as the timeline; Canvas 2D, redrawn only when dirty.
import { scaleLinear } from "d3-scale";
import { revisionColour, OKABE_ITO, paintSwatches, swatchHtml } from "./palette.js";
import { TimeCanvas, formatSimTime, prepareCanvas } from "./view.js";
import { esc } from "./timeline.js";

const SIZES = { normal: { label: 230, height: 200, font: 12 }, large: { label: 320, height: 280, font: 17 } };

// The chart's lines other than each ReplicaSet's colour: [legend key, swatch, words].
const CHART_LINES = [
  ["desired", `<span class="line-swatch solid"></span>`, "desired (solid)"],
  ["ready", `<span class="line-swatch dotted"></span>`, "ready (dotted)"],
  ["ceiling", `<span class="line-swatch guide-ceiling"></span>`, "replicas + maxSurge (the ceiling)"],
  ["floor", `<span class="line-swatch guide-floor"></span>`, "replicas − maxUnavailable (the floor)"],
  ["available", `<span class="line-swatch guide-available"></span>`, "total available"],
  ["now", `<span class="line-swatch now"></span>`, "now"],
];

const GUIDES = new Set(["ceiling", "floor", "available"]);

/** Value of a step series [[t, ...values]] at time t, column `col` (null before the first point). */
function valueAt(series, t, col) {
  let value = null;
  for (const point of series) {
    if (point[0] > t) break;
    value = point[col];
  }
  return value;
}

export class ReplicaChart extends TimeCanvas {
  constructor(root, store, view, { stats } = {}) {
    super(root, store, view, ".chart-legend");
    this.stats = stats;
  }

  draw() {
    const started = performance.now();
    const sz = SIZES[this.large ? "large" : "normal"];
    const width = this.canvas.parentElement.clientWidth;
    const height = sz.height;
    const ctx = prepareCanvas(this.canvas, this.ctx, width, height);
    const now = this.store.t;
    const x = this.view.scale(now, sz.label, width - 8);
    const [t0, t1] = x.domain();
    const tl = this.store.timeline;
    const replicasets = [...tl.replicasets.values()].sort((a, b) => a.revision - b.revision);
    const deployments = [...tl.deployments.values()];
    let maxY = 1;
    for (const rs of replicasets) for (const p of rs.series) maxY = Math.max(maxY, p[1], p[2]);
    for (const d of deployments) for (const p of d.series) maxY = Math.max(maxY, p[1] + (p[2] || 0));
    const top = 10;
    const bottom = height - 22;
    const y = (v) => bottom - (v / (maxY * 1.08)) * (bottom - top);

    this.drawGrid(ctx, sz, x, y, maxY, width, bottom);
    this.drawn = new Set(); // what this draw showed, by legend key (`legendKeys`)
    const mark = (key, drew) => drew && this.drawn.add(key);
    for (const d of deployments) {
      mark("ceiling", this.drawStep(ctx, x, y, d.series, 1, t0, t1, now, "#555", [2, 4], (p) => (p[2] === null ? null : p[1] + p[2])));
      mark("floor", this.drawStep(ctx, x, y, d.series, 1, t0, t1, now, "#555", [8, 4], (p) => (p[3] === null ? null : Math.max(p[1] - p[3], 0))));
      // the total available, which the controller keeps at or above the floor
      mark("available", this.drawStep(ctx, x, y, d.series, 2, t0, t1, now, "#1b1f24", [], (p) => (p.length > 4 ? p[4] : null)));
    }
    for (const rs of replicasets) {
      const colour = revisionColour(rs.revision);
      const desired = this.drawStep(ctx, x, y, rs.series, 2.5, t0, t1, now, colour, [], (p) => p[1]);
      const ready = this.drawStep(ctx, x, y, rs.series, 2.5, t0, t1, now, colour, [1, 3], (p) => p[2]);
      mark("desired", desired);
      mark("ready", ready);
      mark(`rs:${rs.name}`, desired || ready);
    }
    const nowX = x(now);
    if (nowX >= sz.label && nowX <= width) {
      this.drawn.add("now");
      ctx.strokeStyle = OKABE_ITO.vermillion;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(nowX, top);
      ctx.lineTo(nowX, bottom);
      ctx.stroke();
    }
    this.drawGuideLabels(ctx, sz, deployments, y, now);
    this.updateLegend(replicasets, deployments, now);
    if (this.stats) this.stats.record(performance.now() - started);
  }

  drawGrid(ctx, sz, x, y, maxY, width, bottom) {
    ctx.font = `${sz.font - 1}px system-ui, sans-serif`;
    ctx.fillStyle = "#444";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 1;
    const ticks = scaleLinear().domain([0, maxY]).ticks(5).filter(Number.isInteger);
    for (const v of ticks) {
      ctx.strokeStyle = "rgba(0,0,0,0.08)";
      ctx.beginPath();
      ctx.moveTo(sz.label, y(v));
      ctx.lineTo(width, y(v));
      ctx.stroke();
      ctx.fillText(String(v), sz.label - 6, y(v));
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const tick of x.ticks(Math.max(2, Math.floor((width - sz.label) / 90)))) {
      ctx.fillText(formatSimTime(tick), x(tick), bottom + 4);
    }
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.font = `600 ${sz.font}px system-ui, sans-serif`;
    ctx.fillStyle = "#1b1f24";
    ctx.fillText("replicas", 6, 18);
  }

  /** A step line through the series' points inside [t0, t1], extended to now; whether it drew any. */
  drawStep(ctx, x, y, series, width, t0, t1, now, colour, dash, pick) {
    if (!series.length) return false;
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.setLineDash(dash);
    ctx.beginPath();
    let drawing = false;
    let lastY = null;
    for (let i = 0; i < series.length; i++) {
      const start = series[i][0];
      const stop = i + 1 < series.length ? series[i + 1][0] : now;
      if (stop < t0) continue;
      if (start > t1) break;
      const v = pick(series[i]);
      if (v === null) {
        drawing = false;
        continue;
      }
      const xa = x(Math.max(start, t0));
      const xb = x(Math.min(stop, t1));
      const py = y(v);
      if (drawing && lastY !== null) ctx.lineTo(xa, py);
      else ctx.moveTo(xa, py);
      ctx.lineTo(xb, py);
      drawing = true;
      lastY = py;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    return drawing;
  }

  drawGuideLabels(ctx, sz, deployments, y, now) {
    ctx.font = `${sz.font - 1}px system-ui, sans-serif`;
    ctx.fillStyle = "#555";
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    for (const d of deployments) {
      const replicas = valueAt(d.series, now, 1);
      const surge = valueAt(d.series, now, 2);
      const unavailable = valueAt(d.series, now, 3);
      if (replicas === null || surge === null) continue;
      ctx.fillText(`ceiling ${replicas}+${surge}`, sz.label - 34, y(replicas + surge) + 1);
      ctx.fillText(`floor ${replicas}−${unavailable}`, sz.label - 34, y(Math.max(replicas - unavailable, 0)) + 12);
    }
  }

  /** HTML legend (rebuilt only when the set of ReplicaSets or their numbers change). */
  updateLegend(replicasets, deployments, now) {
    const parts = replicasets.map((rs) => {
      const desired = valueAt(rs.series, now, 1) ?? 0;
      const ready = valueAt(rs.series, now, 2) ?? 0;
      return [rs.name, rs.revision, rs.hash || rs.name, desired, ready, revisionColour(rs.revision)];
    });
    // the guides come from a Deployment's spec: bare ReplicaSets have none
    const lines = CHART_LINES.filter(([line]) => deployments.length || !GUIDES.has(line));
    const key = JSON.stringify([parts, lines.length]);
    if (key === this.legendKey) return;
    this.legendKey = key;
    this.legendKeys = [...parts.map(([name]) => `rs:${name}`), ...lines.map(([line]) => line)];
    this.legend.innerHTML = parts.map(([name, rev, hash, desired, ready, colour]) =>
      `<li data-legend="rs:${esc(name)}">${swatchHtml("line-swatch", colour)}${rev ? `rev ${esc(rev)}` : "ReplicaSet"} <code>${esc(hash)}</code>: desired <b>${esc(desired)}</b>, ready <b>${esc(ready)}</b></li>`,
    ).join("") + lines.map(([line, swatch, words]) => `<li data-legend="${line}">${swatch}${words}</li>`).join("");
    paintSwatches(this.legend);
  }
}
