// Drives the lobby's operator console (GET /console on the lobby admin
// address) in Debian's chromium with playwright-core, nothing downloaded;
// run by the Go test TestBrowserConsole (console_browser_test.go). It
// enters the fleet secret, waits for the room server and a room, looks up
// a player, drains the server (accepting the confirmation) and waits for
// the server to show as draining. Any console error, uncaught exception or
// failed request fails it. Screenshots go to --out.
//
//   node test/console.mjs --url http://127.0.0.1:8081 --secret S --player P --out DIR [--timeout-ms 60000]
//
// The last line of stdout is a JSON summary: {"ok", "servers", "rooms",
// "draining" (the server row's state after the drain), "player" (the
// lookup's heading), "confirms" (confirmation dialogs accepted),
// "screenshots", "errors"}.

import { tmpdir } from "node:os";
import { join } from "node:path";
import { arg, launch, noter } from "./chromium.mjs";

const base = arg("url");
const secret = arg("secret");
const player = arg("player", "");
const out = arg("out", tmpdir());
const timeoutMs = Number(arg("timeout-ms", "60000"));
if (!base || !secret) {
  console.error("usage: node test/console.mjs --url URL --secret S [--player P] --out DIR [--timeout-ms N]");
  process.exit(2);
}
const summary = { ok: false, servers: 0, rooms: 0, draining: "", player: "", confirms: 0, screenshots: [], errors: [] };
const note = noter(summary);
const shot = async (page, name) => {
  const path = join(out, name + ".png");
  await page.screenshot({ path, fullPage: true });
  summary.screenshots.push(path);
};
let close = async () => {};
try {
  const b = await launch("pantheon-console-");
  close = b.close;
  const page = b.page;
  page.setDefaultTimeout(timeoutMs);
  page.on("console", (m) => {
    if (m.type() === "error") note("console: " + m.text());
  });
  page.on("pageerror", (e) => note("uncaught: " + (e.stack || e.message)));
  page.on("response", (r) => {
    if (r.status() >= 400) note(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on("requestfailed", (r) => note(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("dialog", async (d) => {
    summary.confirms++;
    await d.accept();
  });
  await page.goto(base + "/console");
  await page.waitForSelector("#secret");
  await shot(page, "console-login");
  await page.fill("#secret", secret);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#servers tbody tr[data-server]");
  await page.waitForSelector("#rooms tbody tr[data-room]");
  summary.servers = await page.locator("#servers tbody tr[data-server]").count();
  summary.rooms = await page.locator("#rooms tbody tr[data-room]").count();
  if (player) {
    await page.fill("#player-id", player);
    await page.click("#player-form button[type=submit]");
    await page.waitForSelector("#player h3");
    await page.waitForSelector("#player-sessions tbody tr");
    summary.player = (await page.textContent("#player h3")) || "";
  }
  await shot(page, "console-before-drain");
  const row = page.locator("#servers tbody tr[data-server]").first();
  await row.locator("button[data-action=drain]").click();
  await page.waitForFunction(() => {
    const b = document.querySelector("#servers tbody tr[data-server] .badge");
    return b && b.textContent === "draining";
  });
  summary.draining = (await row.locator(".badge").textContent()) || "";
  await shot(page, "console-drained");
  summary.ok = summary.errors.length === 0 && summary.servers > 0 && summary.rooms > 0 && summary.draining === "draining" && summary.confirms > 0;
} catch (e) {
  note("script: " + (e.stack || e.message));
} finally {
  await close();
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
