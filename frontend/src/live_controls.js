// While the page shows a past moment, the controls that would act on the live simulation (those
// marked data-needs="edit") are disabled, their tooltip saying why; back to live gives them back.
// Panels that re-render their controls meanwhile (history rows, nodes, tutorial steps) or enable
// one again get them held too.
const SELECTOR = '[data-needs="edit"]';

export class LiveControls {
  constructor(root = document.body) {
    this.root = root;
    this.reason = null;
    this.held = new Set();
    this.titles = new Map(); // a held control's own tooltip, given back with it
    this.observer = new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        if (mutation.type === "attributes") this.holdOne(mutation.target);
        for (const node of mutation.addedNodes) {
          if (node.nodeType !== Node.ELEMENT_NODE) continue;
          this.holdOne(node);
          node.querySelectorAll(SELECTOR).forEach((element) => this.holdOne(element));
        }
      }
    });
  }

  /** Hold every enabled live control, saying `reason`; a new reason renames what is held. */
  hold(reason) {
    if (this.reason === null) {
      this.observer.observe(this.root, { childList: true, subtree: true, attributes: true, attributeFilter: ["disabled"] });
    }
    this.reason = reason;
    this.root.querySelectorAll(SELECTOR).forEach((element) => this.holdOne(element));
    for (const element of this.held) element.title = reason;
  }

  holdOne(element) {
    if (this.reason === null || !element.matches(SELECTOR) || !("disabled" in element)) return;
    if (this.held.has(element)) {
      if (!element.disabled) element.disabled = true; // a panel enabled it again
      return;
    }
    if (element.disabled) return; // disabled for a reason of its own (or by the role)
    this.held.add(element);
    this.titles.set(element, element.title);
    element.title = this.reason;
    element.disabled = true;
  }

  /** Give the held controls back (the live state loads next: panels set their own again). */
  release() {
    if (this.reason === null) return;
    this.observer.disconnect();
    this.reason = null;
    for (const element of this.held) {
      element.disabled = false;
      element.title = this.titles.get(element) ?? "";
    }
    this.held.clear();
    this.titles.clear();
  }
}
