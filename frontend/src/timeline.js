// The swimlane timeline on a Canvas 2D: one lane per pod under its ReplicaSet header, coloured
// by state over time, with restart/probe marks, labelled markers, a "now" line, zoom and scroll.
// It redraws on requestAnimationFrame only when something marked it dirty.
import { stateFill, stateKey, timelineLegendKeys, OKABE_ITO } from "./palette.js";
import { formatSimTime, prepareCanvas } from "./view.js";
import { restartCount } from "./pod_state.js";

const SIZES = {
  normal: { axis: 40, label: 230, header: 22, lane: 14, font: 12 },
  large: { axis: 54, label: 320, header: 32, lane: 20, font: 17 },
};

/** Index of the last segment starting at or before t (binary search; -1 when none). */
function segmentAt(segments, t) {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (segments[mid][0] <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Plain code-point order (localeCompare is far slower when sorting thousands of lanes). */
function byName(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

// A pod gone this many simulated seconds folds into its ReplicaSet's "N earlier pods" row.
const FOLD_AFTER_SECONDS = 180;
const MARKER_ROWS = 2; // label rows above the axis' tick labels

/** How a marker reads on the axis: a command's words as people say them (older records carry only
 *  the method name, `set_image`); the controller's ScalingReplicaSet lines go unlabelled. */
export function markerText(marker) {
  return marker.words || marker.label.replace(/_/g, " ");
}

// how a lane names what it counts down to (simulator/countdowns.py's `what`)
const COUNTDOWN_WORDS = {
  minReadySeconds: "available", CrashLoopBackOff: "restart", ImagePullBackOff: "pull again",
  terminationGracePeriodSeconds: "stopped",
};

export class Timeline {
  /**
   * root: element holding .tl-scroll > .tl-spacer > canvas and a .tl-tooltip.
   * onSelect(podName|null) is called when a pod is clicked or picked with the keyboard.
   */
  constructor(root, store, view, { onSelect = () => {}, onDeleteRequest = () => {}, stats } = {}) {
    this.store = store;
    this.view = view;
    this.onSelect = onSelect;
    this.onDeleteRequest = onDeleteRequest;
    this.stats = stats;
    this.scroller = root.querySelector(".tl-scroll");
    this.spacer = root.querySelector(".tl-spacer");
    this.canvas = root.querySelector("canvas");
    this.tooltip = root.querySelector(".tl-tooltip");
    this.ctx = this.canvas.getContext("2d");
    this.rows = [];
    this.countdowns = new Map(); // pod -> what it waits for (setCountdowns)
    this.rowTops = [];
    this.layoutVersion = -1;
    this.selected = null;
    this.selectionListeners = new Set();
    this.expanded = new Set(); // ReplicaSets whose folded pods are shown
    this.foldAfter = FOLD_AFTER_SECONDS;
    this.nextFold = Infinity; // when the next gone pod folds (simulated time)
    this.drawn = new Set(); // what the last draw showed, by legend key (`legendKeys`)
    this.legendKeys = timelineLegendKeys();
    this.markerLabels = [];
    this.hover = null;
    this.dirty = true;
    this.large = false;
    store.subscribe(() => this.invalidate());
    view.onChange(() => this.invalidate());
    this.scroller.addEventListener("scroll", () => this.invalidate(), { passive: true });
    new ResizeObserver(() => this.invalidate(true)).observe(this.scroller);
    this.bindPointer();
    this.bindKeys();
  }

  setLarge(large) {
    this.large = large;
    this.invalidate(true);
  }

  sizes() {
    const base = SIZES[this.large ? "large" : "normal"];
    const pods = this.store.timeline.pods.size;
    // Many pods: thinner lanes, still one lane per pod (labels only when they fit).
    const lane = pods > 400 ? 4 : pods > 150 ? 7 : pods > 60 ? Math.min(base.lane, 10) : base.lane;
    return { ...base, lane };
  }

  /** Mark for redraw on the next animation frame; relayout too when the lanes changed. */
  /** Bring simulated time `t` into view and highlight it for a few seconds (an explanation's moment). */
  highlightAt(t) {
    const [start, end] = this.view.window(this.store.t);
    const span = end - start;
    this.view.setState({ start: Math.max(0, t - span / 2), span, follow: false });
    this.highlight = t;
    clearTimeout(this.highlightTimer);
    this.highlightTimer = setTimeout(() => {
      this.highlight = null;
      this.invalidate();
    }, 4000);
    this.invalidate();
  }

  invalidate(relayout = false) {
    if (relayout) this.layoutVersion = -1;
    if (this.dirty && this.frame) return;
    this.dirty = true;
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Rows: ReplicaSet headers (newest revision first) each followed by its pods' lanes. */
  layout() {
    const tl = this.store.timeline;
    const sz = this.sizes();
    const groups = new Map();
    for (const rs of tl.replicasets.values()) groups.set(rs.name, { rs, pods: [] });
    for (const lane of tl.pods.values()) {
      if (!groups.has(lane.rs)) groups.set(lane.rs, { rs: { name: lane.rs || "(no ReplicaSet)", revision: 0, images: [], hash: "", placeholder: true }, pods: [] });
      groups.get(lane.rs).pods.push(lane);
    }
    const ordered = [...groups.values()].sort(
      (a, b) => (b.rs.revision || 0) - (a.rs.revision || 0) || byName(a.rs.name, b.rs.name),
    );
    this.rows = [];
    this.rowTops = [];
    let y = 0;
    const foldBefore = this.store.t - this.foldAfter;
    this.nextFold = Infinity;
    for (const group of ordered) {
      this.rows.push({ kind: "rs", rs: group.rs, y, h: sz.header });
      y += sz.header;
      group.pods.sort((a, b) => (a.segments[0]?.[0] ?? 0) - (b.segments[0]?.[0] ?? 0) || byName(a.name, b.name));
      const gone = group.pods.filter((lane) => lane.deleted !== null && lane.deleted <= foldBefore);
      for (const lane of group.pods) {
        if (lane.deleted !== null && lane.deleted > foldBefore) this.nextFold = Math.min(this.nextFold, lane.deleted + this.foldAfter);
      }
      const folded = gone.length && !this.expanded.has(group.rs.name);
      const hidden = new Set(folded ? gone : []);
      if (gone.length) {
        this.rows.push({ kind: "folded", rs: group.rs, lanes: gone, open: !folded, y, h: Math.max(sz.lane, 12) });
        y += Math.max(sz.lane, 12);
      }
      for (const lane of group.pods) {
        if (hidden.has(lane)) continue;
        this.rows.push({ kind: "pod", lane, y, h: sz.lane });
        y += sz.lane;
      }
    }
    for (const row of this.rows) this.rowTops.push(row.y);
    this.contentHeight = y;
    this.layoutVersion = this.store.structureVersion;
    this.layoutLarge = this.large;
    this.spacer.style.height = `${y + sz.axis + 4}px`;
    const maxHeight = Math.max(window.innerHeight * (this.large ? 0.5 : 0.45), 220);
    this.scroller.style.height = `${Math.min(y + sz.axis + 6, maxHeight)}px`;
  }

  rowAtY(y) {
    const row = this.rows[this.rowIndexAtY(y)];
    return row && y < row.y + row.h ? row : null;
  }

  /** Index of the last row starting at or above y (binary search over row tops). */
  rowIndexAtY(y) {
    let lo = 0;
    let hi = this.rowTops.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.rowTops[mid] <= y) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  draw() {
    const started = performance.now();
    this.dirty = false;
    this.drawn = new Set();
    if (this.layoutVersion !== this.store.structureVersion || this.layoutLarge !== this.large
      || this.store.t >= this.nextFold) this.layout();
    const sz = this.sizes();
    const width = this.scroller.clientWidth;
    const height = this.scroller.clientHeight;
    const ctx = prepareCanvas(this.canvas, this.ctx, width, height);
    const now = this.store.t;
    this.x = this.view.scale(now, sz.label, width - 8);
    const scrollTop = this.scroller.scrollTop;
    this.drawRows(ctx, sz, width, height, scrollTop, now);
    this.drawAxis(ctx, sz, width, height, now);
    if (this.stats) this.stats.record(performance.now() - started);
  }

  drawRows(ctx, sz, width, height, scrollTop, now) {
    const [t0, t1] = this.x.domain();
    const x = this.x;
    const top = scrollTop;
    const bottom = scrollTop + height - sz.axis;
    let index = Math.max(0, this.rowIndexAtY(top));
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, sz.axis, width, height - sz.axis);
    ctx.clip();
    ctx.font = `${sz.font}px system-ui, sans-serif`;
    ctx.textBaseline = "middle";
    for (; index < this.rows.length; index++) {
      const row = this.rows[index];
      if (row.y > bottom) break;
      const y = row.y - scrollTop + sz.axis;
      if (row.kind === "rs") this.drawHeader(ctx, row, y, width, sz);
      else if (row.kind === "folded") this.drawFolded(ctx, row, y, sz);
      else this.drawLane(ctx, row, y, sz, t0, t1, now, x, width);
    }
    ctx.restore();
  }

  drawHeader(ctx, row, y, width, sz) {
    const rs = row.rs;
    ctx.fillStyle = "#EEF1F5";
    ctx.fillRect(0, y, width, row.h);
    ctx.fillStyle = "#1b1f24";
    ctx.font = `600 ${sz.font}px system-ui, sans-serif`;
    ctx.fillText(this.headerText(rs), 6, y + row.h / 2, width - 12);
    ctx.font = `${sz.font}px system-ui, sans-serif`;
  }

  /** The "▸ N earlier pods" row of a ReplicaSet's long-gone pods (▾ when shown). */
  drawFolded(ctx, row, y, sz) {
    this.drawn.add("folded");
    ctx.fillStyle = "#555";
    ctx.font = `italic ${Math.min(sz.font, row.h)}px system-ui, sans-serif`;
    ctx.fillText(foldedText(row), 6, y + row.h / 2, sz.label - 10);
    ctx.font = `${sz.font}px system-ui, sans-serif`;
  }

  /** Show or fold a ReplicaSet's long-gone pods. */
  toggleFolded(rsName) {
    if (this.expanded.has(rsName)) this.expanded.delete(rsName);
    else this.expanded.add(rsName);
    this.invalidate(true);
  }

  /** A ReplicaSet header: its revision (a bare ReplicaSet has none), images, hash, ready/desired. */
  headerText(rs) {
    const last = rs.series?.[rs.series.length - 1];
    const counts = last ? `  ${last[2]}/${last[1]} ready` : "";
    const images = (rs.images || []).join(", ");
    if (rs.placeholder) return rs.name;
    if (!rs.deployment) return `ReplicaSet ${rs.name} (no Deployment, no revision) · ${images}${counts}`;
    // With several Deployments, revision numbers repeat: name the owner too.
    const owner = this.store.timeline.deployments.size > 1 ? `${rs.deployment} ` : "";
    const revision = rs.revision ? `rev ${rs.revision}` : "no revision";
    return `${owner}${revision} · ${images} · ${rs.hash || rs.name}${counts}`;
  }

  drawLane(ctx, row, y, sz, t0, t1, now, x, width) {
    const lane = row.lane;
    const h = row.h;
    const inset = h >= 8 ? 1 : 0;
    if (lane.name === this.selected) {
      this.drawn.add("selected");
      ctx.fillStyle = "#FFF3C4";
      ctx.fillRect(0, y, width, h);
    }
    if (h >= 10) {
      if (lane.deleted !== null) this.drawn.add("deleted");
      ctx.fillStyle = lane.deleted !== null ? "#888" : "#1b1f24";
      const short = lane.rs && lane.name.startsWith(lane.rs + "-") ? "…" + lane.name.slice(lane.rs.length) : lane.name;
      ctx.fillText(short, 14, y + h / 2, sz.label - 20);
    }
    const segments = lane.segments;
    const end = lane.deleted ?? now;
    for (let i = Math.max(segmentAt(segments, t0), 0); i < segments.length; i++) {
      const [start, state] = segments[i];
      if (start > t1) break;
      const stop = i + 1 < segments.length ? segments[i + 1][0] : end;
      if (stop < t0 || stop <= start) continue;
      const xa = Math.max(x(start), sz.label);
      const xb = Math.min(x(stop), width);
      if (xb - xa < 0.3) continue;
      this.drawn.add(stateKey(state));
      ctx.fillStyle = stateFill(ctx, state);
      ctx.fillRect(xa, y + inset, Math.max(xb - xa, 1), h - 2 * inset);
    }
    for (const [t, kind] of lane.marks) {
      if (t < t0 || t > t1) continue;
      this.drawn.add(kind);
      this.drawMark(ctx, x(t), y, h, kind);
    }
    const due = lane.deleted === null ? this.countdowns.get(lane.name) : undefined;
    if (due && h >= 10) this.drawCountdown(ctx, due, y, h, sz, now, x, width);
  }

  /** What a pod waits for, from now to when it ends: a dotted line and "what in N s". */
  drawCountdown(ctx, due, y, h, sz, now, x, width) {
    const from = Math.max(x(now), sz.label);
    const to = Math.min(x(due.at), width);
    this.drawn.add("countdown");
    ctx.strokeStyle = "#1b1f24";
    ctx.setLineDash([2, 2]);
    ctx.beginPath();
    ctx.moveTo(from, y + h / 2);
    ctx.lineTo(Math.max(to, from), y + h / 2);
    ctx.stroke();
    ctx.setLineDash([]);
    const text = `${COUNTDOWN_WORDS[due.what] || due.what} in ${Math.max(0, Math.ceil(due.at - now))} s`;
    ctx.font = `${sz.font - 2}px system-ui, sans-serif`;
    const w = ctx.measureText(text).width;
    const px = Math.min(from + 4, width - w - 2);
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(px - 1, y, w + 2, h);
    ctx.fillStyle = "#1b1f24";
    ctx.fillText(text, px, y + h / 2);
    ctx.font = `${sz.font}px system-ui, sans-serif`;
  }

  /** The countdowns of GET …/explanations: each pod's soonest (probe runs left out: they recur). */
  setCountdowns(list) {
    this.countdowns = new Map();
    for (const c of list) {
      if (c.kind === "Pod" && c.what !== "probe" && !this.countdowns.has(c.name)) this.countdowns.set(c.name, c);
    }
    this.invalidate();
  }

  drawMark(ctx, px, y, h, kind) {
    ctx.fillStyle = OKABE_ITO.black;
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 1;
    ctx.beginPath();
    if (kind === "restart") {
      // A downward triangle: "the container started again here".
      ctx.moveTo(px - h / 2.5, y);
      ctx.lineTo(px + h / 2.5, y);
      ctx.lineTo(px, y + h * 0.75);
    } else {
      // A small diamond: "a probe failed here".
      const r = Math.max(h / 3, 2);
      ctx.moveTo(px, y + h / 2 - r);
      ctx.lineTo(px + r, y + h / 2);
      ctx.lineTo(px, y + h / 2 + r);
      ctx.lineTo(px - r, y + h / 2);
    }
    ctx.closePath();
    ctx.fill();
    if (h >= 8) ctx.stroke();
  }

  drawAxis(ctx, sz, width, height, now) {
    const x = this.x;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, sz.axis);
    ctx.strokeStyle = "#c9ced6";
    ctx.beginPath();
    ctx.moveTo(sz.label, sz.axis - 0.5);
    ctx.lineTo(width, sz.axis - 0.5);
    ctx.stroke();
    ctx.fillStyle = "#444";
    ctx.font = `${sz.font - 1}px system-ui, sans-serif`;
    ctx.textBaseline = "bottom";
    ctx.textAlign = "center";
    for (const tick of x.ticks(Math.max(2, Math.floor((width - sz.label) / 90)))) {
      const px = x(tick);
      ctx.fillText(formatSimTime(tick), px, sz.axis - 4);
      ctx.strokeStyle = "rgba(0,0,0,0.07)";
      ctx.beginPath();
      ctx.moveTo(px, sz.axis);
      ctx.lineTo(px, height);
      ctx.stroke();
    }
    this.drawMarkers(ctx, sz, width, height);
    if (this.highlight !== null && this.highlight !== undefined) {
      const px = x(this.highlight);
      this.drawn.add("highlight");
      ctx.fillStyle = "rgba(230,159,0,0.25)";
      ctx.fillRect(px - 6, sz.axis, 12, height - sz.axis);
    }
    const nowX = x(now);
    if (nowX >= sz.label && nowX <= width) {
      this.drawn.add("now");
      ctx.strokeStyle = OKABE_ITO.vermillion;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(nowX, 0);
      ctx.lineTo(nowX, height);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
    ctx.textAlign = "left";
    ctx.fillStyle = "#1b1f24";
    ctx.textBaseline = "middle";
    ctx.font = `600 ${sz.font}px system-ui, sans-serif`;
    ctx.fillText("ReplicaSet / pod", 6, sz.axis / 2);
  }

  /**
   * ScalingReplicaSet events (dashed blue lines) and user actions (black lines labelled with their
   * words on `MARKER_ROWS` rows above the axis). Labels never overlap: one that fits in no row
   * folds into the label before it as "+N", whose tooltip lists every marker it stands for.
   */
  drawMarkers(ctx, sz, width, height) {
    const [t0, t1] = this.x.domain();
    this.markerHits = [];
    this.markerLabels = [];
    const rowEnds = new Array(MARKER_ROWS).fill(-Infinity);
    const lineHeight = sz.font - 1;
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.font = `${sz.font - 1}px system-ui, sans-serif`;
    let last = null; // the label placed last (the rightmost so far)
    for (const marker of this.store.timeline.markers) {
      if (marker.kind === "explanation") continue; // listed by the Why panel, not drawn
      if (marker.t < t0 || marker.t > t1) continue;
      const px = this.x(marker.t);
      if (px < sz.label) continue;
      const user = marker.label !== "ScalingReplicaSet";
      this.drawn.add(user ? "action" : "scaling");
      ctx.strokeStyle = user ? "rgba(0,0,0,0.55)" : "rgba(0,114,178,0.35)";
      ctx.setLineDash(user ? [] : [3, 3]);
      ctx.beginPath();
      ctx.moveTo(px, user ? 2 * lineHeight : 0);
      ctx.lineTo(px, height);
      ctx.stroke();
      ctx.setLineDash([]);
      this.markerHits.push({ px, marker });
      if (!user) continue;
      const text = markerText(marker);
      const row = rowEnds.findIndex((end) => px + 2 >= end);
      if (row >= 0) {
        last = { text, x: px + 2, y: 1 + row * lineHeight, w: ctx.measureText(text).width, h: lineHeight, row, markers: [marker] };
        this.markerLabels.push(last);
        rowEnds[row] = last.x + last.w + 6;
      } else if (last) {
        // no room: the rightmost label stands for it too (it is the last in its row, so it may grow)
        last.markers.push(marker);
        last.text = `${markerText(last.markers[0])} +${last.markers.length - 1}`;
        last.w = ctx.measureText(last.text).width;
        rowEnds[last.row] = last.x + last.w + 6;
      }
    }
    for (const label of this.markerLabels) {
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(label.x - 1, label.y, label.w + 2, label.h);
      ctx.fillStyle = "#1b1f24";
      ctx.fillText(label.text, label.x, label.y);
    }
    ctx.font = `${sz.font}px system-ui, sans-serif`;
  }

  bindPointer() {
    this.canvas.addEventListener("mousemove", (e) => this.pointerMove(e));
    this.canvas.addEventListener("mouseleave", () => this.hideTooltip());
    this.canvas.addEventListener("click", (e) => {
      const hit = this.hitTest(e);
      if (hit?.row?.kind === "pod") this.select(hit.row.lane.name);
      if (hit?.row?.kind === "folded") this.toggleFolded(hit.row.rs.name);
    });
    this.canvas.addEventListener("wheel", (e) => {
      if (!(e.ctrlKey || e.metaKey || e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY))) return;
      e.preventDefault();
      const hit = this.hitTest(e);
      if (e.ctrlKey || e.metaKey) this.view.zoom(e.deltaY > 0 ? 1.25 : 0.8, hit?.t, this.store.t);
      else this.view.pan(((e.deltaX || e.deltaY) / 600) * this.view.span, this.store.t);
    }, { passive: false });
    let drag = null;
    this.canvas.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, moved: false };
    });
    window.addEventListener("pointerup", () => { drag = null; });
    this.canvas.addEventListener("pointermove", (e) => {
      if (!drag || !(e.buttons & 1)) return;
      const dx = e.clientX - drag.x;
      if (Math.abs(dx) < 3 && !drag.moved) return;
      drag.moved = true;
      drag.x = e.clientX;
      const [t0, t1] = this.x.domain();
      const range = this.x.range();
      this.view.pan((-dx * (t1 - t0)) / (range[1] - range[0]), this.store.t);
    });
  }

  hitTest(e) {
    if (!this.x) return null;
    const rect = this.canvas.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    const sz = this.sizes();
    const t = this.x.invert(px);
    if (py < sz.axis) {
      const label = this.markerLabels.find((l) => px >= l.x - 2 && px <= l.x + l.w + 2 && py >= l.y && py <= l.y + l.h);
      const near = label ? label.markers : (this.markerHits || []).filter((m) => Math.abs(m.px - px) < 6).map((m) => m.marker);
      return { t, markers: near, px, py };
    }
    const row = this.rowAtY(py - sz.axis + this.scroller.scrollTop);
    return { t, row, px, py };
  }

  pointerMove(e) {
    const hit = this.hitTest(e);
    if (!hit) return;
    if (hit.markers?.length) {
      this.showTooltip(hit, hit.markers.map((m) => `<b>${esc(m.label === "ScalingReplicaSet" ? m.label : markerText(m))}</b> at ${esc(formatSimTime(m.t))}<br>${esc(m.detail || "")}`).join("<hr>"));
    } else if (hit.row?.kind === "pod") {
      this.showTooltip(hit, this.podTooltip(hit.row.lane, hit.t));
    } else if (hit.row?.kind === "folded") {
      this.showTooltip(hit, `<b>${esc(foldedText(hit.row))}</b><br>${hit.row.lanes.slice(0, 20).map((l) => esc(l.name)).join("<br>")}` +
        `${hit.row.lanes.length > 20 ? "<br>…" : ""}<br><i>click to ${hit.row.open ? "fold them" : "show them"}</i>`);
    } else if (hit.row?.kind === "rs") {
      const rs = hit.row.rs;
      const owner = rs.deployment ? `Deployment ${esc(rs.deployment)}, revision ${esc(rs.revision ?? "none")}` : "no Deployment: a bare ReplicaSet has no revision";
      this.showTooltip(hit, `<b>ReplicaSet ${esc(rs.name)}</b><br>${owner} · ${esc((rs.images || []).join(", "))}<br>pod-template-hash ${esc(rs.hash || "none")}`);
    } else this.hideTooltip();
  }

  podTooltip(lane, t) {
    const i = segmentAt(lane.segments, t);
    const stateThen = i >= 0 && (lane.deleted === null || t <= lane.deleted) ? lane.segments[i][1] : "—";
    const pod = this.store.objects.pods.get(lane.name);
    const restarts = pod ? restartCount(pod) : lane.marks.filter((m) => m[1] === "restart").length;
    return `<b>${esc(lane.name)}</b><br>at ${esc(formatSimTime(t))}: <b>${esc(stateThen)}</b><br>node ${esc(lane.node || "—")}` +
      `<br>restarts ${esc(restarts)}${lane.deleted !== null ? `<br>deleted at ${esc(formatSimTime(lane.deleted))}` : ""}` +
      `<br><i>click for details and events</i>`;
  }

  showTooltip(hit, html) {
    this.tooltip.innerHTML = html;
    this.tooltip.hidden = false;
    const maxX = this.canvas.clientWidth - this.tooltip.offsetWidth - 4;
    this.tooltip.style.left = `${Math.max(0, Math.min(hit.px + 14, maxX))}px`;
    this.tooltip.style.top = `${hit.py + 14}px`;
  }

  hideTooltip() {
    this.tooltip.hidden = true;
  }

  select(name) {
    this.selected = name;
    this.onSelect(name);
    for (const fn of this.selectionListeners) fn(name);
    this.invalidate();
  }

  /** Call fn(podName|null) whenever the selected pod changes (presenter mode shares it). */
  onSelectionChange(fn) {
    this.selectionListeners.add(fn);
  }

  /** Keyboard focus on the next (1) or previous (-1) action marker: brought into view, its full
   *  words and detail in the tooltip (what hovering a label shows). */
  focusMarker(direction) {
    const actions = this.store.timeline.markers.filter((m) => m.kind === "command");
    if (!actions.length) return;
    const at = actions.indexOf(this.focusedMarker);
    const next = actions[at < 0 ? (direction > 0 ? 0 : actions.length - 1) : (at + direction + actions.length) % actions.length];
    this.focusedMarker = next;
    const [start, end] = this.view.window(this.store.t);
    if (next.t < start || next.t > end) this.view.setState({ start: Math.max(0, next.t - (end - start) / 2), span: end - start, follow: false });
    this.draw();
    const label = this.markerLabels.find((l) => l.markers.includes(next));
    const px = label ? label.x : this.x(next.t);
    this.showTooltip({ px, py: label ? label.y : 0 }, `<b>${esc(markerText(next))}</b> at ${esc(formatSimTime(next.t))}<br>${esc(next.detail || "")}`);
  }

  podRows() {
    return this.rows.filter((r) => r.kind === "pod");
  }

  /** Scroll a pod's lane into view (showing its ReplicaSet's folded pods if it is one of them). */
  reveal(name) {
    const folded = this.rows.find((r) => r.kind === "folded" && !r.open && r.lanes.some((l) => l.name === name));
    if (folded) {
      this.expanded.add(folded.rs.name);
      this.layout();
    }
    const row = this.rows.find((r) => r.kind === "pod" && r.lane.name === name);
    if (!row) return;
    const sz = this.sizes();
    const visible = this.scroller.clientHeight - sz.axis;
    if (row.y < this.scroller.scrollTop) this.scroller.scrollTop = row.y - sz.header;
    else if (row.y + row.h > this.scroller.scrollTop + visible) this.scroller.scrollTop = row.y + row.h - visible;
  }

  bindKeys() {
    this.canvas.addEventListener("keydown", (e) => {
      const now = this.store.t;
      const step = (delta) => {
        const pods = this.podRows();
        if (!pods.length) return;
        let i = pods.findIndex((r) => r.lane.name === this.selected);
        i = i < 0 ? (delta > 0 ? 0 : pods.length - 1) : Math.min(Math.max(i + delta, 0), pods.length - 1);
        this.select(pods[i].lane.name);
        this.reveal(pods[i].lane.name);
      };
      const actions = {
        ArrowDown: () => step(1),
        ArrowUp: () => step(-1),
        ArrowLeft: () => this.view.pan(-this.view.span * 0.2, now),
        ArrowRight: () => this.view.pan(this.view.span * 0.2, now),
        "+": () => this.view.zoom(0.7, null, now),
        "=": () => this.view.zoom(0.7, null, now),
        "-": () => this.view.zoom(1.4, null, now),
        Delete: () => this.selected && this.onDeleteRequest(this.selected),
        Escape: () => this.select(null),
        m: () => this.focusMarker(1),
        M: () => this.focusMarker(-1),
      };
      const action = actions[e.key];
      if (!action) return;
      e.preventDefault();
      e.stopPropagation();
      action();
    });
  }
}

/** A folded row's words: how many of the ReplicaSet's pods are gone, and whether they show. */
function foldedText(row) {
  const n = row.lanes.length;
  return `${row.open ? "▾" : "▸"} ${n} earlier pod${n === 1 ? "" : "s"}${row.open ? " (click to fold)" : ""}`;
}

/** Escape text for innerHTML. */
export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
