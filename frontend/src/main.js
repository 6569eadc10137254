// Entry point of the bundle: starts the page named by <body data-page>.
import { initHome } from "./home.js";
import { initDashboard } from "./dashboard.js";
import { initCompare } from "./compare.js";
import { initCompareForm } from "./compare_form.js";
import { initHomeComparisons } from "./home_comparisons.js";
import { initEmbed } from "./embed.js";

import { notify } from "./dialogs.js";

document.getElementById("notice-close")?.addEventListener("click", () => notify(""));
const pages = {
  home: () => {
    initHome();
    initHomeComparisons().catch((error) => notify(error.message, "error"));
  },
  simulation: () => {
    initDashboard();
    initCompareForm(parseInt(document.body.dataset.simId, 10));
  },
  compare: initCompare,
  embed: initEmbed,
};
pages[document.body.dataset.page]?.();
