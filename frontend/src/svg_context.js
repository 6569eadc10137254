// A drawing context that writes SVG: the few CanvasRenderingContext2D calls the timeline and the
// chart make (paths, rectangles, text, dashes, one clip), each as a vector element. A canvas's own
// draw() run against it gives a real vector drawing of what the canvas shows.

const SVG_NS = "http://www.w3.org/2000/svg";

function attr(value) {
  return String(value).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

function num(value) {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : 0;
}

export class SvgContext {
  constructor() {
    this.width = 0;
    this.height = 0;
    this.parts = [];
    this.clips = 0;
    this.open = []; // groups opened by clip(), closed by the restore() that ends them
    this.stack = [];
    this.state = { fillStyle: "#000", strokeStyle: "#000", lineWidth: 1, font: "10px sans-serif",
      textAlign: "start", textBaseline: "alphabetic", dash: [], groups: 0 };
    this.path = [];
    this.measurer = document.createElement("canvas").getContext("2d");
    for (const key of ["fillStyle", "strokeStyle", "lineWidth", "font", "textAlign", "textBaseline"]) {
      Object.defineProperty(this, key, { get: () => this.state[key], set: (v) => { this.state[key] = v; } });
    }
  }

  setTransform() {}

  clearRect(x, y, width, height) {
    // prepareCanvas clears the whole drawing first: its size is the picture's
    this.width = Math.max(this.width, x + width);
    this.height = Math.max(this.height, y + height);
  }

  save() {
    this.stack.push({ ...this.state, dash: [...this.state.dash], groups: 0 });
  }

  restore() {
    for (let i = 0; i < this.state.groups; i++) this.parts.push("</g>");
    this.state = this.stack.pop() || this.state;
  }

  setLineDash(dash) {
    this.state.dash = [...dash];
  }

  measureText(text) {
    this.measurer.font = this.state.font;
    return this.measurer.measureText(text);
  }

  beginPath() {
    this.path = [];
  }

  moveTo(x, y) {
    this.path.push(`M${num(x)} ${num(y)}`);
  }

  lineTo(x, y) {
    this.path.push(`L${num(x)} ${num(y)}`);
  }

  closePath() {
    this.path.push("Z");
  }

  rect(x, y, width, height) {
    this.path.push(`M${num(x)} ${num(y)}h${num(width)}v${num(height)}h${num(-width)}Z`);
  }

  clip() {
    const id = `clip${++this.clips}`;
    this.parts.push(`<clipPath id="${id}"><path d="${this.path.join("")}"/></clipPath><g clip-path="url(#${id})">`);
    this.state.groups++;
  }

  stroke() {
    const dash = this.state.dash.length ? ` stroke-dasharray="${this.state.dash.join(" ")}"` : "";
    this.parts.push(`<path d="${this.path.join("")}" fill="none" stroke="${attr(this.state.strokeStyle)}" ` +
      `stroke-width="${num(this.state.lineWidth)}"${dash}/>`);
  }

  fill() {
    this.parts.push(`<path d="${this.path.join("")}" fill="${attr(this.state.fillStyle)}"/>`);
  }

  fillRect(x, y, width, height) {
    this.parts.push(`<rect x="${num(x)}" y="${num(y)}" width="${num(width)}" height="${num(height)}" ` +
      `fill="${attr(this.state.fillStyle)}"/>`);
  }

  fillText(text, x, y, maxWidth) {
    // a canvas squeezes text wider than maxWidth into it; SVG does the same with textLength
    const squeeze = maxWidth !== undefined && this.measureText(text).width > maxWidth
      ? ` textLength="${num(maxWidth)}" lengthAdjust="spacingAndGlyphs"` : "";
    const anchor = { center: "middle", right: "end", end: "end" }[this.state.textAlign] || "start";
    const baseline = { middle: "central", top: "hanging", hanging: "hanging", bottom: "text-after-edge" }[this.state.textBaseline] || "alphabetic";
    this.parts.push(`<text x="${num(x)}" y="${num(y)}" fill="${attr(this.state.fillStyle)}" ` +
      `${fontAttributes(this.state.font)} text-anchor="${anchor}" dominant-baseline="${baseline}"${squeeze}>` +
      `${attr(text).replace(/>/g, "&gt;")}</text>`);
  }

  /** The drawing as an SVG document. */
  toSvg(title) {
    while (this.stack.length) this.restore();
    for (let i = 0; i < this.state.groups; i++) this.parts.push("</g>");
    return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="${SVG_NS}" width="${num(this.width)}" ` +
      `height="${num(this.height)}" viewBox="0 0 ${num(this.width)} ${num(this.height)}">` +
      `<title>${attr(title)}</title><rect width="100%" height="100%" fill="#fff"/>` +
      `${this.parts.join("")}</svg>\n`;
  }
}

/** What ``drawable.draw()`` draws on its canvas, as an SVG document (the canvas is drawn again after). */
export function drawingAsSvg(drawable, title) {
  const canvasContext = drawable.ctx;
  const svg = new SvgContext();
  drawable.ctx = svg;
  try {
    drawable.draw();
  } finally {
    drawable.ctx = canvasContext;
    drawable.draw();
  }
  return svg.toSvg(title);
}

/** A canvas font ("italic 600 12px system-ui, sans-serif") as SVG presentation attributes (a style
 * attribute would do, but the page's code writes none: its CSP refuses them). */
function fontAttributes(font) {
  const match = /^((?:\S+\s+)*?)(\d+(?:\.\d+)?)px\s+(.+)$/.exec(font);
  if (!match) return `font-family="${attr(font)}"`;
  const words = match[1].split(/\s+/).filter(Boolean);
  const weight = words.find((w) => /^(bold|bolder|lighter|\d{3})$/.test(w));
  const italic = words.includes("italic");
  return `font-family="${attr(match[3])}" font-size="${match[2]}"` +
    (weight ? ` font-weight="${weight}"` : "") + (italic ? ` font-style="italic"` : "");
}
