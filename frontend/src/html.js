// Writing a panel's HTML only when it changed: rewriting the same HTML on every delta costs a
// style and layout pass (and, on a viewer's page, role.js's observer) for nothing.
const written = new WeakMap(); // element -> the HTML last written into it here

/** Set `element.innerHTML` to `html` unless that is what was last written there. */
export function setHtml(element, html) {
  if (written.get(element) === html) return;
  element.innerHTML = html;
  written.set(element, html);
}
