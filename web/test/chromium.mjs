// Shared by the browser scripts in this folder: command-line arguments,
// the error log of a summary, and Debian's chromium (PANTHEON_CHROMIUM,
// default /usr/bin/chromium) launched headless through playwright-core
// with a throwaway profile, nothing downloaded.

import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// arg returns the value after --name on the command line, or def.
export function arg(name, def) {
  const i = process.argv.indexOf("--" + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

// noter returns note(s), which records s in summary.errors: the first 20,
// each cut to 500 characters.
export function noter(summary) {
  return (s) => {
    if (summary.errors.length < 20) summary.errors.push(s.length > 500 ? s.slice(0, 500) + "…" : s);
  };
}

// launch starts chromium with a fresh profile directory named after
// prefix; it returns the context, its first page and close(), which
// closes the browser and removes the profile (call it in a finally).
export async function launch(prefix, viewport = { width: 1280, height: 900 }) {
  const profile = mkdtempSync(join(tmpdir(), prefix));
  let context;
  const close = async () => {
    if (context) await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.PANTHEON_CHROMIUM || "/usr/bin/chromium",
      headless: true,
      viewport,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
  } catch (e) {
    await close();
    throw e;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, close };
}
