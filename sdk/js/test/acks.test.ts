// The session's ack policy (PROTOCOL.md 6) on an in-memory WebSocket and a
// synthetic clock: nothing here waits on real time or a socket.

import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { decode, encode } from "@msgpack/msgpack";
import { RoomSession } from "../src/index.js";
import type { WebSocketLike } from "../src/websocket.js";

/** MemSocket is a WebSocket whose peer is the test: it delivers frames by hand and reads what the session sent. */
class MemSocket implements WebSocketLike {
  static last: MemSocket | null = null;
  readyState = 0;
  binaryType = "";
  readonly sent: unknown[][] = [];
  onopen: ((ev: any) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: any) => void) | null = null;
  constructor(readonly url: string) {
    MemSocket.last = this;
  }
  send(data: string | Uint8Array | ArrayBuffer): void {
    this.sent.push(decode(data as Uint8Array) as unknown[]);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  deliver(f: unknown[]): void {
    this.onmessage?.({ data: encode(f) });
  }
  /** kinds returns the frames sent of one kind. */
  kinds(kind: number): unknown[][] {
    return this.sent.filter((f) => f[0] === kind);
  }
}

const periodUs = Math.ceil(1e6 / 30); // whole µs: nowUs must be an integer
const full1 = [17, 1, 0, 0, [7, 0b1100, 100, 100, 1, 0b1100, 0, 0, 1, 1 << 5, 1000], new Uint8Array(0), []];
/** snapshot is tick 1 in full, later ticks a delta on the tick before that changes nothing. */
const snapshot = (tick: number, inputAck: number) => (tick === 1 ? full1 : [17, tick, 1, inputAck, [], new Uint8Array(0), []]);

/** rig connects a session at 30 Hz over a MemSocket, its clock (and timers) advanced by the test. */
async function rig() {
  mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  let nowUs = 1_700_000_000e6;
  const sp = RoomSession.connect({
    url: "mem://room", ticket: "tkt", WebSocket: MemSocket as any,
    nowUs: () => nowUs, pingIntervalMs: 3_600_000, // no ping unless the test advances an hour
  });
  const ws = MemSocket.last!;
  ws.open();
  ws.deliver([16, 2, 1, 30, 0, "t1", 7, nowUs]);
  const s = await sp;
  const advance = (us: number) => {
    nowUs += us;
    mock.timers.tick(us / 1000);
  };
  return { s, ws, advance };
}

test("acks: a session that sends an input every tick sends n input frames carrying the acks, and one ack frame (the first, full, snapshot), not 2n frames", async () => {
  const { s, ws, advance } = await rig();
  try {
    const n = 90;
    for (let tick = 1; tick <= n; tick++) {
      ws.deliver(snapshot(tick, tick - 1));
      s.sendInput({ moveX: 1000 });
      advance(periodUs);
    }
    const inputs = ws.kinds(3);
    assert.equal(inputs.length, n, "one input frame per input");
    inputs.forEach((f, i) => assert.equal(f[1], i + 1, `input frame ${i} acks the tick just applied`));
    assert.deepEqual(ws.kinds(4), [[4, 1]], "the only ack frame is that of the first, full, snapshot");
    assert.equal(s.stats.inputFrames, n);
    assert.equal(s.stats.acksSent, 1);
  } finally {
    s.close();
    mock.timers.reset();
  }
});

test("acks: an idle session acks alone at most once a tick and at least every third tick; its ping acks the last snapshot", async () => {
  const { s, ws, advance } = await rig();
  try {
    const n = 90;
    for (let tick = 1; tick <= n; tick++) {
      ws.deliver(snapshot(tick, 0));
      advance(periodUs);
    }
    const acks = ws.kinds(4).map((f) => f[1] as number);
    assert.equal(acks[0], 1, "the full snapshot is acked at once");
    for (let i = 1; i < acks.length; i++) {
      const d = acks[i] - acks[i - 1];
      assert.ok(d >= 1 && d <= 3, `acks ${acks.join(" ")}: ${acks[i - 1]} and ${acks[i]} are ${d} ticks apart, want 1 to 3`);
    }
    assert.ok(n - acks[acks.length - 1] <= 2, `acks ${acks.join(" ")}: the newest acked tick is far behind ${n}`);
    assert.equal(ws.kinds(3).length, 0, "no input frames");

    // A lone snapshot after the stream stopped: the next ping acks it.
    ws.deliver(snapshot(n + 1, 0));
    advance(3_600_000e3);
    assert.deepEqual(ws.kinds(4).at(-1), [4, n + 1]);
  } finally {
    s.close();
    mock.timers.reset();
  }
});
