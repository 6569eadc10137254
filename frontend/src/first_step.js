// What to do first on a new simulation: it opens paused at 0:00, so a hint says to press Play,
// and goes once the clock runs or a step is taken (and comes back after a reset to 0:00).
import { CAN_EDIT } from "./role.js";

/** Keep `el` (the #first-step hint) showing while the simulation sits paused at 0:00. */
export function firstStepHint(el, store) {
  const render = () => {
    const waiting = store.seq >= 0 && !store.clock.running && store.t === 0;
    el.hidden = !waiting;
    if (!waiting) return;
    const tutorial = !document.getElementById("demo-steps")?.hidden;
    el.textContent = CAN_EDIT
      ? `The clock is paused at 0:00. Press ▶ Play (or p) to start it; then ${tutorial
        ? "follow the tutorial's steps (Run), or edit the YAML and Apply…" : "edit the YAML and press Apply…"}`
      : "The clock is paused at 0:00: the presenter starts it, and you see the same rollout.";
  };
  store.subscribe((topics) => {
    if (topics.has("clock") || topics.has("tick") || topics.has("snapshot")) render();
  });
  return render;
}
