// The editor panel's workflow: show the running manifest and follow its changes (an unsaved edit
// is never replaced: a notice offers "Load it" / "Keep my edit"), review the diff, apply, and show
// the server's validation errors inline and as a list (nothing is applied then).
import { createEditor } from "./editor.js";
import { confirmDialog, diffHtml, notify } from "./dialogs.js";
import { esc } from "./timeline.js";
import { lastAppliedText, revisionOf } from "./pod_state.js";

const STARTER = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    kubernetes.io/change-cause: "first version"
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.14.2
          ports:
            - containerPort: 80
`;

/**
 * What was applied for the ReplicaSets no Deployment owns (a simulation of bare ReplicaSets,
 * like the ReplicaSet demo's start), one YAML document each; null when there are none.
 */
function bareReplicaSetsManifest(store) {
  const texts = [...store.objects.replicasets.values()]
    .filter((rs) => !(rs.metadata?.ownerReferences || []).length)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map(lastAppliedText)
    .filter(Boolean);
  return texts.length ? texts.join("---\n") : null;
}

export class EditorPanel {
  constructor(root, store, sim, getDeployment) {
    this.root = root;
    this.store = store;
    this.sim = sim;
    this.getDeployment = getDeployment;
    this.baseline = undefined; // the running manifest the editor's text started from (null: the starter)
    this.serverManifest = undefined; // the last running manifest seen, of the selected Deployment
    this.errorList = root.querySelector("#editor-errors");
    this.notice = root.querySelector("#manifest-notice");
    this.editListeners = [];
    this.editor = createEditor(root.querySelector("#editor"), {
      onApply: () => this.review(),
      onChange: () => {
        this.updateDirtyHint();
        for (const listener of this.editListeners) listener();
      },
    });
    root.querySelector("#apply").addEventListener("click", () => this.review());
    root.querySelector("#revert").addEventListener("click", () => this.load());
    root.querySelector("#manifest-load").addEventListener("click", () => this.load());
    root.querySelector("#manifest-keep").addEventListener("click", () => this.keepEdit());
    this.errorList.addEventListener("click", (e) => {
      const item = e.target.closest("[data-line]");
      if (item) this.goToLine(parseInt(item.dataset.line, 10));
    });
    store.subscribe((topics) => {
      const bare = topics.has("objects") && !this.getDeployment();
      if (topics.has("meta") || topics.has("snapshot") || bare) this.followSoon();
    });
  }

  /** Call `listener` after every change of the text (typed, loaded or followed). */
  onEdit(listener) {
    this.editListeners.push(listener);
  }

  /** The selected Deployment's running manifest; with no Deployment, the bare ReplicaSets' ones. */
  runningManifest() {
    const name = this.getDeployment();
    return name ? this.store.meta[name]?.manifest || null : bareReplicaSetsManifest(this.store);
  }

  /** True when the text differs from the running manifest it started from. */
  edited() {
    return this.editor.getText() !== (this.baseline || STARTER);
  }

  /** Show the running manifest, dropping unsaved edits (first snapshot, Revert, "Load it", another Deployment). */
  load() {
    const manifest = this.runningManifest();
    this.serverManifest = this.baseline = manifest;
    this.editor.setText(manifest || STARTER);
    this.editor.clearErrors();
    this.renderErrors([]);
    this.hideNotice();
    this.updateDirtyHint();
  }

  /** `follow` in a task of its own: reloading the editor costs a frame's time, and a big delta
   *  that changed the manifest has already taken one. */
  followSoon() {
    this.followTimer ||= setTimeout(() => {
      this.followTimer = 0;
      this.follow();
    }, 0);
  }

  /**
   * Follow the running manifest when it changes (a delta carries it when a command changed
   * it; a snapshot always does): replace an unedited text, never an edited one — ask instead.
   */
  follow() {
    if (this.baseline === undefined) {
      this.load();
      return;
    }
    const manifest = this.runningManifest();
    if (manifest === this.serverManifest) return;
    this.serverManifest = manifest;
    if (this.editor.getText() === (manifest || STARTER)) {
      this.baseline = manifest; // the editor already holds it (e.g. this page applied it)
      this.hideNotice();
      this.updateDirtyHint();
    } else if (!this.edited()) {
      this.load();
    } else {
      this.showNotice();
    }
  }

  showNotice() {
    const name = this.getDeployment();
    const change = this.store.meta[name]?.manifest_change;
    const dep = this.store.objects.deployments.get(name);
    const revision = change?.revision ?? (dep ? revisionOf(dep) : null);
    const facts = [revision ? `revision ${revision}` : "", change?.command ? `by ${change.command}` : ""].filter(Boolean);
    this.notice.querySelector(".manifest-notice-text").textContent =
      `The running manifest changed${facts.length ? ` (${facts.join(", ")})` : ""}. Your unsaved edit is kept.`;
    this.notice.hidden = false;
    this.updateDirtyHint();
  }

  hideNotice() {
    this.notice.hidden = true;
  }

  /** Keep the unsaved edit: it is now an edit of the new running manifest (Apply diffs against it). */
  keepEdit() {
    this.baseline = this.serverManifest;
    this.hideNotice();
    this.updateDirtyHint();
    this.editor.view.focus();
  }

  updateDirtyHint() {
    this.root.querySelector("#editor-hint").textContent = this.edited() ? "Edited: Apply shows the diff first (Ctrl+Enter)." : "";
  }

  /** Ask the server for the diff; errors go inline, otherwise confirm and apply. */
  async review() {
    const yaml = this.editor.getText();
    let diff;
    try {
      diff = (await this.sim.diff(yaml)).diff;
    } catch (error) {
      this.fail(error);
      return;
    }
    this.editor.clearErrors();
    this.renderErrors([]);
    if (!(await confirmDialog("Apply this change?", diffHtml(diff), "Apply"))) return;
    try {
      const answer = await this.sim.apply(yaml);
      notify((answer.results || []).join("\n"), "ok");
      if (this.editor.getText() === yaml) {
        this.baseline = yaml; // what this page applied is running now
        this.hideNotice();
      }
      this.updateDirtyHint();
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error) {
    const errors = error.errors?.length ? error.errors : [{ field: "", message: error.message, line: null }];
    this.editor.showErrors(errors);
    this.renderErrors(errors);
    notify(`Not applied: ${errors.length} error${errors.length > 1 ? "s" : ""} in the manifest.`, "error");
  }

  renderErrors(errors) {
    this.errorList.hidden = !errors.length;
    this.errorList.innerHTML = errors.map((e) =>
      `<li data-line="${esc(e.line || 1)}"><button type="button" class="link">line ${esc(e.line ?? "?")}</button> ` +
      `${e.field ? `<code>${esc(e.field)}</code>: ` : ""}${esc(e.message)}` +
      `${e.note ? `<p class="learner-note">${esc(e.note)}</p>` : ""}</li>`).join("");
  }

  goToLine(number) {
    const view = this.editor.view;
    const line = view.state.doc.line(Math.min(Math.max(number, 1), view.state.doc.lines));
    view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
    view.focus();
  }
}
