// Snapshot decode + apply time per snapshot for a raid of 40 players and
// 400 NPCs, on frames made by the Go encoder (netcode's TestSDKBenchFrames,
// the states of BenchmarkSnapshotApply).
//
//   npm run bench                      (builds, then generates the frames with go)
//   node bench/snapshot.mjs FRAMES.json  (frames written by
//     go test ./netcode -run TestSDKBenchFrames -sdk-bench-out FRAMES.json)

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { applySnapshot, decodeServerMessage, World } from "../dist/src/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
let file = process.argv[2];
if (!file) {
  file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pantheon-bench-")), "raid.json");
  execFileSync("go", ["test", "./netcode", "-count=1", "-run", "^TestSDKBenchFrames$", "-sdk-bench-out", file], { cwd: path.resolve(here, "../../.."), stdio: "inherit" });
}
const data = JSON.parse(fs.readFileSync(file, "utf8"));
const bytes = (h) => Uint8Array.from(Buffer.from(h, "hex"));
const full = bytes(data.full);
const deltas = data.deltas.map(bytes);

// The baselines: the world of every tick, rebuilt once.
const snap = (f) => {
  const m = decodeServerMessage(f);
  if (m.kind !== 17) throw new Error("not a snapshot");
  return m.snapshot;
};
const worlds = [applySnapshot(World.empty, snap(full))];
for (const d of deltas) worlds.push(applySnapshot(worlds[worlds.length - 1], snap(d)));
if (worlds[0].size !== data.players + data.npcs) throw new Error(`full snapshot has ${worlds[0].size} entities`);

function bench(name, bytesPer, fn, minMs = 1500) {
  for (let i = 0; i < 200; i++) fn(i); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  let t;
  do {
    for (let i = 0; i < 64; i++) fn(n++);
    t = Number(process.hrtime.bigint() - t0) / 1e6;
  } while (t < minMs);
  console.log(`${name.padEnd(28)} ${((t * 1000) / n).toFixed(1).padStart(7)} µs/snapshot  (${n} snapshots, ${bytesPer} bytes each on average)`);
}

const avgDelta = Math.round(deltas.reduce((s, d) => s + d.byteLength, 0) / deltas.length);
console.log(`raid: ${data.players} players + ${data.npcs} NPCs, ${deltas.length} ticks; node ${process.version}`);
bench("delta: decode + apply", avgDelta, (i) => {
  const k = i % deltas.length;
  applySnapshot(worlds[k], snap(deltas[k]));
});
bench("delta: decode only", avgDelta, (i) => snap(deltas[i % deltas.length]));
bench("full: decode + apply", full.byteLength, () => applySnapshot(World.empty, snap(full)));
