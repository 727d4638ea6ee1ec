// The browser test of the page (run by the Go test TestBrowserPlaysRitual,
// web_browser_test.go, against a real `pantheon dev`): Debian's chromium,
// driven by playwright-core, nothing downloaded. It opens the page, logs in
// as a guest, queues MODE with bots, plays (walks to the glowing sigil,
// channels and makes its gestures with the keyboard) until the result
// screen, and saves screenshots of the lobby, the match and the result.
// Any console error or uncaught exception in the page fails it.
//
//   node test/browser.mjs --url http://127.0.0.1:8080 --out DIR [--mode ritual] [--form bear] [--timeout-ms 240000]
//
// The last line of stdout is a JSON summary: {"ok", "player_id", "match_id",
// "outcome", "input_ack", "inputs_sent", "screenshots", "errors"}.

import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function arg(name, def) {
  const i = process.argv.indexOf("--" + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const url = arg("url");
const out = arg("out");
const mode = arg("mode", "ritual");
const form = arg("form", ""); // a shapeshift form to pick (pressed as 5 in battles)
const timeoutMs = Number(arg("timeout-ms", "240000"));
const executablePath = process.env.PANTHEON_CHROMIUM || "/usr/bin/chromium";
if (!url || !out) {
  console.error("usage: node test/browser.mjs --url URL --out DIR [--mode MODE] [--timeout-ms N]");
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const deadline = Date.now() + timeoutMs;
const left = () => Math.max(1000, deadline - Date.now());
const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);

const summary = { ok: false, mode, player_id: "", match_id: "", outcome: "", input_ack: 0, inputs_sent: 0, screenshots: [], errors: [] };
// note records a page error: the first 20, each cut to 500 characters.
let noted = 0;
const note = (s) => {
  if (noted++ < 20) summary.errors.push(s.length > 500 ? s.slice(0, 500) + "…" : s);
  else if (noted === 21) summary.errors.push("(more errors left out)");
};
const profile = mkdtempSync(join(tmpdir(), "pantheon-chromium-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("console", (m) => {
    if (m.type() === "error") note("console: " + m.text());
  });
  page.on("pageerror", (e) => note("uncaught: " + (e.stack || e.message)));
  page.on("requestfailed", (r) => {
    // The page's own requests only; a closed WebSocket at the end is not a failure.
    if (!r.url().startsWith("ws")) note(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
  const shot = async (name) => {
    const p = join(out, name + ".png");
    await page.screenshot({ path: p });
    summary.screenshots.push(p);
    log("screenshot", p);
  };
  const screen = (s, timeout = left()) => page.waitForSelector(`body[data-screen=${s}]`, { timeout });
  const state = () => page.evaluate(() => window.pantheon ?? {});

  log("open", url);
  await page.goto(url, { timeout: 30_000 });
  await screen("login", 30_000);
  await page.fill("#login-name", "Browser test");
  await page.click("#login-guest");
  await screen("lobby", 30_000);
  summary.player_id = (await state()).playerId ?? "";
  log("logged in as", summary.player_id);
  // The second archetype, to pick something other than the default.
  await page.locator("#archetypes button").nth(1).click();
  await page.click(`#modes button[data-mode="${mode}"]`);
  if (form) await page.selectOption("#pick-form", form);
  if (!(await page.isChecked("#bots"))) await page.check("#bots");
  await shot("lobby");
  await page.click("#queue");
  await screen("match", 90_000);
  summary.match_id = (await state()).matchId ?? "";
  log("matched into", summary.match_id);

  // Play: walk to the sigil the sequence wants, channel (Space held) and
  // make its gesture (G) every 1.6 s; in other modes wander and cast.
  const held = new Set();
  const hold = async (key, on) => {
    if (on && !held.has(key)) {
      held.add(key);
      await page.keyboard.down(key);
    } else if (!on && held.has(key)) {
      held.delete(key);
      await page.keyboard.up(key);
    }
  };
  let lastGesture = 0, lastCast = 0, shotTaken = false, playingSince = 0;
  for (;;) {
    if ((await page.evaluate(() => document.body.dataset.screen)) !== "match") break;
    if (Date.now() > deadline) throw new Error("timed out before the result screen");
    const st = await state();
    if (st.tick > 0 && st.me) {
      playingSince ||= Date.now();
      const g = st.goal;
      if (g) {
        const dx = g.x - st.me.x, dy = g.y - st.me.y;
        const d = Math.hypot(dx, dy);
        const inside = d < g.r * 0.6;
        await hold("KeyD", !inside && dx > 25);
        await hold("KeyA", !inside && dx < -25);
        await hold("KeyW", !inside && dy > 25);
        await hold("KeyS", !inside && dy < -25);
        await hold("Space", d < g.r * 0.9);
        if (st.me.channeling && Date.now() - lastGesture > 1600) {
          lastGesture = Date.now();
          await page.keyboard.press("KeyG");
        }
      } else if (Date.now() - lastCast > 1000) {
        lastCast = Date.now();
        await page.keyboard.press(String(1 + Math.floor(Math.random() * (form ? 5 : 4))));
      }
      if (!shotTaken && Date.now() - playingSince > 6000) {
        shotTaken = true;
        await shot("match");
      }
    }
    summary.input_ack = Math.max(summary.input_ack, st.inputAck ?? 0);
    summary.inputs_sent = Math.max(summary.inputs_sent, st.inputsSent ?? 0);
    await page.waitForTimeout(100);
  }
  for (const k of [...held]) await hold(k, false);
  if (!shotTaken) await shot("match");
  await screen("result", left());
  await page.waitForTimeout(300); // let the layout settle for the screenshot
  const st = await state();
  summary.outcome = st.result?.outcome ?? "";
  summary.shown = { title: await page.textContent("#result-title"), rewards: st.result?.rewards, mu: st.result?.mu, mu_before: st.result?.muBefore };
  log("result:", summary.shown.title, summary.outcome);
  await shot("result");
  if (!st.result) summary.errors.push("the result screen shows no stored result: " + (await page.textContent("#result-sub")));
  summary.ok = summary.errors.length === 0;
} catch (err) {
  summary.errors.push("test: " + (err.stack || err.message));
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
