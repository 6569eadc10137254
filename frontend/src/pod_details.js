// The selected pod's details: name, ReplicaSet, node, container state, restarts, its own events,
// and "Delete pod".
import { esc } from "./timeline.js";
import { containerStateText, restartCount, simSeconds } from "./pod_state.js";
import { humanDuration } from "./status.js";
import { formatSimTime } from "./view.js";

export class PodDetails {
  /** onClose() is called when the reader closes the details (×, or Esc anywhere but a dialog). */
  constructor(root, store, onDelete, { onClose = () => this.show(null) } = {}) {
    this.root = root;
    this.store = store;
    this.name = null;
    root.addEventListener("click", (e) => {
      if (e.target.closest("[data-delete-pod]") && this.name) onDelete(this.name);
      if (e.target.closest("[data-close]")) onClose();
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.name && !document.querySelector("dialog[open]")) onClose();
    });
    store.subscribe(() => {
      if (this.name) this.schedule();
    });
  }

  /** Show a pod's details (null closes them), scrolled into the viewport when they open. */
  show(name) {
    const opening = name && name !== this.name;
    this.name = name;
    this.render();
    if (opening) this.root.scrollIntoView({ block: "nearest" });
  }

  schedule() {
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const name = this.name;
    this.root.hidden = !name;
    if (!name) return;
    const lane = this.store.timeline.pods.get(name);
    const pod = this.store.objects.pods.get(name);
    const rsName = lane?.rs;
    const now = this.store.t;
    const state = lane?.deleted != null ? `deleted at ${formatSimTime(lane.deleted)}` : this.store.podState(name) ?? "unknown";
    const events = this.store.eventsFor("Pod", name).slice(-50).reverse();
    const rows = events.map((e) => {
      const last = simSeconds(e.lastTimestamp) ?? now;
      return `<tr><td>${esc(e.type)}</td><td>${esc(e.reason)}</td><td>${esc(humanDuration(now - last))}${e.count > 1 ? ` (x${esc(e.count)})` : ""}</td><td>${esc(e.message)}</td></tr>`;
    });
    this.root.querySelector(".pod-body").innerHTML =
      `<h3>Pod <code>${esc(name)}</code></h3><dl>` +
      `<dt>ReplicaSet</dt><dd>${esc(rsName || "—")}</dd>` +
      `<dt>Node</dt><dd>${esc(pod?.spec?.nodeName || lane?.node || "—")}</dd>` +
      `<dt>State</dt><dd data-pod-state>${esc(state)}</dd>` +
      `<dt>Containers</dt><dd>${esc(pod ? containerStateText(pod) : "—")}</dd>` +
      `<dt>Restarts</dt><dd>${esc(pod ? restartCount(pod) : 0)}</dd></dl>` +
      `<table class="events"><thead><tr><th>Type</th><th>Reason</th><th>Age</th><th>Message</th></tr></thead>` +
      `<tbody>${rows.join("") || '<tr><td colspan="4">&lt;none&gt;</td></tr>'}</tbody></table>`;
    const del = this.root.querySelector("[data-delete-pod]");
    del.disabled = !pod || Boolean(pod.metadata?.deletionTimestamp);
  }
}
