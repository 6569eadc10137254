// The simulation page: wires the store, the live stream and every panel together.
import { simApi } from "./api.js";
import { SimStore } from "./store.js";
import { connectStream } from "./connection.js";
import { TimeView } from "./view.js";
import { Timeline, esc } from "./timeline.js";
import { ReplicaChart } from "./chart.js";
import { TrafficStrip } from "./traffic_strip.js";
import { StatusPanel } from "./status.js";
import { WhyPanel } from "./why.js";
import { ActionsPanel } from "./actions.js";
import { EditorPanel } from "./editor_panel.js";
import { WhatIfPanel } from "./whatif_panel.js";
import { PodDetails } from "./pod_details.js";
import { confirmDialog, notify } from "./dialogs.js";
import { legendHtml, paintSwatches } from "./palette.js";
import { bindShortcuts } from "./keyboard.js";
import { showDemoSteps } from "./demo_steps.js";
import { firstStepHint } from "./first_step.js";
import { presenterMode } from "./presenter.js";
import { gateControls } from "./role.js";
import { initSharing } from "./sharing.js";
import { initExports } from "./exports.js";
import { Rewind } from "./rewind.js";

/** Canvas draw and message handling times, read by the browser tests and the benchmark. */
class FrameStats {
  constructor() {
    this.draws = 0;
    this.totalMs = 0;
    this.maxMs = 0;
    this.messages = 0;
    this.messageMs = 0;
    this.maxMessageMs = 0;
    this.messageBytes = 0;
    this.maxSliceMs = 0; // the longest stretch of message work without a break (connection.js)
  }

  record(ms) {
    this.draws++;
    this.totalMs += ms;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  recordMessage(ms, bytes) {
    this.messages++;
    this.messageMs += ms;
    this.maxMessageMs = Math.max(this.maxMessageMs, ms);
    this.messageBytes += bytes;
  }

  recordSlice(ms) {
    this.maxSliceMs = Math.max(this.maxSliceMs, ms);
  }
}

export function initDashboard() {
  const simId = parseInt(document.body.dataset.simId, 10);
  const store = new SimStore();
  const rewind = new Rewind(document.getElementById("rewind"), store, simId);
  const sim = simApi(simId, { at: () => rewind.at(), held: () => rewind.heldReason() });
  const view = new TimeView();
  const stats = new FrameStats();
  let deployment = "";
  const getDeployment = () => deployment;

  const select = document.getElementById("deployment-select");
  function syncDeployments() {
    const names = store.deploymentNames();
    if (!names.includes(deployment)) deployment = names[0] || "";
    const options = names.map((n) => `<option${n === deployment ? " selected" : ""}>${esc(n)}</option>`).join("");
    if (select.innerHTML !== options) select.innerHTML = options;
    select.hidden = names.length < 2;
  }
  store.subscribe((topics) => {
    if (topics.has("objects") || topics.has("meta") || topics.has("snapshot")) syncDeployments();
  });

  const deletePod = async (name) => {
    if (!(await confirmDialog(`Delete pod ${name}?`, "<p>Its ReplicaSet notices the missing replica and creates a replacement.</p>", "Delete pod"))) return;
    try {
      const answer = await sim.command("delete-pod", { pod: name });
      notify(answer?.result || `pod "${name}" deleted`, "ok");
    } catch (error) {
      notify(error.message, "error");
    }
  };
  const details = new PodDetails(document.getElementById("pod-details"), store, deletePod,
    { onClose: () => timeline.select(null) });
  const timeline = new Timeline(document.getElementById("timeline"), store, view, {
    onSelect: (name) => details.show(name),
    onDeleteRequest: deletePod,
    stats,
  });
  const why = new WhyPanel(document.getElementById("why"), store, sim, getDeployment,
    { onMoment: (t) => timeline.highlightAt(t), onCountdowns: (list) => timeline.setCountdowns(list),
      onNotes: () => status.scheduleEvents() });
  const chart = new ReplicaChart(document.getElementById("replica-chart"), store, view, { stats });
  const strip = new TrafficStrip(document.getElementById("traffic-strip"), store, view);
  const status = new StatusPanel(document.getElementById("dashboard"), store, sim, getDeployment,
    { noteFor: (kind, name) => why.noteFor(kind, name) });
  const actions = new ActionsPanel(document.getElementById("actions"), store, sim, getDeployment);
  const editor = new EditorPanel(document.getElementById("editor-panel"), store, sim, getDeployment);
  new WhatIfPanel(document.getElementById("whatif"), sim, editor);
  select.addEventListener("change", () => {
    deployment = select.value;
    status.refresh();
    why.render();
    actions.render();
    editor.load();
  });
  const legend = document.getElementById("legend");
  legend.innerHTML = legendHtml();
  paintSwatches(legend);
  gateControls();
  initSharing(simId);
  initExports(simId, { timeline, chart });

  bindZoomButtons(view, store);
  const lesson = showDemoSteps(document.getElementById("demo-steps"), simId, sim).catch((error) => notify(error.message, "error"));
  lesson.then(firstStepHint(document.getElementById("first-step"), store));
  bindCatalogue(editor);
  const large = setupLargeMode([timeline, chart, strip]);
  const shortcuts = bindShortcuts({
    p: { label: "play / pause the clock", run: () => actions.toggleClock() },
    ".": { label: "single step", run: () => actions.step() },
    l: { label: "large (projector) mode", run: large },
    t: { label: "focus the timeline (↑/↓ pods, ←/→ scroll, +/− zoom, m/M next/previous action, Delete pod)", run: () => document.querySelector("#timeline canvas").focus() },
    e: { label: "focus the editor (Ctrl+Enter applies)", run: () => editor.editor.view.focus() },
    f: { label: "follow now", run: () => view.followNow() },
    0: { label: "fit the whole history", run: () => view.fit(store.startTime(), store.t) },
    "[": { label: "rewind to the previous event or command", run: () => rewind.jump(-1) },
    "]": { label: "the next event or command (past the last: back to live)", run: () => rewind.jump(1) },
    ">": { label: "rewound: the next recorded change", run: () => rewind.step() },
    b: { label: "back to live", run: () => rewind.backToLive() },
    "?": { label: "this help", run: () => document.getElementById("help-dialog").showModal() },
  });
  document.getElementById("help-keys").innerHTML = shortcuts.map(([k, label]) => `<tr><td><kbd>${esc(k)}</kbd></td><td>${esc(label)}</td></tr>`).join("");
  document.getElementById("help-open").addEventListener("click", () => document.getElementById("help-dialog").showModal());

  const connectionLabel = document.getElementById("connection");
  const presenter = presenterMode(store, view, timeline, rewind);
  const stream = connectStream(simId, store, {
    onStatus: (text, kind) => {
      connectionLabel.textContent = text;
      connectionLabel.dataset.state = kind;
    },
    onError: (message) => notify(message, "error"),
    ...presenter.callbacks,
    onOpen: () => {
      presenter.callbacks.onOpen();
      lesson.then((steps) => steps?.refresh()); // a step moved while this page was away
    },
    onLesson: (msg) => lesson.then((steps) => steps?.show(msg.step)),
    ...rewind.streamOptions(),
    stats,
  });
  rewind.stream = stream;
  presenter.start(stream);
  window.rolloutviz = { store, view, stats, timeline, chart, strip, editor, rewind };
}

function bindZoomButtons(view, store) {
  const actions = {
    "zoom-in": () => view.zoom(0.7, null, store.t),
    "zoom-out": () => view.zoom(1.4, null, store.t),
    "scroll-back": () => view.pan(-view.span * 0.3, store.t),
    "scroll-forward": () => view.pan(view.span * 0.3, store.t),
    "follow-now": () => view.followNow(),
    "fit-all": () => view.fit(store.startTime(), store.t),
  };
  for (const [id, run] of Object.entries(actions)) document.getElementById(id)?.addEventListener("click", run);
}

/** Image catalogue panel: "Use" sets the container image, "Insert" appends an ImageBehavior. */
function bindCatalogue(editor) {
  const panel = document.getElementById("catalogue");
  if (!panel) return;
  panel.addEventListener("click", (e) => {
    const use = e.target.closest("[data-use-image]");
    if (use) {
      editor.editor.setImage(use.dataset.useImage);
      notify(`image set to ${use.dataset.useImage} in the editor; Apply to roll it out`, "info");
    }
    const insert = e.target.closest("[data-insert-example]");
    if (insert) {
      const source = document.getElementById(insert.dataset.insertExample);
      editor.editor.insertDocument(source.textContent.trim() + "\n");
    }
  });
}

/** Large (projector) mode: bigger type and lanes; remembered in localStorage. */
function setupLargeMode(canvases) {
  const button = document.getElementById("large-mode");
  const apply = (on) => {
    document.documentElement.classList.toggle("large", on);
    button.setAttribute("aria-pressed", String(on));
    for (const c of canvases) c.setLarge(on);
    localStorage.setItem("rolloutviz.large", on ? "1" : "0");
  };
  const toggle = () => apply(!document.documentElement.classList.contains("large"));
  button.addEventListener("click", toggle);
  apply(localStorage.getItem("rolloutviz.large") === "1" || new URLSearchParams(location.search).has("large"));
  return toggle;
}
