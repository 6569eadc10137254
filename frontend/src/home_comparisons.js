// The home page's list of the comparisons one may open (shown only when there are some).
import { api } from "./api.js";
import { esc } from "./timeline.js";

export async function initHomeComparisons() {
  const list = document.getElementById("comparisons");
  if (!list) return;
  const found = await api("GET", "comparisons/");
  list.innerHTML = found.map((c) =>
    `<li><a href="/compare/${encodeURIComponent(c.id)}/">${esc(c.name || `comparison ${c.id}`)}</a>` +
    `<span class="muted"> · ${c.members.length} variants · ${c.running ? "running" : "paused"}</span></li>`).join("");
  list.closest("section").hidden = !found.length;
}
