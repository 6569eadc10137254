// Entry point of the bundle: starts the page named by <body data-page>.
import { initHome } from "./home.js";
import { initDashboard } from "./dashboard.js";
import { initEmbed } from "./embed.js";

import { notify } from "./dialogs.js";

document.getElementById("notice-close")?.addEventListener("click", () => notify(""));
const pages = { home: initHome, simulation: initDashboard, embed: initEmbed };
pages[document.body.dataset.page]?.();
