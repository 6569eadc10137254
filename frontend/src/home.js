// The home page: the simulations, "New from demo" for each built-in demo, "New empty".
import { api } from "./api.js";
import { esc } from "./timeline.js";
import { formatSimTime } from "./view.js";
import { confirmDialog, notify } from "./dialogs.js";
import { copyToSandbox } from "./sharing.js";

async function create(body) {
  try {
    const sim = await api("POST", "simulations/", body);
    location.href = `/simulations/${sim.id}/`;
  } catch (error) {
    notify(error.message, "error");
  }
}

/** Import a scenario file (the Export menu's): replayed on the server into a simulation of one's own. */
async function importScenario(file) {
  let body;
  try {
    body = JSON.parse(await file.text());
  } catch {
    notify(`${file.name}: not a scenario file (it is not JSON)`, "error");
    return;
  }
  try {
    const sim = await api("POST", "simulations/import", body);
    location.href = `/simulations/${sim.id}/`;
  } catch (error) {
    const problems = error.errors?.length ? error.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)) : [error.message];
    notify(`${file.name}: ${problems.join("; ")}`, "error");
  }
}

// On a server that asks presenters to sign in, a visitor makes nothing (the server refuses anyway).
const mayCreate = document.body.dataset.mayCreate !== "false";
const ROLE_LABEL = { view: "watching", edit: "editing", owner: "yours", operator: "operator" };

function simItem(s) {
  const own = s.role === "owner" || s.role === "operator";
  return `<li><a href="/simulations/${encodeURIComponent(s.id)}/">${esc(s.name || `simulation ${s.id}`)}</a>` +
    `<span class="muted"> · ${esc(ROLE_LABEL[s.role] || s.role)} · t ${esc(formatSimTime(s.t))} · ${s.running ? `running ${esc(s.speed)}×` : "paused"}</span>` +
    (own ? "" : ` <button type="button" class="link" data-copy="${esc(s.id)}">copy to my sandbox</button>`) +
    (own ? ` <button type="button" class="link danger" data-delete="${esc(s.id)}" aria-label="Delete ${esc(s.name || s.id)}">delete</button>` : "") +
    "</li>";
}

/** Fill a list; with no `empty` text, its section shows only when it has something. */
function fill(id, sims, empty) {
  const list = document.getElementById(id);
  list.innerHTML = sims.length ? sims.map(simItem).join("") : empty;
  if (!empty) list.closest("section").hidden = !sims.length;
}

async function renderSimulations() {
  const sims = await api("GET", "simulations/");
  const own = (s) => s.role === "owner" || s.role === "operator";
  fill("simulations", sims.filter(own),
    `<li class="muted">No simulations yet. Start one from a demo or an empty one.</li>`);
  fill("shared", sims.filter((s) => !own(s) && !s.public), "");
  fill("class-demos", sims.filter((s) => !own(s) && s.public), "");
}

async function renderDemos() {
  const list = document.getElementById("demos");
  const demos = await api("GET", "demos/");
  list.innerHTML = demos.map((d) =>
    `<li class="demo"><h3>${esc(d.title)}</h3><p>${esc(d.description || "")}</p>` +
    (d.steps?.length ? `<details><summary>${d.steps.length} steps</summary><ol>${d.steps.map((s) => `<li>${esc(typeof s === "string" ? s : s.title || s.description || JSON.stringify(s))}</li>`).join("")}</ol></details>` : "") +
    (mayCreate ? `<button type="button" data-demo="${esc(d.key)}">New from demo</button>` : "") + "</li>").join("");
}

export async function initHome() {
  document.getElementById("demos").addEventListener("click", (e) => {
    const button = e.target.closest("[data-demo]");
    if (button) create({ demo: button.dataset.demo });
  });
  document.getElementById("new-empty")?.addEventListener("click", () => create({}));
  const picker = document.getElementById("import-scenario");
  picker?.addEventListener("change", () => {
    if (picker.files[0]) importScenario(picker.files[0]).finally(() => { picker.value = ""; });
  });
  document.querySelector(".home").addEventListener("click", async (e) => {
    const copy = e.target.closest("[data-copy]");
    if (copy) await copyToSandbox(copy.dataset.copy);
    const button = e.target.closest("[data-delete]");
    if (!button) return;
    const name = button.closest("li")?.querySelector("a")?.textContent || `simulation ${button.dataset.delete}`;
    if (!(await confirmDialog(`Delete ${name}?`, "<p>Its cluster, its recorded history and its share links go for good; " +
      "everyone watching it is shown out.</p>", "Delete"))) return;
    try {
      await api("DELETE", `simulations/${button.dataset.delete}/`);
      await renderSimulations();
    } catch (error) {
      notify(error.message, "error");
    }
  });
  try {
    await Promise.all([renderSimulations(), renderDemos()]);
  } catch (error) {
    notify(error.message, "error");
  }
  document.body.dataset.ready = "true";
}
