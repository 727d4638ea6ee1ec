// The conformance vectors of netcode/testdata/vectors.json (made by the Go
// encoder), decoded and checked field by field; client messages are also
// re-encoded and compared byte for byte.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import {
  applySnapshot, decodeClientMessage, decodeServerMessage, encodeAck, encodeBye, encodeHello, encodeInput, encodePing,
  inputRow, MessageKind, PROTOCOL_VERSION, World, type EntityRun,
} from "../src/index.js";
import { repoRoot } from "./devserver.js";

interface Vectors {
  protocol: number;
  messages: { name: string; hex: string; kind: number; fields: Record<string, any> }[];
  streams: { name: string; frames: any[] }[];
}

const vectors: Vectors = JSON.parse(fs.readFileSync(path.join(repoRoot, "netcode/testdata/vectors.json"), "utf8"));
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");
const runs = (rs: EntityRun[]) => rs.map((r) => [r.id, r.mask, r.values]);

test("vectors: protocol version and coverage", () => {
  assert.equal(vectors.protocol, PROTOCOL_VERSION);
  const kinds = new Set(vectors.messages.map((m) => m.kind));
  for (const st of vectors.streams) for (const f of st.frames) kinds.add(f.type === "snapshot" ? MessageKind.Snapshot : MessageKind.Events);
  for (const k of Object.values(MessageKind)) assert.ok(kinds.has(k), `a vector of message kind ${k}`);
  assert.deepEqual(vectors.streams.map((s) => s.name).sort(), ["duel_end", "duel_start", "synthetic"]);
});

for (const m of vectors.messages) {
  test(`vectors: message ${m.name}`, () => {
    const frame = bytes(m.hex);
    const f = m.fields;
    if (m.kind < 16) {
      const c = decodeClientMessage(frame);
      assert.equal(c.kind, m.kind);
      let again: Uint8Array;
      switch (c.kind) {
        case MessageKind.Hello:
          assert.equal(c.hello.version, f.version);
          assert.equal(c.hello.ticket, f.ticket);
          again = encodeHello(c.hello);
          break;
        case MessageKind.Resume:
          assert.equal(c.hello.version, f.version);
          assert.equal(c.hello.ticket, f.ticket);
          assert.equal(c.hello.resumeToken, f.resume_token);
          assert.equal(c.hello.lastAckTick, f.last_ack_tick);
          again = encodeHello(c.hello);
          break;
        case MessageKind.Input:
          assert.equal(c.input.ackTick, f.ack_tick);
          assert.deepEqual(c.input.inputs.map(inputRow), f.inputs);
          again = encodeInput(c.input);
          break;
        case MessageKind.Ack:
          assert.equal(c.tick, f.tick);
          again = encodeAck(c.tick);
          break;
        case MessageKind.Ping:
          assert.equal(c.ping.id, f.ping_id);
          assert.equal(c.ping.clientTimeUs, f.client_time_us);
          again = encodePing(c.ping);
          break;
        case MessageKind.ClientBye:
          assert.equal(c.code, f.code);
          again = encodeBye(c.code);
          break;
        default:
          throw new Error("unreachable");
      }
      // The SDK writes the shortest forms, as the Go encoder does.
      assert.equal(hexOf(again), m.hex, "re-encoded bytes");
      return;
    }
    const s = decodeServerMessage(frame);
    assert.equal(s.kind, m.kind);
    switch (s.kind) {
      case MessageKind.Welcome:
        assert.deepEqual(s.welcome, {
          version: f.version, seat: f.seat, tickRate: f.tick_rate, serverTick: f.server_tick,
          resumeToken: f.resume_token, entityId: f.entity_id, serverTimeUs: f.server_time_us,
        });
        break;
      case MessageKind.Events:
        assert.equal(s.events.tick, f.tick);
        assert.deepEqual(s.events.events, f.events);
        break;
      case MessageKind.Pong:
        assert.deepEqual(s.pong, { id: f.ping_id, clientTimeUs: f.client_time_us, serverTick: f.server_tick, serverTimeUs: f.server_time_us });
        break;
      case MessageKind.Error:
        assert.equal(s.error.code, f.code);
        assert.equal(s.error.message, f.message);
        assert.equal(s.error.retryAfterMs, f.retry_after_ms ?? 0);
        break;
      case MessageKind.ServerBye:
        assert.equal(s.code, f.code);
        break;
      case MessageKind.Snapshot:
        assert.equal(s.snapshot.tick, f.tick);
        break;
    }
  });
}

for (const stream of vectors.streams) {
  test(`vectors: stream ${stream.name} (${stream.frames.length} frames) rebuilds every world`, () => {
    const worlds = new Map<number, World>();
    let snapshots = 0;
    for (const fr of stream.frames) {
      const m = decodeServerMessage(bytes(fr.hex));
      const where = `${stream.name} ${fr.type} tick ${fr.tick}`;
      if (fr.type === "events") {
        assert.equal(m.kind, MessageKind.Events, where);
        if (m.kind !== MessageKind.Events) continue;
        assert.equal(m.events.tick, fr.tick, where);
        assert.deepEqual(m.events.events, fr.events, where);
        continue;
      }
      assert.equal(fr.type, "snapshot");
      assert.equal(m.kind, MessageKind.Snapshot, where);
      if (m.kind !== MessageKind.Snapshot) continue;
      const s = m.snapshot;
      snapshots++;
      assert.equal(s.tick, fr.tick, where);
      assert.equal(s.baseAge, fr.base_age ?? 0, where + " base_age");
      assert.equal(s.inputAck, fr.input_ack ?? 0, where + " input_ack");
      assert.deepEqual(runs(s.created), fr.created ?? [], where + " created");
      assert.deepEqual(runs(s.updated), fr.updated ?? [], where + " updated");
      assert.deepEqual(s.removed, fr.removed ?? [], where + " removed");
      const base = s.baseAge === 0 ? World.empty : worlds.get(s.tick - s.baseAge);
      assert.ok(base, `${where}: baseline ${s.tick - s.baseAge} was rebuilt earlier`);
      const w = applySnapshot(base!, s);
      assert.equal(w.tick, s.tick);
      assert.deepEqual(w.toObject(), fr.world, where + " world");
      worlds.set(s.tick, w);
    }
    assert.ok(snapshots > 0);
  });
}
