// A confirm dialog (native <dialog>, so Esc cancels and focus is trapped) and the notice line.
import { esc } from "./timeline.js";

/**
 * Show `bodyHtml` under `title` with a confirm button; resolves true when confirmed.
 * With `refused`, the confirm button is disabled (the body says why) and only Cancel is left.
 * The dialog element is #confirm-dialog (templates/rolloutviz/_confirm_dialog.html).
 */
export function confirmDialog(title, bodyHtml, confirmLabel = "Confirm", { refused = false } = {}) {
  const dialog = document.getElementById("confirm-dialog");
  dialog.querySelector(".dialog-title").textContent = title;
  dialog.querySelector(".dialog-body").innerHTML = bodyHtml;
  const ok = dialog.querySelector("[data-confirm]");
  ok.textContent = confirmLabel;
  ok.disabled = refused;
  return new Promise((resolve) => {
    const finish = (value) => {
      dialog.removeEventListener("close", onClose);
      ok.removeEventListener("click", onOk);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onClose = () => finish(false);
    const onOk = (e) => {
      e.preventDefault();
      finish(true);
    };
    dialog.addEventListener("close", onClose);
    ok.addEventListener("click", onOk);
    dialog.showModal();
    (refused ? dialog.querySelector('button[value="cancel"]') : ok).focus();
  });
}

/** A unified diff as HTML lines coloured by their first character. */
export function diffHtml(diff) {
  if (!diff || !diff.trim()) return `<p class="muted">No change to the running spec.</p>`;
  const lines = diff.split("\n").map((line) => {
    const cls = line.startsWith("+++") || line.startsWith("---") ? "diff-file"
      : line.startsWith("@@") ? "diff-hunk" : line.startsWith("+") ? "diff-add" : line.startsWith("-") ? "diff-del" : "";
    return `<span class="${cls}">${esc(line)}</span>`;
  });
  return `<pre class="diff">${lines.join("\n")}</pre>`;
}

// How long a notice stays before it is stale: a result or a hint goes after a few seconds; an
// error stays until the next action replaces it or it is dismissed.
export const NOTICE_MS = { ok: 6000, info: 8000, error: 0 };
let noticeTimer = 0;

/** Show a message in the page's notice line (role=alert for errors); "" hides it. */
export function notify(message, kind = "info") {
  const notice = document.getElementById("notice");
  if (!notice) return;
  clearTimeout(noticeTimer);
  if (message && NOTICE_MS[kind]) noticeTimer = setTimeout(() => { notice.hidden = true; }, NOTICE_MS[kind]);
  notice.hidden = !message;
  notice.className = `notice notice-${kind}`;
  notice.setAttribute("role", kind === "error" ? "alert" : "status");
  notice.querySelector(".notice-text").textContent = message;
}
