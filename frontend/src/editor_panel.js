// The editor panel's workflow: load the running manifest, review the diff, apply, and show the
// server's validation errors inline and as a list (nothing is applied then).
import { createEditor } from "./editor.js";
import { confirmDialog, diffHtml, notify } from "./dialogs.js";
import { esc } from "./timeline.js";

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

export class EditorPanel {
  constructor(root, store, sim, getDeployment) {
    this.root = root;
    this.store = store;
    this.sim = sim;
    this.getDeployment = getDeployment;
    this.loadedManifest = undefined; // the text the editor started from (null: the starter)
    this.serverManifest = undefined; // the last manifest the server sent
    this.errorList = root.querySelector("#editor-errors");
    this.editor = createEditor(root.querySelector("#editor"), {
      onApply: () => this.review(),
      onChange: () => this.updateDirtyHint(),
    });
    root.querySelector("#apply").addEventListener("click", () => this.review());
    root.querySelector("#revert").addEventListener("click", () => this.load(true));
    this.errorList.addEventListener("click", (e) => {
      const item = e.target.closest("[data-line]");
      if (item) this.goToLine(parseInt(item.dataset.line, 10));
    });
    store.subscribe((topics) => {
      if (topics.has("meta") || topics.has("snapshot")) this.load(false);
    });
  }

  /**
   * Show the running manifest when it changes (snapshots carry it; deltas do not), keeping the
   * user's unsaved edits unless `force`.
   */
  load(force) {
    const manifest = this.store.meta[this.getDeployment()]?.manifest || null;
    const changed = manifest !== this.serverManifest;
    this.serverManifest = manifest;
    const first = this.loadedManifest === undefined;
    const edited = !first && this.editor.getText() !== (this.loadedManifest || STARTER);
    if (force || first || (changed && !edited)) {
      this.editor.setText(manifest || STARTER);
      this.loadedManifest = manifest;
      this.editor.clearErrors();
      this.renderErrors([]);
    } else if (changed && edited) {
      this.root.querySelector("#editor-hint").textContent = "The running spec changed since you started editing (Revert loads it).";
      return;
    }
    this.updateDirtyHint();
  }

  updateDirtyHint() {
    const edited = this.editor.getText() !== (this.loadedManifest || STARTER);
    this.root.querySelector("#editor-hint").textContent = edited ? "Edited: Apply shows the diff first (Ctrl+Enter)." : "";
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
      this.loadedManifest = yaml;
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
      `<li data-line="${e.line || 1}"><button type="button" class="link">line ${e.line ?? "?"}</button> ` +
      `${e.field ? `<code>${esc(e.field)}</code>: ` : ""}${esc(e.message)}</li>`).join("");
  }

  goToLine(number) {
    const view = this.editor.view;
    const line = view.state.doc.line(Math.min(Math.max(number, 1), view.state.doc.lines));
    view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
    view.focus();
  }
}
