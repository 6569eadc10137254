// Commands: revision history with "Roll back to this" / "Undo" (what will change shown first),
// pause/resume, scale, restart, node down/up, clock play/pause, speed and single step.
import { setHtml } from "./html.js";
import { confirmDialog, notify } from "./dialogs.js";
import { esc } from "./timeline.js";
import { revisionOf, templateImages } from "./pod_state.js";
import { formatSimTime } from "./view.js";

export class ActionsPanel {
  constructor(root, store, sim, getDeployment) {
    this.root = root;
    this.store = store;
    this.sim = sim;
    this.getDeployment = getDeployment;
    this.bind();
    store.subscribe((topics) => {
      if (topics.has("meta") || topics.has("objects") || topics.has("snapshot")) this.render();
      if (topics.has("clock") || topics.has("tick") || topics.has("snapshot")) this.renderClock();
    });
  }

  /** Run a command; 409/400 refusals are shown in Kubernetes' words. Returns true on success. */
  async run(name, body) {
    notify(""); // the last result or error is stale once another action starts
    try {
      const answer = await this.sim.command(name, body);
      // Clock, step and reset answer with data, not a kubectl line; the page shows them anyway.
      if (typeof answer?.result === "string") notify(answer.result, "ok");
      return true;
    } catch (error) {
      notify(error.message, "error");
      return false;
    }
  }

  bind() {
    const $ = (sel) => this.root.querySelector(sel);
    $("#pause-toggle").addEventListener("click", () => {
      const dep = this.store.objects.deployments.get(this.getDeployment());
      this.run(dep?.spec?.paused ? "resume" : "pause", { deployment: this.getDeployment() });
    });
    $("#scale-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const replicas = parseInt($("#scale-replicas").value, 10);
      this.run("scale", { deployment: this.getDeployment(), replicas });
    });
    $("#restart").addEventListener("click", () => this.run("restart", { deployment: this.getDeployment() }));
    const traffic = (rate) => this.run("traffic", {
      service: $("#traffic-service").value, rate, path: $("#traffic-path").value || "/" });
    $("#traffic-form").addEventListener("submit", (e) => {
      e.preventDefault();
      traffic(parseFloat($("#traffic-rate").value) || 0);
    });
    $("#traffic-stop").addEventListener("click", () => traffic(0));
    $("#undo").addEventListener("click", () => this.rollback(null));
    $("#history tbody").addEventListener("click", (e) => {
      const button = e.target.closest("[data-rollback]");
      if (button) this.rollback(parseInt(button.dataset.rollback, 10));
    });
    $("#nodes").addEventListener("click", (e) => {
      const button = e.target.closest("[data-node]");
      if (button) this.run("node", { node: button.dataset.node, ready: button.dataset.ready === "true" });
    });
    document.getElementById("clock-toggle").addEventListener("click", () => this.toggleClock());
    document.getElementById("clock-step").addEventListener("click", () => this.run("step", { count: 1 }));
    document.getElementById("clock-speed").addEventListener("change", (e) => this.run("clock", { speed: parseFloat(e.target.value) }));
    document.getElementById("reset-sim").addEventListener("click", async () => {
      if (await confirmDialog("Reset the simulation?", "<p>Deletes every object and starts the clock again at 0:00.</p>", "Reset")) this.run("reset", {});
    });
  }

  toggleClock() {
    return this.run("clock", { running: !this.store.clock.running });
  }

  step() {
    return this.run("step", { count: 1 });
  }

  history() {
    return (this.store.meta[this.getDeployment()]?.history || []).slice().sort((a, b) => a.revision - b.revision);
  }

  currentRevision() {
    const dep = this.store.objects.deployments.get(this.getDeployment());
    const history = this.history();
    return (dep && revisionOf(dep)) || (history.length ? history[history.length - 1].revision : 0);
  }

  render() {
    const name = this.getDeployment();
    const dep = this.store.objects.deployments.get(name);
    const current = this.currentRevision();
    const rows = this.history().reverse().map((h) => {
      const isCurrent = h.revision === current;
      const button = isCurrent ? `<span class="badge">current</span>`
        : `<button type="button" data-rollback="${esc(h.revision)}" data-needs="edit">Roll back to this</button>`;
      return `<tr${isCurrent ? ' class="current"' : ""} data-revision="${esc(h.revision)}"><td>${esc(h.revision)}</td><td>${esc((h.images || []).join(", "))}</td>` +
        `<td>${esc(h.change_cause || "<none>")}</td><td>${button}</td></tr>`;
    });
    setHtml(this.root.querySelector("#history tbody"), rows.join("") || `<tr><td colspan="4">no revisions yet</td></tr>`);
    this.root.querySelector("#undo").disabled = this.history().length < 2;
    const pause = this.root.querySelector("#pause-toggle");
    pause.textContent = dep?.spec?.paused ? "Resume rollout" : "Pause rollout";
    pause.setAttribute("aria-pressed", String(Boolean(dep?.spec?.paused)));
    for (const id of ["#pause-toggle", "#restart", "#scale-submit"]) this.root.querySelector(id).disabled = !dep;
    const input = this.root.querySelector("#scale-replicas");
    if (dep && document.activeElement !== input) input.value = dep.spec?.replicas ?? 1;
    this.renderNodes();
  }

  renderNodes() {
    const rows = [...this.store.objects.nodes.values()].map((node) => {
      const ready = (node.status?.conditions || []).find((c) => c.type === "Ready")?.status === "True";
      const name = node.metadata.name;
      return `<li><span class="node-state ${ready ? "up" : "down"}">${ready ? "Ready" : "NotReady"}</span> ${esc(name)} ` +
        `<button type="button" data-node="${esc(name)}" data-ready="${!ready}" data-needs="edit">${ready ? "Take down" : "Bring up"}</button></li>`;
    });
    setHtml(this.root.querySelector("#nodes"), rows.join("") || "<li>no nodes</li>");
  }

  renderClock() {
    const toggle = document.getElementById("clock-toggle");
    const running = Boolean(this.store.clock.running);
    toggle.textContent = running ? "❚❚ Pause clock" : "▶ Play";
    toggle.setAttribute("aria-pressed", String(running));
    const speed = document.getElementById("clock-speed");
    if (document.activeElement !== speed) speed.value = String(this.store.clock.speed ?? 1);
    document.getElementById("sim-time").textContent = formatSimTime(this.store.t);
    document.getElementById("sim-time").title = new Date(Date.parse("2026-01-01T00:00:00Z") + this.store.t * 1000).toISOString();
  }

  /** Show what a rollback changes (images, then the target's pod template), then run it. */
  async rollback(revision) {
    const name = this.getDeployment();
    const history = this.history();
    const current = this.currentRevision();
    const target = revision ?? history.filter((h) => h.revision !== current).pop()?.revision;
    if (!target) return;
    const from = history.find((h) => h.revision === current);
    const to = history.find((h) => h.revision === target);
    const dep = this.store.objects.deployments.get(name);
    const body = revision === null ? { deployment: name } : { deployment: name, to_revision: target };
    const title = revision === null ? `Undo: roll back to revision ${target}?` : `Roll back to revision ${target}?`;
    // what the cluster would answer comes before any preview: a refused rollback has none
    const refusal = await this.sim.refusal("undo", body).catch((error) => error.message);
    if (refusal) {
      await confirmDialog(title, `<p>The cluster refuses this now; <code>kubectl rollout undo</code> answers:</p>` +
        `<pre class="refusal" data-refusal>error: ${esc(refusal)}</pre>`, "Roll back", { refused: true });
      return;
    }
    const currentImages = from?.images || (dep ? templateImages(dep) : []);
    let template = "";
    try {
      template = (await this.sim.history(name, target)).text || "";
    } catch (error) {
      template = error.message;
    }
    const nextRevision = Math.max(0, ...history.map((h) => h.revision)) + 1;
    const preview = `<p>Images: <code>${esc(currentImages.join(", "))}</code> → <code>${esc((to?.images || []).join(", "))}</code></p>` +
      `<p>Revision ${esc(target)}'s ReplicaSet is scaled up again and becomes <b>revision ${esc(nextRevision)}</b>; revision ${esc(target)} disappears from the history.</p>` +
      (template ? `<details open><summary><code>kubectl rollout history deployment/${esc(name)} --revision=${esc(target)}</code></summary><pre>${esc(template)}</pre></details>` : "");
    if (await confirmDialog(title, preview, "Roll back")) await this.run("undo", body);
  }
}
