// The tutorial's steps for a simulation made from a demo: each with its explanation, the
// kubectl command it stands for, and "Run" (the same API call the buttons make).
import { api } from "./api.js";
import { notify } from "./dialogs.js";
import { esc } from "./timeline.js";

/** Fill `root` with the demo's steps, or leave it hidden for simulations not made from a demo. */
export async function showDemoSteps(root, simId, sim) {
  const [sims, demos] = await Promise.all([api("GET", "simulations/"), api("GET", "demos/")]);
  const demo = demos.find((d) => d.key === sims.find((s) => s.id === simId)?.demo);
  if (!demo?.steps?.length) return;
  root.querySelector(".demo-title").textContent = demo.title;
  const list = root.querySelector("ol");
  list.innerHTML = demo.steps.map((step, i) =>
    `<li data-step="${i}"><div class="step-head"><b>${esc(step.title)}</b>` +
    `<button type="button" data-run-step="${i}" data-needs="edit">Run</button></div>` +
    `<p>${esc(step.explanation || "")}</p>` +
    (step.kubectl ? `<code class="kubectl-line">$ ${esc(step.kubectl)}</code>` : "") +
    `<pre class="step-output" hidden></pre></li>`).join("");
  list.addEventListener("click", async (e) => {
    const button = e.target.closest("[data-run-step]");
    if (!button) return;
    const index = parseInt(button.dataset.runStep, 10);
    const item = list.querySelector(`[data-step="${index}"]`);
    button.disabled = true;
    try {
      const output = await runStep(sim, demo.steps[index]);
      item.classList.add("done");
      const pre = item.querySelector(".step-output");
      pre.textContent = output;
      pre.hidden = !output;
    } catch (error) {
      notify(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
  root.hidden = false;
}

/** Perform one step: an apply, a kubectl text view, or a named command. Returns what to show. */
async function runStep(sim, step) {
  if (step.command === "apply") return ((await sim.apply(step.args.yaml)).results || []).join("\n");
  if (step.command === "kubectl") return (await sim.kubectl(step.args.args)).text;
  const answer = await sim.command(step.command, step.args || {});
  return typeof answer.result === "string" ? answer.result : "";
}
