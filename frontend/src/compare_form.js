// "Compare…" on a simulation's page: variants from presets (maxSurge 1, 25 %, Recreate, no readiness
// probe) or edited YAML, sent to POST /api/comparisons/; errors name their variant and line.
import { api } from "./api.js";
import { esc } from "./timeline.js";

const MIN_VARIANTS = 2;
const MAX_VARIANTS = 4;
const DEFAULT_PRESETS = ["max-surge-1", "recreate"];

export function initCompareForm(simId) {
  const button = document.getElementById("compare-open");
  const dialog = document.getElementById("compare-dialog");
  if (!button || !dialog) return;
  const list = document.getElementById("compare-variants");
  const errors = document.getElementById("compare-errors");
  const add = document.getElementById("compare-add");
  let presets = [];

  function fill(row, key) {
    const preset = presets.find((p) => p.preset === key) || presets[0];
    row.querySelector("[data-field=preset]").value = preset.preset;
    row.querySelector("[data-field=label]").value = preset.label;
    row.querySelector("[data-field=yaml]").value = preset.yaml;
  }

  function addRow(key) {
    const row = document.getElementById("compare-variant-template").content.firstElementChild.cloneNode(true);
    row.querySelector("[data-field=preset]").innerHTML =
      presets.map((p) => `<option value="${esc(p.preset)}">${esc(p.label)}</option>`).join("");
    row.querySelector("[data-field=preset]").addEventListener("change", (e) => fill(row, e.target.value));
    row.querySelector("[data-remove-variant]").addEventListener("click", () => {
      if (list.children.length > MIN_VARIANTS) row.remove();
      add.disabled = list.children.length >= MAX_VARIANTS;
    });
    list.append(row);
    fill(row, key);
    add.disabled = list.children.length >= MAX_VARIANTS;
  }

  button.addEventListener("click", async () => {
    errors.innerHTML = "";
    try {
      presets = await api("GET", `simulations/${simId}/variants`);
    } catch (error) {
      errors.innerHTML = `<li>${esc(error.message)}</li>`;
    }
    if (!presets.length) {
      errors.innerHTML = "<li>This simulation has no Deployment to compare yet: apply one first.</li>";
    } else if (!list.children.length) {
      for (const key of DEFAULT_PRESETS) addRow(key);
    }
    dialog.showModal();
  });
  add.addEventListener("click", () => {
    if (list.children.length < MAX_VARIANTS && presets.length) addRow(presets[0].preset);
  });
  document.getElementById("compare-create").addEventListener("click", async () => {
    const variants = [...list.children].map((row) => ({
      label: row.querySelector("[data-field=label]").value,
      yaml: row.querySelector("[data-field=yaml]").value,
    }));
    const name = dialog.querySelector("input[name=name]").value;
    errors.innerHTML = "";
    try {
      const made = await api("POST", "comparisons/", { base: simId, name, variants });
      location.assign(`/compare/${made.id}/`);
    } catch (error) {
      errors.innerHTML = (error.errors.length ? error.errors : [{ message: error.message }]).map((e) =>
        `<li>${esc([e.field, e.line ? `line ${e.line}` : ""].filter(Boolean).join(", "))}${e.field ? ": " : ""}${esc(e.message)}</li>`).join("");
    }
  });
}
