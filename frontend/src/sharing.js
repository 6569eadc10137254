// Sharing a simulation: the owner's links (view or edit; copy, revoke) and, for everyone who can
// see it, "Copy to my sandbox": a copy of one's own to experiment in.
import { api } from "./api.js";
import { confirmDialog, notify } from "./dialogs.js";
import { esc } from "./timeline.js";

const ROLE_WORDS = { view: "can watch", edit: "can drive (not delete, not share)" };

async function copyToSandbox(simId) {
  try {
    const copy = await api("POST", `simulations/${simId}/copy`, {});
    location.href = `/simulations/${copy.id}/`;
  } catch (error) {
    notify(error.message, "error");
  }
}

/** An iframe of the read-only player (/embed/<token>/) for a view link. */
function embedCode(link) {
  return `<iframe src="${location.origin}/embed/${encodeURIComponent(link.token)}/" width="960" height="720" ` +
    `title="rolloutviz: ${esc(link.label || "simulation")}"></iframe>`;
}

class ShareDialog {
  constructor(dialog, simId) {
    this.dialog = dialog;
    this.base = `simulations/${simId}/links`;
    this.list = dialog.querySelector("#share-links");
    dialog.querySelector("#share-new").addEventListener("click", (e) => {
      const button = e.target.closest("[data-new-link]");
      if (button) this.create(button.dataset.newLink);
    });
    this.list.addEventListener("click", (e) => {
      const copy = e.target.closest("[data-copy-link]");
      if (copy) this.copy(copy.dataset.copyLink);
      const embed = e.target.closest("[data-copy-embed]");
      if (embed) this.copy(embed.dataset.copyEmbed, "embed");
      const revoke = e.target.closest("[data-revoke-link]");
      if (revoke) this.revoke(revoke.dataset.revokeLink);
    });
  }

  async open() {
    this.dialog.showModal();
    await this.render();
  }

  async render() {
    try {
      this.links = await api("GET", this.base);
    } catch (error) {
      notify(error.message, "error");
      return;
    }
    this.list.innerHTML = this.links.length
      ? this.links.map((link, i) =>
        `<li><span class="link-role" data-role="${esc(link.role)}">${esc(link.role)}</span> ` +
        `<span class="muted">${esc(ROLE_WORDS[link.role] || "")}${link.label ? ` · ${esc(link.label)}` : ""}</span>` +
        `<input type="text" readonly value="${esc(link.url)}" aria-label="${esc(link.role)} link" data-link="${esc(i)}">` +
        `<button type="button" data-copy-link="${esc(i)}">Copy</button>` +
        `<button type="button" class="link danger" data-revoke-link="${esc(i)}">Revoke</button>` +
        (link.role === "view" ? `<input type="text" readonly value="${esc(embedCode(link))}" aria-label="code to embed the read-only player" data-embed="${esc(i)}">` +
          `<button type="button" data-copy-embed="${esc(i)}" title="An iframe of the read-only player for slides and course pages">Copy embed code</button>` : "") +
        "</li>").join("")
      : `<li class="muted">No links yet: make one to let others watch or drive this simulation.</li>`;
  }

  async create(role) {
    try {
      await api("POST", this.base, { role });
      await this.render();
    } catch (error) {
      notify(error.message, "error");
    }
  }

  async copy(index, what = "link") {
    const field = this.list.querySelector(`[data-${what}="${index}"]`);
    try {
      await navigator.clipboard.writeText(field.value);
      notify(what === "embed" ? "embed code copied" : "link copied", "ok");
    } catch {
      field.select();  // no clipboard (plain http): select it instead
    }
  }

  async revoke(index) {
    const link = this.links[index];
    const body = "<p>Everyone who opened it loses access at once; their pages close.</p>";
    if (!(await confirmDialog(`Revoke this ${esc(link.role)} link?`, body, "Revoke"))) return;
    try {
      await api("DELETE", `${this.base}/${encodeURIComponent(link.token)}`);
      await this.render();
    } catch (error) {
      notify(error.message, "error");
    }
  }
}

/** Wire the topbar's "Share…" (owners) and "Copy to my sandbox" (everyone) buttons. */
export function initSharing(simId) {
  document.getElementById("copy-sim")?.addEventListener("click", () => copyToSandbox(simId));
  const dialog = document.getElementById("share-dialog");
  if (!dialog) return;
  const share = new ShareDialog(dialog, simId);
  document.getElementById("share-open")?.addEventListener("click", () => share.open());
}

export { copyToSandbox };
