// A confirm dialog (native <dialog>, so Esc cancels and focus is trapped) and the notice line.
import { esc } from "./timeline.js";

/**
 * Show `bodyHtml` under `title` with a confirm button; resolves true when confirmed.
 * The dialog element is #confirm-dialog in the page template.
 */
export function confirmDialog(title, bodyHtml, confirmLabel = "Confirm") {
  const dialog = document.getElementById("confirm-dialog");
  dialog.querySelector(".dialog-title").textContent = title;
  dialog.querySelector(".dialog-body").innerHTML = bodyHtml;
  const ok = dialog.querySelector("[data-confirm]");
  ok.textContent = confirmLabel;
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
    ok.focus();
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

/** Show a message in the page's notice line (role=alert for errors). */
export function notify(message, kind = "info") {
  const notice = document.getElementById("notice");
  if (!notice) return;
  notice.hidden = !message;
  notice.className = `notice notice-${kind}`;
  notice.setAttribute("role", kind === "error" ? "alert" : "status");
  notice.querySelector(".notice-text").textContent = message;
}
