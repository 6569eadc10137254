// Builds the committed bundle static/rolloutviz/dist/app.js (run: npm ci && npm run build).
import { build } from "esbuild";
import { writeFileSync } from "node:fs";

const result = await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  format: "esm",
  minify: !process.env.NO_MINIFY, // NO_MINIFY=1 npm run build: readable names in a browser profile
  target: "es2020",
  legalComments: "linked",
  outfile: "../static/rolloutviz/dist/app.js",
  metafile: true,
  logLevel: "info",
});
// The metafile lets reviewers see what each dependency costs in the bundle.
writeFileSync("../static/rolloutviz/dist/app.meta.json", JSON.stringify(result.metafile, null, 1));
