// Builds the two browser bundles into the Python package's static folder.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";

const outdir = "../server/loket/static";
mkdirSync(outdir, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2019"],
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
};

await Promise.all([
  build({ ...common, entryPoints: ["src/widget.ts"], outfile: `${outdir}/widget.js` }),
  build({ ...common, entryPoints: ["src/console.ts"], outfile: `${outdir}/console.js` }),
]);
