// The tutorial's steps for a simulation made from a demo: each with its number ("Step 3 of 13"),
// its explanation, the kubectl command it stands for, and "Run" (the same API call the buttons
// make). Which step the lesson is at is the simulation's (GET/POST …/lesson): it survives a
// reload, and every page watching shows the step the presenter moved to (the stream's "lesson").
import { api } from "./api.js";
import { notify } from "./dialogs.js";
import { esc } from "./timeline.js";

/**
 * Fill `root` with the demo's steps, or leave it hidden for simulations not made from a demo.
 * Resolves to `{ show(step), refresh() }` (null without a tutorial): `show` marks the step every
 * page shows (a stream message), `refresh` reads it again (after a reconnection).
 */
export async function showDemoSteps(root, simId, sim) {
  const [sims, demos] = await Promise.all([api("GET", "simulations/"), api("GET", "demos/")]);
  const demo = demos.find((d) => d.key === sims.find((s) => s.id === simId)?.demo);
  if (!demo?.steps?.length) return null;
  const total = demo.steps.length;
  root.querySelector(".demo-title").textContent = demo.title;
  const list = root.querySelector("ol");
  list.insertAdjacentHTML("beforebegin", `<div class="lesson-nav">` +
    `<span class="lesson-position" data-lesson-position aria-live="polite"></span>` +
    `<button type="button" data-lesson-move="-1" data-needs="edit">‹ Previous step</button>` +
    `<button type="button" data-lesson-move="1" data-needs="edit">Next step ›</button></div>`);
  list.innerHTML = demo.steps.map((step, i) =>
    `<li data-step="${i}"><div class="step-head"><div><span class="step-number">Step ${i + 1} of ${total}</span>` +
    `<b>${esc(step.title)}</b></div>` +
    `<button type="button" data-run-step="${i}" data-needs="edit">Run</button></div>` +
    `<p>${esc(step.explanation || "")}</p>` +
    (step.kubectl ? `<code class="kubectl-line">$ ${esc(step.kubectl)}</code>` : "") +
    `<pre class="step-output" hidden></pre></li>`).join("");

  let wanted = 0; // the step shown, or the one the last move asked for
  let pending = 0; // moves sent and not answered yet
  const show = (step) => {
    if (!Number.isInteger(step) || step < 0 || step >= total) return;
    if (!pending) wanted = step;
    root.dataset.lessonStep = String(step);
    root.querySelector("[data-lesson-position]").textContent = `Step ${step + 1} of ${total}`;
    root.querySelector('[data-lesson-move="-1"]').disabled = step === 0;
    root.querySelector('[data-lesson-move="1"]').disabled = step === total - 1;
    for (const item of list.children) {
      const here = item.dataset.step === String(step);
      item.classList.toggle("current", here);
      if (here) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    }
    // bring the step into the list's own scroll box, leaving the page where it is
    const item = list.querySelector(`[data-step="${step}"]`);
    const above = item.getBoundingClientRect().top - list.getBoundingClientRect().top;
    if (above < 0 || above > list.clientHeight - 40) list.scrollTop += above - 4;
  };
  const refresh = async () => show((await sim.lesson()).step);
  // Moves are sent one after another, each from the step the one before asked for: two quick
  // clicks on Next go two steps, in order, whatever the server's answers take.
  let moves = Promise.resolve();
  const moveTo = (step) => {
    wanted = Math.max(0, Math.min(total - 1, step));
    const target = wanted;
    pending += 1;
    moves = moves.catch(() => {}).then(async () => {
      const answer = await sim.lesson(target).finally(() => { pending -= 1; });
      show(answer.step);
    });
    return moves;
  };

  root.addEventListener("click", async (e) => {
    const move = e.target.closest("[data-lesson-move]");
    if (move) await moveTo(wanted + parseInt(move.dataset.lessonMove, 10)).catch((error) => notify(error.message, "error"));
    const button = e.target.closest("[data-run-step]");
    if (!button) return;
    const index = parseInt(button.dataset.runStep, 10);
    const item = list.querySelector(`[data-step="${index}"]`);
    button.disabled = true;
    notify(""); // the last result or error is stale once another step runs
    try {
      await moveTo(index);
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
  await refresh();
  return { show, refresh };
}

/** Perform one step: an apply, a kubectl text view, or a named command. Returns what to show. */
async function runStep(sim, step) {
  if (step.command === "apply") return ((await sim.apply(step.args.yaml)).results || []).join("\n");
  if (step.command === "kubectl") return (await sim.kubectl(step.args.args)).text;
  const answer = await sim.command(step.command, step.args || {});
  return typeof answer.result === "string" ? answer.result : "";
}
