// RoomSession against an in-process scripted room server (loopback WebSocket).

import assert from "node:assert/strict";
import { test } from "node:test";
import { decode, encode } from "@msgpack/msgpack";
import { WebSocket, WebSocketServer, type WebSocket as WS } from "ws";
import { ErrorCode, EventKind, RoomSession, SessionError } from "../src/index.js";

/** The worked example's update stream (PROTOCOL.md 13.2): entities 7, 8, 9 change. */
const workedUpdates = Uint8Array.from(Buffer.from("6012d291230e12e2b2d454f2bc", "hex"));

/** A scripted room: each connection's frames are read in order by the test. */
class MockRoom {
  readonly wss: WebSocketServer;
  readonly conns: Conn[] = [];
  private waiters: ((c: Conn) => void)[] = [];
  constructor() {
    this.wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    this.wss.on("connection", (ws) => {
      const c = new Conn(ws);
      this.conns.push(c);
      const w = this.waiters.shift();
      if (w) w(c);
    });
  }
  /** listening resolves once the server has its port. */
  listening(): Promise<void> {
    if (this.wss.address()) return Promise.resolve();
    return new Promise((r) => this.wss.once("listening", () => r()));
  }
  get url(): string {
    const a = this.wss.address() as { port: number };
    return `ws://127.0.0.1:${a.port}/v1/play`;
  }
  /** next resolves with the next connection (one already made and not taken yet included). */
  next(taken: number): Promise<Conn> {
    if (this.conns.length > taken) return Promise.resolve(this.conns[taken]);
    return new Promise((r) => this.waiters.push(r));
  }
  close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

class Conn {
  private frames: unknown[][] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WS) {
    ws.on("message", (data: Buffer) => {
      const f = decode(data) as unknown[];
      if (f[0] === 5) {
        // Answer pings at once, like the server.
        this.send([19, f[1], f[2], 0, Date.now() * 1000]);
        return;
      }
      this.frames.push(f);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  send(f: unknown[]): void {
    this.ws.send(encode(f));
  }
  /** read returns the next client frame of the given kind (skipping others), within 5 s. */
  async read(kind: number): Promise<unknown[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const i = this.frames.findIndex((f) => f[0] === kind);
      if (i >= 0) return this.frames.splice(0, i + 1)[i];
      if (Date.now() > deadline) throw new Error(`no client frame of kind ${kind}; have ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting: " + what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const welcome = (token: string, tick: number) => [16, 2, 1, 30, tick, token, 7, Date.now() * 1000];
const full1 = [17, 1, 0, 0, [7, 0b1100, 100, 100, 1, 0b1100, 0, 0, 1, 1 << 5, 1000], new Uint8Array(0), []];

test("session: hello, snapshots acked, inputs resent until acked, resume with the token, stale drops, resumable error, bye", { timeout: 30_000 }, async () => {
  const room = new MockRoom();
  await room.listening();
  try {
    const sp = RoomSession.connect({ url: room.url, ticket: "tkt.A1", WebSocket: WebSocket as any, resumeBackoffMs: 10, pingIntervalMs: 200 });
    const c1 = await room.next(0);
    assert.deepEqual(await c1.read(1), [1, 2, "tkt.A1"]);
    c1.send(welcome("t1", 0));
    const s = await sp;
    assert.equal(s.state, "waiting", "no snapshot yet: waiting for players");
    assert.equal(s.entityId, 7);
    assert.equal(s.tickRate, 30);

    c1.send(full1);
    assert.deepEqual(await c1.read(4), [4, 1], "the full snapshot is acked");
    assert.equal(s.state, "playing");
    assert.equal(s.world.field(9, 5), 1000);

    assert.equal(s.sendInput({ moveX: 1000 }), 1);
    assert.equal(s.sendInput({ moveX: 500, castSlot: 2, castTarget: 9 }), 2);
    await c1.read(3);
    const in2 = (await c1.read(3)) as [number, number, number[][]];
    assert.equal(in2[1], 1, "ack_tick is the newest applied tick");
    assert.deepEqual(in2[2].map((r) => r[0]), [1, 2], "every unacked input, oldest first");
    assert.deepEqual(in2[2][1], [2, 1, 500, 0, 0, 2, 9, 0, 0, 0, 0]);

    // Tick 2 (delta on 1) consumes input 1.
    c1.send([17, 2, 1, 1, [], workedUpdates, []]);
    // Input 2 is still unacked: the ping resends it, and that input frame
    // acks tick 2 (no ack frame: PROTOCOL.md 6).
    let resent = (await c1.read(3)) as [number, number, number[][]];
    while (resent[1] !== 2) resent = (await c1.read(3)) as [number, number, number[][]];
    assert.deepEqual(resent[2].map((r) => r[0]), [2]);
    assert.equal(s.world.field(7, 2), 112);
    assert.equal(s.world.field(9, 8), 2);
    assert.equal(s.lastInputAck, 1);
    assert.deepEqual(s.unacked.map((i) => i.seq), [2]);
    // A stale duplicate is dropped.
    c1.send([17, 2, 1, 1, [], workedUpdates, []]);
    s.sendInput({});
    const in3 = (await c1.read(3)) as [number, number, number[][]];
    assert.deepEqual(in3[2].map((r) => r[0]), [2, 3], "input 1 is forgotten once acked");
    await until(() => s.stats.staleDropped === 1, "the stale snapshot is dropped");

    // The connection dies: the client resumes with the token and its newest tick, then resends.
    const resumed = new Promise<boolean>((r) => s.on("welcome", (_w, res) => r(res)));
    c1.ws.terminate();
    const c2 = await room.next(1);
    assert.deepEqual(await c2.read(2), [2, 2, "tkt.A1", "t1", 2]);
    c2.send(welcome("t2", 2));
    assert.equal(await resumed, true);
    const in4 = (await c2.read(3)) as [number, number, number[][]];
    assert.deepEqual(in4[2].map((r) => r[0]), [2, 3], "unacked inputs resent after the resume");
    // The server continues with a delta against tick 2, removing entity 8.
    c2.send([17, 3, 1, 3, [], new Uint8Array(0), [8]]);
    // Nothing left to resend: the ping acks tick 3 alone.
    assert.deepEqual(await c2.read(4), [4, 3]);
    assert.deepEqual([...s.world.ids], [7, 9]);
    assert.equal(s.unacked.length, 0);

    // A resumable error: resume again, with the newest token.
    c2.send([20, ErrorCode.SlowConsumer, "too slow"]);
    const c3 = await room.next(2);
    assert.deepEqual(await c3.read(2), [2, 2, "tkt.A1", "t2", 3]);
    c3.send(welcome("t3", 3));
    // Match end: its events, then bye.
    c3.send([18, 4, [[EventKind.MatchEnd, 0, -1, 0, 0, 1, -1]]]);
    c3.send([21, 0]);
    const end = await s.ended;
    assert.deepEqual(end, { reason: "bye", code: 0, codeName: "none", message: "server bye", matchEnded: true });
    assert.equal(s.stats.resumes, 2);
    assert.ok(s.clock.samples > 0, "pings were answered");
  } finally {
    await room.close();
  }
});

test("session: a refused hello rejects connect; resume_failed ends the session", { timeout: 30_000 }, async () => {
  const room = new MockRoom();
  await room.listening();
  try {
    const sp = RoomSession.connect({ url: room.url, ticket: "bad", WebSocket: WebSocket as any });
    const c1 = await room.next(0);
    await c1.read(1);
    c1.send([20, ErrorCode.BadTicket, "signature invalid"]);
    await assert.rejects(sp, (err: unknown) => err instanceof SessionError && err.end.reason === "refused" && err.end.codeName === "bad_ticket");

    const sp2 = RoomSession.connect({ url: room.url, ticket: "tkt", WebSocket: WebSocket as any, resumeBackoffMs: 10 });
    const c2 = await room.next(1);
    await c2.read(1);
    c2.send(welcome("t1", 5));
    const s = await sp2;
    c2.ws.terminate();
    const c3 = await room.next(2);
    assert.deepEqual(await c3.read(2), [2, 2, "tkt", "t1", 0]);
    c3.send([20, ErrorCode.ResumeFailed, "seat released"]);
    const end = await s.ended;
    assert.equal(end.reason, "resume_failed");
    assert.equal(end.code, ErrorCode.ResumeFailed);
  } finally {
    await room.close();
  }
});

test("session: a snapshot that disagrees with its baseline drops the connection and resumes", { timeout: 30_000 }, async () => {
  const room = new MockRoom();
  await room.listening();
  try {
    const sp = RoomSession.connect({ url: room.url, ticket: "tkt", WebSocket: WebSocket as any, resumeBackoffMs: 10 });
    const c1 = await room.next(0);
    await c1.read(1);
    c1.send(welcome("t1", 1));
    const s = await sp;
    c1.send(full1);
    await c1.read(4);
    c1.send([17, 2, 1, 0, [], new Uint8Array(0), [42]]); // entity 42 is not in tick 1
    const c2 = await room.next(1);
    assert.deepEqual(await c2.read(2), [2, 2, "tkt", "t1", 1]);
    s.close();
    assert.equal((await s.ended).reason, "left");
  } finally {
    await room.close();
  }
});

test("session: a burst of snapshots (a backlog after a stall) is acked at most once a tick, the newest last", { timeout: 30_000 }, async () => {
  const room = new MockRoom();
  await room.listening();
  try {
    const sp = RoomSession.connect({ url: room.url, ticket: "tkt", WebSocket: WebSocket as any });
    const c = await room.next(0);
    await c.read(1);
    c.send(welcome("t1", 0)); // 30 ticks a second: an ack at most every 33 ms
    const s = await sp;
    const n = 90;
    const t0 = Date.now();
    for (let tick = 1; tick <= n; tick++) c.send([17, tick, 0, 0, full1[4], new Uint8Array(0), []]);
    const acks: number[] = [];
    while (acks[acks.length - 1] !== n) acks.push((await c.read(4))[1] as number);
    const elapsed = Date.now() - t0;
    assert.equal(s.stats.snapshots, n);
    // One ack per tick interval at most, plus the first at once and the last (by the next ping).
    const most = Math.floor(elapsed / (1000 / 30)) + 2;
    assert.ok(acks.length <= most, `${acks.length} acks for ${n} snapshots in ${elapsed} ms, want at most ${most}: ${acks.join(" ")}`);
    assert.deepEqual([...acks].sort((a, b) => a - b), acks, `acks in tick order: ${acks.join(" ")}`);
    s.close();
  } finally {
    await room.close();
  }
});

test("session: a rate_limited close's retry_after_ms is waited before the resume, and again when the resume is refused with one", { timeout: 30_000 }, async () => {
  const room = new MockRoom();
  await room.listening();
  try {
    const sp = RoomSession.connect({ url: room.url, ticket: "tkt", WebSocket: WebSocket as any, resumeBackoffMs: 10 });
    const c1 = await room.next(0);
    await c1.read(1);
    c1.send(welcome("t1", 0));
    const s = await sp;
    const errors: number[] = [];
    s.on("serverError", (e) => errors.push(e.retryAfterMs));
    // The server closes the seat for flooding and states a 400 ms back-off.
    const closedAt = Date.now();
    c1.send([20, ErrorCode.RateLimited, "too many inputs", 400]);
    const c2 = await room.next(1);
    const waited = Date.now() - closedAt;
    assert.ok(waited >= 400, `resumed ${waited} ms after a rate_limited close that said 400 ms`);
    assert.deepEqual(await c2.read(2), [2, 2, "tkt", "t1", 0]);
    // Still backing off (the server's clock): refused with the time left.
    const refusedAt = Date.now();
    c2.send([20, ErrorCode.RateLimited, "backing off", 300]);
    const c3 = await room.next(2);
    const waited2 = Date.now() - refusedAt;
    assert.ok(waited2 >= 300, `tried again ${waited2} ms after a refusal that said 300 ms (resumeBackoffMs is 10)`);
    assert.deepEqual(await c3.read(2), [2, 2, "tkt", "t1", 0], "the same token: the refusal changed nothing");
    const resumed = new Promise<boolean>((r) => s.on("welcome", (_w, res) => r(res)));
    c3.send(welcome("t2", 0));
    assert.equal(await resumed, true);
    assert.equal(s.stats.resumes, 1);
    assert.deepEqual(errors, [400], "the session's own close is reported with its back-off");
    s.close();
  } finally {
    await room.close();
  }
});
