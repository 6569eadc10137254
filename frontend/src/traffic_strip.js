// The traffic strip under the timeline: for each Service its client called, what each step's
// requests got — answers stacked by body, failures striped in vermillion on top — on the
// timeline's time axis, so a gap lines up with the pods that caused it. The points come from
// the timeline (the server's recorder), one per step that sent requests.
import { OKABE_ITO, paintSwatches, stateFill, swatchHtml } from "./palette.js";
import { TimeCanvas, prepareCanvas } from "./view.js";
import { esc } from "./timeline.js";

const SIZES = { normal: { label: 230, row: 44, font: 12 }, large: { label: 320, row: 64, font: 17 } };
const ANSWER_COLOURS = [OKABE_ITO.blue, OKABE_ITO.bluishGreen, OKABE_ITO.orange, OKABE_ITO.reddishPurple,
  OKABE_ITO.skyBlue, OKABE_ITO.yellow];

export class TrafficStrip extends TimeCanvas {
  constructor(root, store, view) {
    super(root, store, view, ".traffic-legend");
    this.colours = new Map(); // answer body -> colour, in the order bodies first appear
  }

  colour(body) {
    if (!this.colours.has(body)) this.colours.set(body, ANSWER_COLOURS[this.colours.size % ANSWER_COLOURS.length]);
    return this.colours.get(body);
  }

  draw() {
    this.drawn = new Set(); // what this draw showed, by legend key (`legendKeys`)
    const services = [...this.store.timeline.traffic.entries()];
    this.root.hidden = !services.length;
    if (!services.length) return;
    const sz = SIZES[this.large ? "large" : "normal"];
    const width = this.canvas.parentElement.clientWidth;
    const ctx = prepareCanvas(this.canvas, this.ctx, width, services.length * sz.row + 4);
    const now = this.store.t;
    const x = this.view.scale(now, sz.label, width - 8);
    const [t0, t1] = x.domain();
    const failed = stateFill(ctx, "Error");
    services.forEach(([name, entry], row) => {
      const top = row * sz.row + 4;
      const bottom = top + sz.row - 8;
      const visible = entry.series.filter((p) => p[0] >= t0 && p[0] <= t1 + 1);
      // (no spread: a day's points at one per step are too many arguments for Math.max)
      const most = visible.reduce((top, p) => Math.max(top, p[1] + p[2]), 1);
      const y = (n) => (n / most) * (bottom - top);
      ctx.font = `${sz.font}px system-ui, sans-serif`;
      ctx.fillStyle = "#1b1f24";
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      const sent = visible.reduce((sum, p) => sum + p[1] + p[2], 0);
      const lost = visible.reduce((sum, p) => sum + p[2], 0);
      ctx.fillText(`${name}: ${lost} of ${sent} failed`, sz.label - 8, (top + bottom) / 2);
      let previous = null;
      for (const point of entry.series) {
        const [t, , bad, answers] = point;
        const start = previous !== null && t - previous < 5 ? previous : t - 1;
        previous = t;
        if (t < t0 || start > t1) continue;
        const xa = Math.max(x(start), sz.label);
        const w = Math.max(1, x(t) - xa);
        let level = bottom;
        for (const [body, n] of Object.entries(answers)) {
          this.drawn.add(`answer:${body}`);
          ctx.fillStyle = this.colour(body);
          ctx.fillRect(xa, level - y(n), w, y(n));
          level -= y(n);
        }
        if (bad) {
          this.drawn.add("failed");
          ctx.fillStyle = failed;
          ctx.fillRect(xa, level - y(bad), w, y(bad));
        }
      }
      ctx.strokeStyle = "rgba(0,0,0,0.15)";
      ctx.beginPath();
      ctx.moveTo(sz.label, bottom + 0.5);
      ctx.lineTo(width, bottom + 0.5);
      ctx.stroke();
    });
    this.updateLegend();
  }

  updateLegend() {
    const key = [...this.colours.keys()].join("\n");
    if (key === this.legendKey) return;
    this.legendKey = key;
    this.legendKeys = [...[...this.colours.keys()].map((body) => `answer:${body}`), "failed"];
    this.legend.innerHTML = [...this.colours.entries()].map(([body, colour]) =>
      `<li data-legend="answer:${esc(body)}">${swatchHtml("swatch", colour)}answered ${esc(body)}</li>`).join("") +
      `<li data-legend="failed">${swatchHtml("swatch hatch", OKABE_ITO.vermillion)}failed (refused, no endpoints, timeout, 5xx)</li>`;
    paintSwatches(this.legend);
  }
}
