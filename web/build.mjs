// Builds the page into dist/ (embedded by web.go): src/main.ts with the SDK
// (sdk/js/src) and @msgpack/msgpack bundled by esbuild into app.js, plus
// index.html and style.css copied as they are.
//
//   node build.mjs            write dist/
//   node build.mjs --out DIR  write DIR instead
//   node build.mjs --check    build into a temporary directory and fail when dist/ differs
//
// `make web` runs the first; `make verify` and the Go test
// TestBundleUpToDate run the last.

import * as esbuild from "esbuild";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, copyFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const files = ["index.html", "style.css", "app.js"];

async function build(out) {
  mkdirSync(out, { recursive: true });
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: [join(here, "src", "main.ts")],
    outfile: join(out, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    legalComments: "none",
    charset: "utf8",
    logLevel: "warning",
    // The SDK's sources live outside this package: their @msgpack/msgpack
    // always comes from here (the same pinned version as sdk/js's), so the
    // bundle does not depend on whether sdk/js/node_modules exists.
    alias: { "@msgpack/msgpack": join(here, "node_modules", "@msgpack", "msgpack") },
    banner: { js: "// Built by web/build.mjs (esbuild) from web/src and sdk/js/src; do not edit: run `make web`." },
  });
  for (const f of ["index.html", "style.css"]) copyFileSync(join(here, "src", f), join(out, f));
}

const args = process.argv.slice(2);
if (args[0] === "--check") {
  const tmp = mkdtempSync(join(tmpdir(), "pantheon-web-"));
  try {
    await build(tmp);
    const stale = [];
    for (const f of files) {
      const want = readFileSync(join(tmp, f));
      const p = join(dist, f);
      if (!existsSync(p) || !readFileSync(p).equals(want)) stale.push(f);
    }
    const extra = existsSync(dist) ? readdirSync(dist).filter((f) => !files.includes(f)) : [];
    if (stale.length || extra.length) {
      console.error(`web/dist is not what web/src and sdk/js/src build to (${[...stale, ...extra.map((f) => f + " (extra)")].join(", ")}); rebuild it with \`make web\` and commit it`);
      process.exit(1);
    }
    console.log("web/dist is up to date");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  const out = args[0] === "--out" ? args[1] : dist;
  if (!out) {
    console.error("usage: node build.mjs [--out DIR | --check]");
    process.exit(2);
  }
  if (out === dist) rmSync(dist, { recursive: true, force: true });
  await build(out);
  for (const f of files) console.log(`${join(out, f)}: ${readFileSync(join(out, f)).length} bytes`);
}
