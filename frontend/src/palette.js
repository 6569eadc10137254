// Colours and shapes: the Okabe–Ito colour-blind-safe palette, plus hatching on failure states so
// no meaning rests on hue alone.

export const OKABE_ITO = {
  black: "#000000", orange: "#E69F00", skyBlue: "#56B4E9", bluishGreen: "#009E73",
  yellow: "#F0E442", blue: "#0072B2", vermillion: "#D55E00", reddishPurple: "#CC79A7", grey: "#BBBBBB",
};

/** Timeline state -> fill style; `hatch` adds diagonal stripes (failures). */
export const STATE_STYLES = {
  Pending: { color: OKABE_ITO.grey },
  ContainerCreating: { color: OKABE_ITO.yellow },
  ErrImagePull: { color: OKABE_ITO.orange, hatch: true },
  ImagePullBackOff: { color: OKABE_ITO.orange, hatch: true },
  Running: { color: OKABE_ITO.skyBlue },
  Ready: { color: OKABE_ITO.blue },
  Available: { color: OKABE_ITO.bluishGreen },
  Error: { color: OKABE_ITO.vermillion, hatch: true },
  CrashLoopBackOff: { color: OKABE_ITO.vermillion, hatch: true },
  Completed: { color: "#7F7F7F" },
  Terminating: { color: OKABE_ITO.reddishPurple },
};

/** Legend rows: states sharing a colour are listed together. */
export const LEGEND = [
  ["Pending", "Pending (not scheduled)"],
  ["ContainerCreating", "ContainerCreating (pulling, starting)"],
  ["Running", "Running, not Ready"],
  ["Ready", "Ready"],
  ["Available", "Available (minReadySeconds passed)"],
  ["ImagePullBackOff", "ErrImagePull / ImagePullBackOff"],
  ["CrashLoopBackOff", "CrashLoopBackOff / Error"],
  ["Terminating", "Terminating"],
  ["Completed", "Completed"],
];

/** Line colours for ReplicaSets in the replica chart, by revision. */
const SERIES_COLOURS = [
  OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.bluishGreen, OKABE_ITO.reddishPurple,
  OKABE_ITO.vermillion, OKABE_ITO.skyBlue, OKABE_ITO.black, "#8C6D00",
];

export function revisionColour(revision) {
  return SERIES_COLOURS[(Math.max(revision, 1) - 1) % SERIES_COLOURS.length];
}

const hatchCache = new Map();

/** A fill for a state: a plain colour, or a striped pattern for failures. */
export function stateFill(ctx, state) {
  const style = STATE_STYLES[state] || { color: "#E0E0E0" };
  if (!style.hatch) return style.color;
  if (!hatchCache.has(style.color)) {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    const t = tile.getContext("2d");
    t.fillStyle = style.color;
    t.fillRect(0, 0, 8, 8);
    t.strokeStyle = "rgba(0,0,0,0.55)";
    t.lineWidth = 1.5;
    t.beginPath();
    t.moveTo(0, 8); t.lineTo(8, 0);
    t.moveTo(-2, 2); t.lineTo(2, -2);
    t.moveTo(6, 10); t.lineTo(10, 6);
    t.stroke();
    hatchCache.set(style.color, tile);
  }
  return ctx.createPattern(hatchCache.get(style.color), "repeat");
}

/**
 * A swatch element's markup: its colour rides in `data-swatch` and `paintSwatches` sets it as
 * the `--swatch` custom property through the CSSOM, because the page's Content-Security-Policy
 * refuses `style="…"` attributes (no 'unsafe-inline').
 */
export function swatchHtml(cls, colour) {
  // Colours come from the constants above; markup characters are dropped all the same.
  return `<span class="${cls}" data-swatch="${String(colour).replace(/[&<>"']/g, "")}"></span>`;
}

/** Give every `data-swatch` element under `root` its colour (after its markup is inserted). */
export function paintSwatches(root) {
  for (const el of root.querySelectorAll("[data-swatch]")) el.style.setProperty("--swatch", el.dataset.swatch);
}

// States drawn in another state's legend row (they share its colour).
const SHARED_ROW = { ErrImagePull: "ImagePullBackOff", Error: "CrashLoopBackOff" };

const stateKeys = new Map();

/** The timeline legend's key for a lane state (what `Timeline.drawn` records; made once per state). */
export function stateKey(state) {
  if (!stateKeys.has(state)) stateKeys.set(state, `state:${SHARED_ROW[state] || state}`);
  return stateKeys.get(state);
}

/** Everything else the timeline draws, each with its legend row: [key, swatch markup, words]. */
export const TIMELINE_MARKS = [
  ["restart", `<span class="mark-swatch restart"></span>`, "container restart"],
  ["unhealthy", `<span class="mark-swatch unhealthy"></span>`, "probe failure"],
  ["now", `<span class="line-swatch now"></span>`, "now"],
  ["action", `<span class="line-swatch action"></span>`, "your action (apply, set image, scale, undo, clock…), labelled above"],
  ["scaling", `<span class="line-swatch scaling"></span>`, "the controller scaled a ReplicaSet (ScalingReplicaSet)"],
  ["countdown", `<span class="line-swatch countdown"></span>`, "what a pod waits for, and in how long"],
  ["highlight", `<span class="band-swatch"></span>`, "the moment picked in Why"],
  ["selected", `<span class="band-swatch selected"></span>`, "the pod whose details are open"],
  ["deleted", `<span class="deleted-swatch">…-x2x4q</span>`, "a pod that is gone (grey name)"],
  ["folded", `<span class="folded-swatch">▸</span>`, "pods gone a while ago, folded (click to show)"],
];

/** Every key the timeline legend explains (states first), in its order. */
export function timelineLegendKeys() {
  return [...LEGEND.map(([state]) => stateKey(state)), ...TIMELINE_MARKS.map(([key]) => key)];
}

/** Legend as HTML (one swatch per row; failure swatches striped like the lanes); paint it with `paintSwatches`. */
export function legendHtml() {
  return LEGEND.map(([state, label]) => {
    const style = STATE_STYLES[state];
    return `<li data-legend="${stateKey(state)}">${swatchHtml(style.hatch ? "swatch hatch" : "swatch", style.color)}${label}</li>`;
  }).join("") +
    TIMELINE_MARKS.map(([key, swatch, words]) => `<li data-legend="${key}">${swatch}${words}</li>`).join("");
}
