// The shared time window of the timeline and the replica chart: zoom, scroll, follow "now".
import { scaleLinear } from "d3-scale";

export class TimeView {
  constructor() {
    this.span = 120; // seconds visible once the user zooms
    this.end = 120;
    this.follow = true; // keep "now" at the right edge
    this.autoSpan = true; // until the user zooms: grow with the history, from 30 s up to 120 s
    this.listeners = new Set();
  }

  onChange(fn) {
    this.listeners.add(fn);
  }

  changed() {
    for (const fn of this.listeners) fn();
  }

  /** [start, end] of the visible window for the current sim time. */
  window(now) {
    if (this.autoSpan) this.span = Math.min(Math.max(now * 1.1, 30), 120);
    if (this.follow) this.end = Math.max(now + this.span * 0.05, this.span);
    return [this.end - this.span, this.end];
  }

  /** A d3 linear scale from sim seconds to pixels [x0, x1] for the current window. */
  scale(now, x0, x1) {
    return scaleLinear().domain(this.window(now)).range([x0, x1]);
  }

  /** Zoom by a factor (<1 zooms in) keeping time `anchor` at the same place. */
  zoom(factor, anchor, now) {
    const [start, end] = this.window(now);
    const at = anchor ?? (start + end) / 2;
    const span = Math.min(Math.max(this.span * factor, 2), 86400);
    this.autoSpan = false;
    const ratio = (at - start) / (end - start);
    this.end = at + (1 - ratio) * span;
    this.span = span;
    if (this.end < now) this.follow = false;
    this.changed();
  }

  /** Scroll by `dt` seconds; scrolling back leaves follow mode, reaching now re-enters it. */
  pan(dt, now) {
    this.window(now);
    this.autoSpan = false;
    this.end += dt;
    this.follow = this.end >= now + this.span * 0.05;
    this.changed();
  }

  /** What a presenter's page shares: the window's start and span, and whether it follows now. */
  state(now) {
    const [start] = this.window(now);
    return { start, span: this.span, follow: this.follow };
  }

  /** Show what a presenter shows (a `state()` of theirs). */
  setState({ start, span, follow }) {
    this.autoSpan = false;
    this.span = span;
    this.end = start + span;
    this.follow = follow;
    this.changed();
  }

  followNow() {
    this.follow = true;
    this.changed();
  }

  /** Show everything from `start` to now. */
  fit(start, now) {
    this.autoSpan = false;
    this.span = Math.max(now - start, 10) * 1.08;
    this.follow = true;
    this.changed();
  }
}

/** "m:ss" (or "h:mm:ss") for simulated seconds. */
export function formatSimTime(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Size a canvas's backing store to `width`×`height` CSS pixels at the device pixel ratio (only
 *  when that changed: resizing clears it and costs a reallocation), then clear it for drawing. */
export function prepareCanvas(canvas, ctx, width, height) {
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/**
 * A canvas drawn on the timeline's time axis: redrawn (once per frame at most) when the
 * timeline moves, the view scrolls or zooms, or its box resizes. Subclasses implement draw().
 */
export class TimeCanvas {
  constructor(root, store, view, legendSelector) {
    this.root = root;
    this.store = store;
    this.view = view;
    this.canvas = root.querySelector("canvas");
    this.legend = root.querySelector(legendSelector);
    this.ctx = this.canvas.getContext("2d");
    this.large = false;
    this.legendKey = "";
    store.subscribe((topics) => {
      if (topics.has("timeline") || topics.has("tick") || topics.has("snapshot")) this.invalidate();
    });
    view.onChange(() => this.invalidate());
    new ResizeObserver(() => this.invalidate()).observe(this.canvas.parentElement);
  }

  setLarge(large) {
    this.large = large;
    this.invalidate();
  }

  invalidate() {
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }
}
