// The "why" lines under the rollout status: the Deployment controller's latest decision in one
// sentence, why the new pods are not available, the countdowns it waits on, and learner's notes.
// Everything comes from GET …/explanations (the simulator's own numbers); this only draws it.
import { esc } from "./timeline.js";
import { formatSimTime } from "./view.js";

// fetched at most once a second while deltas arrive, as the kubectl text views are
const REFRESH_MS = 1000;

function remaining(seconds) {
  if (seconds <= 0) return "now";
  if (seconds < 60) return `in ${Math.ceil(seconds)} s`;
  return `in ${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;
}

// how many of the Deployment controller's latest decisions the panel lists
const HISTORY = 6;

export class WhyPanel {
  constructor(root, store, sim, getDeployment,
    { onMoment = () => {}, onCountdowns = () => {}, onNotes = () => {} } = {}) {
    this.root = root;
    this.onCountdowns = onCountdowns;
    this.onNotes = onNotes;
    root.addEventListener("click", (e) => {
      const moment = e.target.closest("[data-moment]");
      if (moment) onMoment(parseFloat(moment.dataset.moment));
    });
    this.store = store;
    this.sim = sim;
    this.getDeployment = getDeployment;
    this.answer = null;
    this.busy = false;
    this.dirty = true;
    this.last = 0;
    store.subscribe(() => {
      this.dirty = true;
      this.schedule();
      this.render();   // countdowns tick with the simulated clock between fetches
    });
  }

  schedule() {
    if (this.busy || !this.dirty) return;
    const wait = Math.max(0, this.last + REFRESH_MS - performance.now());
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fetch(), wait);
  }

  async fetch() {
    this.busy = true;
    this.dirty = false;
    try {
      this.answer = await this.sim.explanations();
      this.onCountdowns(this.answer.countdowns || []);
      this.onNotes();
    } catch {
      // the stream's own status line says when the server is away; keep the last answer
    } finally {
      this.busy = false;
      this.last = performance.now();
      this.render();
      this.schedule();
    }
  }

  /** The learner's note GET …/explanations has on an object (e.g. a combined event), or null. */
  noteFor(kind, name) {
    return (this.answer?.notes || []).find((n) => n.kind === kind && n.name === name)?.note || null;
  }

  /** Whether a pod belongs to one of the Deployment's ReplicaSets (as the store holds them). */
  owns(deployment, podName) {
    const { pods, replicasets } = this.store.objects;
    const rs = replicasets.get(pods.get(podName)?.metadata?.ownerReferences?.[0]?.name);
    return rs?.metadata?.ownerReferences?.[0]?.name === deployment;
  }

  /** Draw what each Service's client gets, and keep the form's Service list current. */
  renderTraffic() {
    const answer = this.answer || {};
    const services = answer.services || [];
    const select = document.getElementById("traffic-service");
    if (!select) return;
    const options = services.map((n) => `<option${n === select.value ? " selected" : ""}>${esc(n)}</option>`).join("");
    if (select.innerHTML !== options) select.innerHTML = options;
    document.getElementById("traffic-none").hidden = services.length > 0;
    const rows = Object.entries(answer.traffic || {});
    const table = document.getElementById("traffic-table");
    table.hidden = !rows.length;
    table.querySelector("tbody").innerHTML = rows.map(([name, t]) => {
      const said = [...Object.entries(t.answers).map(([body, n]) => `${n}× ${body}`),
        ...Object.entries(t.errors).map(([reason, n]) => `${n}× ${reason}`)].join(", ");
      return `<tr data-service="${esc(name)}"><td>${esc(name)}</td><td>${t.rate ? `${esc(t.rate)}/s ${esc(t.path)}` : "stopped"}</td>` +
        `<td>${esc(t.sent)}</td><td data-ok>${esc(t.ok)}</td><td data-failed class="${t.failed ? "failed" : ""}">${esc(t.failed)}</td><td>${esc(said)}</td></tr>`;
    }).join("");
  }

  render() {
    this.renderTraffic();
    const answer = this.answer;
    const name = this.getDeployment();
    const said = answer?.deployments?.[name];
    this.root.hidden = !said;
    if (!said) return;
    const now = this.store.t;
    const countdowns = (answer.countdowns || []).filter((c) =>
      (c.kind === "Deployment" && c.name === name) || c.kind === "Node" || (c.kind === "Pod" && this.owns(name, c.name)));
    const newPods = said.new_pods;
    this.root.innerHTML =
      `<p class="why-line" data-reason="${esc(said.reason)}"><span class="why-label">Why</span> ${esc(said.message)}</p>` +
      (newPods ? `<p class="why-line why-${newPods.reason === "RolloutStalled" ? "stalled" : "waiting"}">${esc(newPods.message)}</p>` : "") +
      (countdowns.length ? `<ul class="countdowns">${countdowns.slice(0, 8).map((c) =>
        `<li data-what="${esc(c.what)}"><code>${esc(c.what)}</code> ${esc(c.kind === "Deployment" ? "" : c.name)} ` +
        `<strong class="countdown" data-at="${esc(c.at)}">${esc(remaining(c.at - now))}</strong> ` +
        `<span class="muted">${esc(c.note)}</span></li>`).join("")}</ul>` : "") +
      (answer.notes || []).filter((n) => n.kind === "Pod").slice(0, 3).map((n) =>
        `<p class="learner-note"><code>${esc(n.name)}</code>: ${esc(n.note)}</p>`).join("") +
      this.historyHtml(name);
  }

  /** The Deployment controller's latest decisions, each a button to its moment on the timeline. */
  historyHtml(name) {
    const decisions = this.store.timeline.markers.filter((m) => m.kind === "explanation" && m.label === name);
    if (!decisions.length) return "";
    const open = this.root.querySelector(".why-history")?.open ? " open" : ""; // redrawn every tick
    return `<details class="why-history"${open}><summary>Earlier decisions (${decisions.length})</summary><ol>` +
      decisions.slice(-HISTORY).reverse().map((m) =>
        `<li><button type="button" class="link" data-moment="${esc(m.t)}">${esc(formatSimTime(m.t))}</button> ${esc(m.detail)}</li>`).join("") +
      "</ol></details>";
  }
}
