// Opens a bench HTML report (pantheon bench --out DIR writes report.html)
// in Debian's chromium, driven by playwright-core, nothing downloaded; run
// by the Go test TestBenchCommandThresholdExit (bench_dev_test.go). The
// report must open with no network: any request that is not the file
// itself, any console error and any uncaught exception fail it. Once the
// page says it has built its charts (data-charts on <body>), every canvas
// must hold a Chart.js chart that laid out at least one data point inside
// its chart area and painted pixels.
//
//   node test/report.mjs --file /path/to/report.html [--timeout-ms 60000]
//
// The last line of stdout is a JSON summary: {"ok", "charts" (the page's
// count), "canvases", "drawn" (titles of the charts drawn with data),
// "empty" (titles of the others), "errors"}.

import { pathToFileURL } from "node:url";
import { arg, launch, noter } from "./chromium.mjs";

const file = arg("file");
const timeoutMs = Number(arg("timeout-ms", "60000"));
if (!file) {
  console.error("usage: node test/report.mjs --file report.html [--timeout-ms N]");
  process.exit(2);
}
const url = pathToFileURL(file).href;
const summary = { ok: false, charts: 0, canvases: 0, drawn: [], empty: [], errors: [] };
const note = noter(summary);
let close = async () => {};
try {
  const b = await launch("pantheon-report-");
  close = b.close;
  const page = b.page;
  page.on("console", (m) => {
    if (m.type() === "error") note("console: " + m.text());
  });
  page.on("pageerror", (e) => note("uncaught: " + (e.stack || e.message)));
  page.on("request", (r) => {
    if (r.url() !== url && !r.url().startsWith("data:")) note("the report loads " + r.url());
  });
  page.on("requestfailed", (r) => note(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(url, { timeout: timeoutMs });
  await page.waitForSelector("body[data-charts]", { timeout: timeoutMs });
  const got = await page.evaluate(() => {
    const out = { charts: Number(document.body.getAttribute("data-charts")), canvases: 0, drawn: [], empty: [] };
    for (const canvas of document.querySelectorAll("canvas")) {
      out.canvases++;
      const title = canvas.getAttribute("data-title") || "(untitled)";
      const chart = window.Chart && window.Chart.getChart(canvas);
      if (!chart || canvas.width === 0 || canvas.height === 0) {
        out.empty.push(title + " (no chart)");
        continue;
      }
      const area = chart.chartArea;
      let points = 0;
      chart.data.datasets.forEach((_, i) => {
        for (const el of chart.getDatasetMeta(i).data) {
          if (Number.isFinite(el.x) && Number.isFinite(el.y) && el.x >= area.left - 1 && el.x <= area.right + 1 &&
            el.y >= area.top - 1 && el.y <= area.bottom + 1) points++;
        }
      });
      const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
      (points > 0 && painted > 0 ? out.drawn : out.empty).push(`${title} (${points} points, ${painted} pixels)`);
    }
    return out;
  });
  Object.assign(summary, got);
  summary.ok = summary.errors.length === 0 && summary.empty.length === 0 && summary.canvases > 0 && summary.canvases === summary.charts;
} catch (e) {
  note("script: " + (e.stack || e.message));
} finally {
  await close();
}
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
