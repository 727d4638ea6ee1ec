// Codec, update stream, apply, clock and interpolation unit tests.

import assert from "node:assert/strict";
import { test } from "node:test";
import { encode } from "@msgpack/msgpack";
import {
  applySnapshot, BaselineError, BitReader, ClockSync, decodeServerMessage, decodeUpdateStream, encodeAck, encodeHello,
  InterpolationBuffer, ProtocolError, World, errorCodeNames, ErrorCode, resumableCodes, codeName, Field, type SnapshotFrame,
} from "../src/index.js";

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("PROTOCOL.md 13.1: hello and resume bytes", () => {
  assert.equal(hexOf(encodeHello({ version: 2, ticket: "tkt.A1" })), "930102a6746b742e4131");
  assert.equal(hexOf(encodeHello({ version: 2, ticket: "tkt.A1", resumeToken: "r9", lastAckTick: 300 })), "950202a6746b742e4131a27239cd012c");
});

function world(tick: number, ents: [number, Record<number, number>][]): World {
  const ids = new Uint32Array(ents.map((e) => e[0]));
  const f = new Int32Array(ents.length * 32);
  ents.forEach(([, o], i) => {
    for (const [k, v] of Object.entries(o)) f[i * 32 + Number(k)] = v;
  });
  return new World(tick, ids, f);
}

test("PROTOCOL.md 13.2: the worked delta snapshot decodes and applies", () => {
  const frame = bytes(`97 11 65 01 2a
    99 0e cd 08 6f 02 01 cc fa d1 fe 70 cd 01 f4 cd 01 f4 ff
    c4 0d 60 12 d2 91 23 0e 12 e2 b2 d4 54 f2 bc
    91 05`);
  const m = decodeServerMessage(frame);
  assert.equal(m.kind, 17);
  if (m.kind !== 17) return;
  const s = m.snapshot;
  assert.deepEqual([s.tick, s.baseAge, s.inputAck], [101, 1, 42]);
  assert.deepEqual(s.created, [{ id: 14, mask: 0x086f, values: [2, 1, 250, -400, 500, 500, -1] }]);
  assert.deepEqual(s.updated, [
    { id: 7, mask: 0b1100, values: [12, -3] },
    { id: 8, mask: 0b1100, values: [-7, 9] },
    { id: 9, mask: (1 << 5) | (1 << 8), values: [-150, 2] },
  ]);
  assert.deepEqual(s.removed, [5]);
  const base = world(100, [[5, { 0: 3 }], [7, { 2: 100, 3: 100 }], [8, { 2: 0, 3: 0 }], [9, { 5: 1000 }], [12, { 0: 1 }]]);
  const w = applySnapshot(base, s);
  assert.deepEqual(w.toObject(), [
    [7, { 2: 112, 3: 97 }],
    [8, { 2: -7, 3: 9 }],
    [9, { 5: 850, 8: 2 }],
    [12, { 0: 1 }],
    [14, { 0: 2, 1: 1, 2: 250, 3: -400, 5: 500, 6: 500, 11: -1 }],
  ]);
  assert.equal(hexOf(encodeAck(101)), "920465");
});

test("PROTOCOL.md 13.3: the idle room's bare header", () => {
  const m = decodeServerMessage(bytes("97 11 cd 15 19 01 cd 15 16 90 c4 00 90"));
  assert.equal(m.kind, 17);
  if (m.kind !== 17) return;
  assert.deepEqual(m.snapshot, { tick: 5401, baseAge: 1, inputAck: 5398, created: [], updated: [], removed: [] });
});

test("Exp-Golomb examples of PROTOCOL.md 7.3", () => {
  // eg(0) of 0, 1, 2, 3 = 1, 010, 011, 00100; eg(3) of 5 = 1101: 1 010 011 00100 1101 + padding.
  const r = new BitReader(bytes("a6 4d 00").subarray(0, 3));
  // 10100110 01001101 00000000
  assert.equal(r.eg(0), 0);
  assert.equal(r.eg(0), 1);
  assert.equal(r.eg(0), 2);
  assert.equal(r.eg(0), 3);
  assert.equal(r.eg(3), 5);
});

test("update stream: malformed streams are refused", () => {
  const bad: [string, string][] = [
    // count 1, U = 0
    ["U = 0", "a0"],
    // truncated: count 1, U = 1 (eg(0) "010"), then nothing for k
    ["truncated", "a8"],
  ];
  for (const [what, hex] of bad) assert.throws(() => decodeUpdateStream(bytes(hex), 8192), ProtocolError, what);
  // A good stream: count 1 ("1"), U = 1 ("010"), k[0] = 0 (00000), k_id = 0 (00000),
  // D = 1 ("1"), entity id 0 ("1"), own_mask 0 ("0"), change eg(0) = 0 ("1"): 20 bits + 4 padding.
  // 1010 0000 0000 0011 0100 0000 -> a0 03 40
  assert.deepEqual(decodeUpdateStream(bytes("a00340"), 8192), [{ id: 0, mask: 1, values: [0] }]);
  assert.throws(() => decodeUpdateStream(bytes("a00341"), 8192), /padding/);
  assert.throws(() => decodeUpdateStream(bytes("a0034000"), 8192), /bytes after/);
  // own mask 1 with mask 0: ... id "1", own "1", mask "0" -> 1010 0000 0000 0011 1000 -> a0 03 80
  assert.throws(() => decodeUpdateStream(bytes("a00380"), 8192), /mask 0/);
  assert.throws(() => decodeUpdateStream(bytes("a00340"), 0), /limit/);
});

test("frames that break the rules are protocol errors", () => {
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["not an array", encode(5)],
    ["unknown kind", encode([30, 1])],
    ["short welcome", encode([16, 2, 0])],
    ["negative uint32", encode([21, -1])],
    ["float field", encode([19, 1.5, 0, 0, 0])],
    ["trailing bytes", new Uint8Array([...encode([21, 0]), 0])],
    ["text updated", encode([17, 2, 1, 0, [], "x", []])],
    ["base_age >= tick", encode([17, 2, 2, 0, [], new Uint8Array(0), []])],
    ["created run too short", encode([17, 2, 0, 0, [1, 3, 5], new Uint8Array(0), []])],
    ["zero id gap", encode([17, 2, 1, 0, [], new Uint8Array(0), [3, 0]])],
    ["id overflow", encode([17, 2, 1, 0, [], new Uint8Array(0), [0xffffffff, 1]])],
    ["full with removes", encode([17, 2, 0, 0, [], new Uint8Array(0), [3]])],
    ["event too long", encode([18, 1, [new Array(17).fill(0)]])],
    ["error message too long", encode([20, 1, "x".repeat(513)])],
  ];
  for (const [what, frame] of cases) assert.throws(() => decodeServerMessage(frame), ProtocolError, what);
  // Trailing elements of a newer minor version are skipped.
  const m = decodeServerMessage(encode([21, 0, { extra: [1, [2]] }, null, 1.5]));
  assert.deepEqual(m, { kind: 21, code: 0 });
});

const snap = (p: Partial<SnapshotFrame>): SnapshotFrame => ({ tick: 2, baseAge: 1, inputAck: 0, created: [], updated: [], removed: [], ...p });

test("apply: snapshots that disagree with the baseline throw BaselineError", () => {
  const base = world(1, [[3, { 0: 1 }], [9, { 5: 10 }]]);
  assert.throws(() => applySnapshot(base, snap({ created: [{ id: 3, mask: 1, values: [1] }] })), BaselineError);
  assert.throws(() => applySnapshot(base, snap({ removed: [4] })), BaselineError);
  assert.throws(() => applySnapshot(base, snap({ updated: [{ id: 10, mask: 1, values: [1] }] })), BaselineError);
  assert.throws(() => applySnapshot(base, snap({ removed: [9], updated: [{ id: 9, mask: 1, values: [1] }] })), BaselineError);
  assert.throws(() => applySnapshot(base, snap({ tick: 3 })), BaselineError, "wrong baseline tick");
  // Wrapping arithmetic on int32.
  const w = applySnapshot(world(1, [[1, { 5: 0x7fffffff }]]), snap({ updated: [{ id: 1, mask: 1 << 5, values: [1] }] }));
  assert.equal(w.field(1, 5), -0x80000000);
  // A full snapshot ignores the baseline.
  const full = applySnapshot(base, snap({ baseAge: 0, created: [{ id: 4, mask: 1 << 31, values: [-7] }] }));
  assert.deepEqual(full.toObject(), [[4, { 31: -7 }]]);
});

test("clock: rtt smoothing, lowest-rtt offset, tick estimate", () => {
  const c = new ClockSync();
  // Server clock = client clock + 1,000,000 µs; one-way 5 ms.
  c.observe(0, 10_000, 100, 1_005_000);
  assert.equal(c.rttUs, 10_000);
  assert.equal(c.offsetUs, 1_000_000);
  // A queued sample (rtt 50 ms, skewed) does not move the offset.
  c.observe(20_000, 70_000, 101, 1_030_000);
  assert.equal(c.offsetUs, 1_000_000);
  assert.equal(c.rttUs, 10_000 + (50_000 - 10_000) / 8);
  // 60 Hz: 25 ms after the pong plus half its rtt = 50 ms = 3 ticks.
  assert.equal(c.serverTick(70_000 + 25_000, 60), 101 + 3);
});

test("interpolation: positions and facing between two worlds", () => {
  const b = new InterpolationBuffer({ teleportCm: 500 });
  b.push(world(10, [[1, { [Field.X]: 0, [Field.Y]: 100, [Field.Facing]: 250, [Field.Hp]: 50 }], [2, { [Field.X]: 0 }]]));
  b.push(world(12, [[1, { [Field.X]: 200, [Field.Y]: 100, [Field.Facing]: 6, [Field.Hp]: 40 }], [2, { [Field.X]: 1000 }], [3, {}]]));
  const s = b.sample(11);
  assert.equal(s.length, 2, "entity 3 appears only once its world is reached");
  assert.equal(s[0].x, 100);
  assert.equal(s[0].y, 100);
  assert.equal(s[0].facing, 0, "250 -> 6 goes the short way through 0");
  assert.equal(s[0].fields[Field.Hp], 50, "discrete fields are the older world's");
  assert.equal(s[1].x, 0, "a teleport is not interpolated");
  assert.equal(b.sample(99).length, 3, "past the newest world: the newest");
  assert.equal(b.sample(0)[0].x, 0, "before the oldest: the oldest");
});

test("codes: names, resumable codes, unknown codes read as internal", () => {
  assert.equal(errorCodeNames[ErrorCode.ResultPending], "result_pending");
  assert.ok(resumableCodes.has(ErrorCode.RateLimited) && resumableCodes.has(ErrorCode.SlowConsumer));
  assert.equal(codeName(9999), "internal");
});
