// The header's Export menu: the server's downloads are plain links (the scenario file, the event
// log, the kubectl get pods -w transcript); the pictures are made here from what the page draws —
// PNG from the canvas itself, SVG by drawing it again as vectors (svg_context.js).
import { drawingAsSvg } from "./svg_context.js";
import { notify } from "./dialogs.js";

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function initExports(simId, { timeline, chart }) {
  const menu = document.getElementById("export-menu");
  if (!menu) return;
  const pictures = {
    "timeline-svg": () => svgOf(timeline, "timeline"),
    "timeline-png": () => pngOf(timeline, "timeline"),
    "chart-svg": () => svgOf(chart, "chart"),
    "chart-png": () => pngOf(chart, "chart"),
  };
  const svgOf = (drawable, what) =>
    download(new Blob([drawingAsSvg(drawable, `simulation ${simId}: ${what}`)], { type: "image/svg+xml" }),
      `simulation-${simId}-${what}.svg`);
  const pngOf = (drawable, what) => {
    drawable.draw();
    drawable.canvas.toBlob((blob) => {
      if (blob) download(blob, `simulation-${simId}-${what}.png`);
      else notify("the picture could not be made (the canvas is empty)", "error");
    }, "image/png");
  };
  menu.addEventListener("click", (event) => {
    const item = event.target.closest("[data-export]");
    if (!item) return;
    pictures[item.dataset.export]?.();
    menu.open = false;
  });
  // a click elsewhere or Escape closes it, as a menu does
  document.addEventListener("click", (event) => {
    if (menu.open && !menu.contains(event.target)) menu.open = false;
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
}
