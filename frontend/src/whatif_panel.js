// The What-if panel under the editor: what applying the edited text would do, predicted
// (POST …/whatif with run false) as the learner edits, then checked by running it on a private
// copy (run true), each predicted number beside the one the run measured. Nothing is applied.
import { esc } from "./timeline.js";

const DEBOUNCE_MS = 700;

/** Seconds as the panel shows them ("13.2 s", "–" when there is none). */
function seconds(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value * 10) / 10} s`;
}

const OUTCOMES = {
  complete: "completes",
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  stuck: "never completes",
  paused: "paused: nothing rolls",
  unfinished: "not finished within the limits",
};

export class WhatIfPanel {
  /** `editor` is the EditorPanel (its text, its edits and its goToLine). */
  constructor(root, sim, editor) {
    this.root = root;
    this.sim = sim;
    this.editor = editor;
    this.asked = 0; // numbers the requests: only the answer to the latest is shown
    this.timer = null;
    this.status = root.querySelector(".whatif-status");
    this.body = root.querySelector(".whatif-body");
    this.idleText = this.status.textContent;
    root.querySelector("#whatif-check").addEventListener("click", () => this.predict());
    this.body.addEventListener("click", (e) => {
      const item = e.target.closest("[data-line]");
      if (item) editor.goToLine(parseInt(item.dataset.line, 10));
    });
    editor.onEdit(() => this.schedule());
  }

  /** Predict again once the learner pauses typing (only for an edited text: nobody else's page asks). */
  schedule() {
    clearTimeout(this.timer);
    if (!this.editor.edited()) {
      this.clear();
      return;
    }
    this.timer = setTimeout(() => this.predict(), DEBOUNCE_MS);
  }

  /** Back to the running manifest: no edit to predict (an answer on its way is dropped). */
  clear() {
    if (this.root.dataset.state === "idle") return;
    this.asked++;
    this.root.dataset.state = "idle";
    this.status.textContent = this.idleText;
    this.body.innerHTML = "";
  }

  /** The prediction at once, then its check; a newer edit makes both answers stale. */
  async predict() {
    clearTimeout(this.timer);
    const yaml = this.editor.editor.getText();
    const asked = ++this.asked;
    this.root.dataset.state = "predicting";
    this.status.textContent = "Predicting…";
    let answer;
    try {
      answer = await this.sim.whatif(yaml, false);
    } catch (error) {
      if (asked === this.asked) this.refused(error);
      return;
    }
    if (asked !== this.asked) return;
    this.prediction = answer.prediction;
    this.render(answer.prediction, null);
    this.root.dataset.state = "checking";
    this.status.textContent = "Checking: running the same spec on a private copy of the cluster…";
    try {
      answer = await this.sim.whatif(yaml, true);
    } catch (error) {
      if (asked === this.asked) this.refused(error);
      return;
    }
    if (asked !== this.asked) return;
    this.render(answer.prediction, answer.run);
    this.root.dataset.state = "checked";
    const limit = answer.run.stopped_by;
    this.status.textContent = limit
      ? `Checked for ${seconds(answer.run.simulated_seconds)} of simulated time (stopped at the ${limit}).`
      : `Checked: ${seconds(answer.run.simulated_seconds)} of simulated time run in ${Math.round(answer.run.wall_seconds * 1000)} ms.`;
  }

  refused(error) {
    this.root.dataset.state = "refused";
    const errors = error.errors?.length ? error.errors : [{ field: "", message: error.message, line: null }];
    this.status.textContent = error.status === 400 || error.status === 413
      ? "The API would refuse this manifest:" : `No prediction: ${error.message}`;
    this.body.innerHTML = `<ul class="errors whatif-refusals">${errors.map((e) =>
      `<li${e.line ? ` data-line="${esc(e.line)}"` : ""}>${e.line ? `<button type="button" class="link">line ${esc(e.line)}</button> ` : ""}` +
      `${e.field ? `<code>${esc(e.field)}</code>: ` : ""}${esc(e.message)}</li>`).join("")}</ul>`;
  }

  render(prediction, run) {
    const measured = new Map((run?.deployments || []).map((d) => [d.name, d]));
    const parts = prediction.deployments.map((d) => this.deployment(d, measured.get(d.name), run));
    this.body.innerHTML = parts.join("") || '<p class="muted">No Deployment in this manifest: nothing rolls out.</p>';
  }

  deployment(d, m, run) {
    const cell = (text, match) => run
      ? `<td class="whatif-measured" data-match="${match ? "yes" : "no"}">${esc(text)}</td>`
      : '<td class="whatif-measured muted">…</td>';
    const duration = d.duration_range ? `${seconds(d.duration_range[0])}–${seconds(d.duration_range[1])}` : seconds(d.duration_seconds);
    const within = (value) => {
      if (value === null || value === undefined || d.duration_seconds === null) return value === d.duration_seconds;
      const [low, high] = d.duration_range || [d.duration_seconds, d.duration_seconds];
      return value >= low * 0.9 && value <= high * 1.1;
    };
    const rows = [
      ["maxSurge / maxUnavailable", `${d.max_surge} / ${d.max_unavailable}`,
        m && m.max_surge !== null ? `${m.max_surge} / ${m.max_unavailable}` : "–",
        !m || m.max_surge === null || (m.max_surge === d.max_surge && m.max_unavailable === d.max_unavailable)],
      ["peak pods", d.peak_pods, m?.peak_pods, m?.peak_pods === d.peak_pods],
      ["minimum available", d.min_available, m?.min_available, m?.min_available === d.min_available],
      ["waves", d.waves_range ? d.waves_range.join("–") : d.waves, m?.waves,
        m && (d.waves_range || [d.waves]).includes(m.waves)],
      ["duration", duration, m ? seconds(m.duration_seconds) : "–", m && within(m.duration_seconds)],
      ["outcome", (OUTCOMES[d.outcome] || d.outcome) + (d.deadline_seconds ? ` at ${seconds(d.deadline_seconds)}` : ""),
        m ? (OUTCOMES[m.outcome] || m.outcome) + (m.deadline_seconds ? ` at ${seconds(m.deadline_seconds)}` : "") : "–",
        m?.outcome === d.outcome],
    ];
    const warnings = d.warnings.map((w) =>
      `<li${w.line ? ` data-line="${esc(w.line)}"` : ""}>${w.line ? `<button type="button" class="link">line ${esc(w.line)}</button> ` : ""}` +
      `<code>${esc(w.field)}</code>: ${esc(w.message)}</li>`).join("");
    return `<div class="whatif-deployment" data-deployment="${esc(d.name)}">
      <h4>deployment.apps/${esc(d.name)}</h4>
      <p class="whatif-rounding">${esc(d.rounding)}</p>
      <ul class="whatif-sentences">${d.sentences.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>
      <table class="table compact whatif-table">
        <thead><tr><th></th><th>predicted</th><th>run on a copy</th></tr></thead>
        <tbody>${rows.map(([name, predicted, got, match]) =>
          `<tr data-row="${esc(name)}"><th scope="row">${esc(name)}</th><td class="whatif-predicted">${esc(predicted)}</td>${cell(got ?? "–", match)}</tr>`).join("")}</tbody>
      </table>
      ${warnings ? `<ul class="whatif-warnings">${warnings}</ul>` : '<p class="muted whatif-no-warnings">No warnings.</p>'}
    </div>`;
  }
}
