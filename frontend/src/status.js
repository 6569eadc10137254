// Live status: the `kubectl rollout status` line, conditions, READY / UP-TO-DATE / AVAILABLE,
// the `kubectl get` / `describe` text views and the describe-style events list.
import { setHtml } from "./html.js";
import { esc } from "./timeline.js";
import { simSeconds } from "./pod_state.js";

/** kubectl's age format (apimachinery duration.HumanDuration). */
export function humanDuration(seconds) {
  if (seconds < -1) return "<invalid>";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 10) return s % 60 ? `${minutes}m${s % 60}s` : `${minutes}m`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192) return hours % 24 ? `${Math.floor(hours / 24)}d${hours % 24}h` : `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24)}d`;
}

const TEXT_VIEWS = {
  deploy: () => "get deploy",
  rs: () => "get rs",
  pods: () => "get pods",
  svc: () => "get svc",
  endpointslices: () => "get endpointslices",
  describe: (dep) => `describe deployment ${dep}`,
  history: (dep) => `rollout history deployment/${dep}`,
};
// The kubectl text is fetched at most once a second, and less often when the server is slow to
// answer (a 1,000-pod `get pods` costs the server too), so viewers never pile up requests.
const TEXT_REFRESH_MS = 1000;
const TEXT_BACKOFF = 5;

export class StatusPanel {
  constructor(root, store, sim, getDeployment, { noteFor = () => null } = {}) {
    this.root = root;
    this.noteFor = noteFor; // a learner's note on an object (WhyPanel.noteFor), or null
    this.store = store;
    this.sim = sim;
    this.getDeployment = getDeployment;
    this.textView = "pods";
    this.textDirty = true;
    this.textBusy = false;
    this.lastText = 0;
    this.eventsScope = "deployment";
    root.querySelectorAll("[data-text-view]").forEach((button) => {
      button.addEventListener("click", () => this.showTextView(button.dataset.textView));
    });
    root.querySelector("#events-scope")?.addEventListener("change", (e) => {
      this.eventsScope = e.target.value;
      this.renderEvents();
    });
    store.subscribe((topics) => {
      if (topics.has("objects") || topics.has("meta") || topics.has("snapshot")) this.renderStatus();
      if (topics.has("events") || topics.has("snapshot") || topics.has("tick")) this.scheduleEvents();
      this.textDirty = true;
      this.scheduleText();
    });
  }

  refresh() {
    this.renderStatus();
    this.renderEvents();
    this.textDirty = true;
    this.scheduleText();
  }

  renderStatus() {
    const name = this.getDeployment();
    const dep = this.store.objects.deployments.get(name);
    const meta = this.store.meta[name] || {};
    const line = this.root.querySelector("#rollout-status");
    const rollout = meta.rollout_status;
    line.textContent = rollout?.message || (dep ? "" : "No Deployment yet: write one in the editor and press Apply.");
    line.dataset.done = rollout?.done ? "true" : "false";
    const s = dep?.status || {};
    const spec = dep?.spec || {};
    this.setCounter("ready", dep ? `${s.readyReplicas || 0}/${spec.replicas ?? 0}` : "–");
    this.setCounter("updated", dep ? String(s.updatedReplicas || 0) : "–");
    this.setCounter("available", dep ? String(s.availableReplicas || 0) : "–");
    this.setCounter("paused", dep ? (spec.paused ? "paused" : "no") : "–");
    const rows = (s.conditions || []).map((c) =>
      `<tr class="cond-${c.status === "True" ? "true" : "false"}"><td>${esc(c.type)}</td><td>${esc(c.status)}</td>` +
      `<td>${esc(c.reason || "")}</td><td>${esc(c.message || "")}</td></tr>`,
    );
    setHtml(this.root.querySelector("#conditions tbody"), rows.join("") || `<tr><td colspan="4">none</td></tr>`);
  }

  setCounter(key, value) {
    const el = this.root.querySelector(`[data-counter="${key}"]`);
    if (el && el.textContent !== value) el.textContent = value;
  }

  scheduleEvents() {
    this.eventsFrame ||= requestAnimationFrame(() => {
      this.eventsFrame = 0;
      this.renderEvents();
    });
  }

  /** Events as `kubectl describe` lists them: Type, Reason, Age, From, Message. */
  renderEvents() {
    const name = this.getDeployment();
    const events = this.eventsScope === "deployment" ? this.store.latestEvents(300, "Deployment", name) : this.store.latestEvents(300);
    const now = this.store.t;
    const rows = events.map((e) => {
      const last = simSeconds(e.lastTimestamp) ?? now;
      const first = simSeconds(e.firstTimestamp) ?? last;
      const age = e.count > 1 ? `${humanDuration(now - last)} (x${e.count} over ${humanDuration(now - first)})` : humanDuration(now - last);
      const from = e.source?.component || e.reportingComponent || "";
      const object = this.eventsScope === "deployment" ? "" : `<td>${esc(e.involvedObject?.kind?.toLowerCase())}/${esc(e.involvedObject?.name)}</td>`;
      const note = this.noteFor("Event", e.metadata?.name);
      return `<tr class="event-${esc(e.type)}"><td>${esc(e.type)}</td><td>${esc(e.reason)}</td><td>${esc(age)}</td>${object}<td>${esc(from)}</td>` +
        `<td>${esc(e.message)}${note ? `<p class="learner-note">${esc(note)}</p>` : ""}</td></tr>`;
    });
    const head = this.eventsScope === "deployment" ? "" : "<th>Object</th>";
    this.root.querySelector("#events thead").innerHTML = `<tr><th>Type</th><th>Reason</th><th>Age</th>${head}<th>From</th><th>Message</th></tr>`;
    this.root.querySelector("#events tbody").innerHTML = rows.reverse().join("") || `<tr><td colspan="6">&lt;none&gt;</td></tr>`;
  }

  showTextView(key) {
    this.textView = key;
    this.root.querySelectorAll("[data-text-view]").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.textView === key)));
    this.textDirty = true;
    this.lastText = 0;
    this.scheduleText();
  }

  /** Refresh the kubectl text only while something changed, at the pace above. */
  scheduleText() {
    if (this.textTimer || this.textBusy) return;
    const interval = Math.max(TEXT_REFRESH_MS, TEXT_BACKOFF * (this.lastTextMs || 0));
    const wait = Math.max(0, this.lastText + interval - performance.now());
    this.textTimer = setTimeout(() => {
      this.textTimer = 0;
      this.loadText();
    }, wait);
  }

  async loadText() {
    if (!this.textDirty || document.hidden) return;
    const name = this.getDeployment();
    const view = TEXT_VIEWS[this.textView];
    if (!name && this.textView !== "pods" && this.textView !== "rs" && this.textView !== "deploy") return;
    this.textDirty = false;
    this.textBusy = true;
    this.lastText = performance.now();
    const pre = this.root.querySelector("#kubectl-text");
    try {
      const started = performance.now();
      const answer = await this.sim.kubectl(view(name));
      this.lastTextMs = performance.now() - started;
      pre.textContent = answer.text;
      pre.dataset.command = "kubectl " + view(name);
    } catch (error) {
      pre.textContent = error.message;
    } finally {
      this.textBusy = false;
      if (this.textDirty) this.scheduleText();
    }
  }
}
