// The YAML editor: CodeMirror 6 with YAML highlighting and a lint gutter that shows the
// server's validation errors at their lines.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { yaml } from "@codemirror/lang-yaml";
import { lintGutter, setDiagnostics } from "@codemirror/lint";

/**
 * Mount an editor in `parent`. onApply() runs on Ctrl/Cmd+Enter; onChange() on every edit.
 * Returns {view, getText, setText, showErrors, clearErrors, insertDocument, setImage}.
 */
export function createEditor(parent, { onApply = () => {}, onChange = () => {} } = {}) {
  const view = new EditorView({
    doc: "",
    parent,
    extensions: [
      basicSetup,
      yaml(),
      lintGutter(),
      keymap.of([{ key: "Mod-Enter", run: () => (onApply(), true) }]),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange();
      }),
      EditorView.contentAttributes.of({ "aria-label": "Deployment YAML" }),
      // CodeMirror puts its theme in a <style> element; the page's CSP admits it by this nonce.
      EditorView.cspNonce.of(document.querySelector('meta[name="csp-nonce"]')?.content || ""),
    ],
  });

  /**
   * Replace the text by changing only the span that differs, so the cursor, the selection and
   * the scroll position stay where they were relative to the unchanged lines.
   */
  function setText(text) {
    const old = view.state.doc.toString();
    if (old === text) return;
    let start = 0;
    while (start < old.length && start < text.length && old[start] === text[start]) start++;
    let end = 0;
    while (end < old.length - start && end < text.length - start &&
           old[old.length - 1 - end] === text[text.length - 1 - end]) end++;
    view.dispatch({ changes: { from: start, to: old.length - end, insert: text.slice(start, text.length - end) } });
  }

  /** Put each {field, message, line} error on its line (line 1 when the server gave none). */
  function showErrors(errors) {
    const doc = view.state.doc;
    const diagnostics = errors.map((error) => {
      const number = Math.min(Math.max(error.line || 1, 1), doc.lines);
      const line = doc.line(number);
      return {
        from: line.from,
        to: line.to,
        severity: "error",
        source: error.field || "manifest",
        message: error.field ? `${error.field}: ${error.message}` : error.message,
      };
    });
    view.dispatch(setDiagnostics(view.state, diagnostics));
  }

  /** Append a YAML document (after `---`) to the end. */
  function insertDocument(text) {
    const current = view.state.doc.toString().replace(/\s+$/, "");
    const insert = (current ? "\n---\n" : "") + text.replace(/^---\n/, "");
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: current + insert + "\n" } });
    view.focus();
  }

  /** Replace the first container's `image:` value (or insert at the cursor when there is none). */
  function setImage(image) {
    const doc = view.state.doc;
    for (let n = 1; n <= doc.lines; n++) {
      const line = doc.line(n);
      const match = /^(\s*-?\s*image:\s*)(\S.*)?$/.exec(line.text);
      if (match) {
        view.dispatch({ changes: { from: line.from + match[1].length, to: line.to, insert: image } });
        view.focus();
        return true;
      }
    }
    view.dispatch(view.state.replaceSelection(image));
    return false;
  }

  return {
    view,
    getText: () => view.state.doc.toString(),
    setText,
    showErrors,
    clearErrors: () => view.dispatch(setDiagnostics(view.state, [])),
    insertDocument,
    setImage,
  };
}
