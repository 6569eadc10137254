// Page-wide keyboard shortcuts (ignored while typing in the editor or a form field).

/** Bind `bindings` ({key: fn}) on the document; returns the list for the help dialog. */
export function bindShortcuts(bindings) {
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target;
    if (target.closest?.(".cm-editor, input, select, textarea, dialog, [contenteditable]")) return;
    const action = bindings[e.key];
    if (!action) return;
    e.preventDefault();
    action.run();
  });
  return Object.entries(bindings).map(([key, action]) => [key, action.label]);
}
