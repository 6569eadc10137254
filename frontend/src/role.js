// What the viewer's role lets this page offer. The server checks every request again; this keeps
// the page honest, so a viewer sees no control that would only be refused.
export const ROLE = document.body.dataset.role || "view";
export const CAN_EDIT = ROLE !== "view";
export const CAN_OWN = ROLE === "owner" || ROLE === "operator";

function allowed(needs) {
  return needs === "owner" ? CAN_OWN : needs === "edit" ? CAN_EDIT : true;
}

function gate(element) {
  if (allowed(element.dataset.needs)) return;
  element.disabled = true;
  element.hidden = true;
}

/** Disable and hide every `[data-needs="edit"|"owner"]` control the role does not allow, now and
 * whenever a panel re-renders its own (history rows, nodes, tutorial steps). */
export function gateControls(root = document.body) {
  root.querySelectorAll("[data-needs]").forEach(gate);
  if (CAN_OWN) return;
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        if (node.matches("[data-needs]")) gate(node);
        node.querySelectorAll("[data-needs]").forEach(gate);
      }
    }
  }).observe(root, { childList: true, subtree: true });
}
