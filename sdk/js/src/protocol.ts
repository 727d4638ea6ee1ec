// Frames of the Pantheon wire protocol, version 2 (netcode/PROTOCOL.md),
// encoded and decoded with @msgpack/msgpack.

import { Decoder, Encoder } from "@msgpack/msgpack";
import { decodeUpdateStream, type EntityRun } from "./updates.js";
import { ProtocolError } from "./errors.js";

export { ProtocolError };

/** The protocol major version this SDK speaks. */
export const PROTOCOL_VERSION = 2;

/** Message kinds (the first element of every frame; PROTOCOL.md section 4). */
export const MessageKind = Object.freeze({
  Hello: 1,
  Resume: 2,
  Input: 3,
  Ack: 4,
  Ping: 5,
  ClientBye: 6,
  Welcome: 16,
  Snapshot: 17,
  Events: 18,
  Pong: 19,
  Error: 20,
  ServerBye: 21,
} as const);
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** Limits of PROTOCOL.md section 11. */
export const Limits = Object.freeze({
  /** Largest client-to-server frame, bytes. */
  clientFrame: 4096,
  /** Largest server-to-client frame, bytes. */
  serverFrame: 262144,
  ticket: 2048,
  resumeToken: 128,
  errorMessage: 512,
  inputsPerFrame: 32,
  eventsPerFrame: 1024,
  fieldsPerEvent: 15,
  entitiesPerSnapshot: 8192,
  /** Fields per entity. */
  fields: 32,
} as const);


/** hello `[1, version, ticket]` or resume `[2, version, ticket, resume_token, last_ack_tick]`. */
export interface Hello {
  version: number;
  ticket: string;
  /** Set for a resume. */
  resumeToken?: string;
  lastAckTick?: number;
}

/** One input (the 11 integers of PROTOCOL.md section 4). */
export interface Input {
  seq: number;
  clientTick: number;
  /** Desired velocity in permille of full speed; the vector's length sets the speed, at most 1000. */
  moveX: number;
  moveY: number;
  /** 0-255, one turn counter-clockwise from +x. */
  facing: number;
  /** Ability slot to cast, -1 for none. */
  castSlot: number;
  /** Target entity id, 0 for none. */
  castTarget: number;
  /** Target point, centimetres. */
  castX: number;
  castY: number;
  /** 1 while channelling (rituals). */
  channel: number;
  /** Gesture id, 0 for none. */
  gesture: number;
}

/** An input frame `[3, ack_tick, [input, ...]]`. */
export interface InputFrame {
  ackTick: number;
  inputs: Input[];
}

/** ping `[5, ping_id, client_time_us]`. */
export interface Ping {
  id: number;
  clientTimeUs: number;
}

/** welcome `[16, version, seat, tick_rate, server_tick, resume_token, entity_id, server_time_us]`. */
export interface Welcome {
  version: number;
  seat: number;
  tickRate: number;
  serverTick: number;
  resumeToken: string;
  entityId: number;
  serverTimeUs: number;
}

/** A decoded snapshot `[17, tick, base_age, input_ack, created, updated, removed]`. */
export interface SnapshotFrame {
  tick: number;
  /** Ticks back to the baseline; 0 means full. */
  baseAge: number;
  inputAck: number;
  /** Created entities, ascending id, with absolute values per mask bit. */
  created: EntityRun[];
  /** Updated entities, ascending id, with wrapping differences per mask bit. */
  updated: EntityRun[];
  /** Removed ids, ascending. */
  removed: number[];
}

/** One event `[event_kind, field...]`. */
export type GameEvent = number[];

/** events `[18, tick, [[event_kind, field...], ...]]`. */
export interface EventsFrame {
  tick: number;
  events: GameEvent[];
}

/** pong `[19, ping_id, client_time_us, server_tick, server_time_us]`. */
export interface Pong {
  id: number;
  clientTimeUs: number;
  serverTick: number;
  serverTimeUs: number;
}

/** error `[20, code, message, retry_after_ms?]`. */
export interface ErrorFrame {
  code: number;
  message: string;
  /** How long to wait before resuming, in ms (element 3, sent with rate_limited); 0 when the frame states none. */
  retryAfterMs: number;
}

/** A decoded server-to-client frame. */
export type ServerMessage =
  | { kind: 16; welcome: Welcome }
  | { kind: 17; snapshot: SnapshotFrame }
  | { kind: 18; events: EventsFrame }
  | { kind: 19; pong: Pong }
  | { kind: 20; error: ErrorFrame }
  | { kind: 21; code: number };

/** A decoded client-to-server frame (for tests and tools). */
export type ClientMessage =
  | { kind: 1 | 2; hello: Hello }
  | { kind: 3; input: InputFrame }
  | { kind: 4; tick: number }
  | { kind: 5; ping: Ping }
  | { kind: 6; code: number };

const encoder = new Encoder({ initialBufferSize: 512 });

// Caps for the decoder: no declared length may exceed what a frame could
// hold, so nothing big is allocated for a lying header.
const decoder = new Decoder({
  maxStrLength: Limits.serverFrame,
  maxBinLength: Limits.serverFrame,
  maxArrayLength: Limits.serverFrame,
  maxMapLength: 4096,
  maxExtLength: Limits.serverFrame,
});

function u32(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`pantheon: ${v} is not a uint32`);
  return v;
}
function i32(v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`pantheon: ${v} is not an int32`);
  return v;
}

/** encodeHello encodes a hello, or a resume when h.resumeToken is set. */
export function encodeHello(h: Hello): Uint8Array {
  if (h.resumeToken !== undefined) {
    return encoder.encode([MessageKind.Resume, u32(h.version), h.ticket, h.resumeToken, u32(h.lastAckTick ?? 0)]);
  }
  return encoder.encode([MessageKind.Hello, u32(h.version), h.ticket]);
}

/** inputRow is an input as the wire's 11 integers. */
export function inputRow(i: Input): number[] {
  return [u32(i.seq), u32(i.clientTick), i32(i.moveX), i32(i.moveY), i32(i.facing), i32(i.castSlot), u32(i.castTarget), i32(i.castX), i32(i.castY), i32(i.channel), i32(i.gesture)];
}

/** encodeInput encodes an input frame (at most 32 inputs). */
export function encodeInput(f: InputFrame): Uint8Array {
  if (f.inputs.length > Limits.inputsPerFrame) throw new RangeError(`pantheon: ${f.inputs.length} inputs in one frame, at most ${Limits.inputsPerFrame}`);
  return encoder.encode([MessageKind.Input, u32(f.ackTick), f.inputs.map(inputRow)]);
}

/** encodeAck encodes `[4, tick]`. */
export function encodeAck(tick: number): Uint8Array {
  return encoder.encode([MessageKind.Ack, u32(tick)]);
}

/** encodePing encodes `[5, ping_id, client_time_us]`. */
export function encodePing(p: Ping): Uint8Array {
  if (!Number.isSafeInteger(p.clientTimeUs)) throw new RangeError("pantheon: client_time_us must be a safe integer");
  return encoder.encode([MessageKind.Ping, u32(p.id), p.clientTimeUs]);
}

/** encodeBye encodes the client's `[6, code]`. */
export function encodeBye(code = 0): Uint8Array {
  return encoder.encode([MessageKind.ClientBye, code]);
}

// --- decoding ---

function decodeFrame(frame: Uint8Array, cap: number): unknown[] {
  if (frame.byteLength === 0) throw new ProtocolError("empty frame");
  if (frame.byteLength > cap) throw new ProtocolError(`frame of ${frame.byteLength} bytes over the cap of ${cap}`);
  let v: unknown;
  try {
    v = decoder.decode(frame); // rejects trailing bytes after the top-level value
  } catch (err) {
    throw new ProtocolError("malformed msgpack: " + (err as Error).message);
  }
  if (!Array.isArray(v) || v.length === 0) throw new ProtocolError("frame is not an array [kind, ...]");
  return v;
}

function need(a: unknown[], n: number, what: string): void {
  if (a.length < n) throw new ProtocolError(`${what}: ${a.length} elements, want at least ${n}`);
}

function int(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new ProtocolError(`${what}: ${String(v)} is not an integer in [${min}, ${max}]`);
  return v;
}
const uint32 = (v: unknown, what: string) => int(v, 0, 0xffffffff, what);
const int32 = (v: unknown, what: string) => int(v, -0x80000000, 0x7fffffff, what);
const uint16 = (v: unknown, what: string) => int(v, 0, 0xffff, what);
const int64 = (v: unknown, what: string) => int(v, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, what);

function str(v: unknown, max: number, what: string): string {
  if (typeof v !== "string") throw new ProtocolError(`${what}: not a string`);
  if (utf8Length(v) > max) throw new ProtocolError(`${what}: over ${max} bytes`);
  return v;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new ProtocolError(`${what}: not an array`);
  return v;
}

function decodeWelcomeArray(a: unknown[]): Welcome {
  need(a, 8, "welcome");
  return {
    version: uint32(a[1], "welcome version"),
    seat: uint32(a[2], "welcome seat"),
    tickRate: uint32(a[3], "welcome tick_rate"),
    serverTick: uint32(a[4], "welcome server_tick"),
    resumeToken: str(a[5], Limits.resumeToken, "welcome resume_token"),
    entityId: uint32(a[6], "welcome entity_id"),
    serverTimeUs: int64(a[7], "welcome server_time_us"),
  };
}

/** decodeIDGaps turns a flat array of id gaps into ascending ids. */
function decodeIDGaps(a: unknown[], what: string): number[] {
  const ids = new Array<number>(a.length);
  let prev = 0;
  for (let i = 0; i < a.length; i++) {
    const gap = uint32(a[i], what + " id gap");
    if (i > 0 && gap === 0) throw new ProtocolError(`${what}: id gap 0 after the first`);
    const id = prev + gap;
    if (id > 0xffffffff) throw new ProtocolError(`${what}: entity id overflows uint32`);
    ids[i] = prev = id;
  }
  return ids;
}

function popcount(m: number): number {
  m = m - ((m >>> 1) & 0x55555555);
  m = (m & 0x33333333) + ((m >>> 2) & 0x33333333);
  return (((m + (m >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function decodeCreated(a: unknown[]): EntityRun[] {
  const out: EntityRun[] = [];
  let prev = 0;
  let i = 0;
  while (i < a.length) {
    if (a.length - i < 2) throw new ProtocolError("created: truncated run");
    const gap = uint32(a[i], "created id gap");
    if (out.length > 0 && gap === 0) throw new ProtocolError("created: id gap 0 after the first");
    const id = prev + gap;
    if (id > 0xffffffff) throw new ProtocolError("created: entity id overflows uint32");
    const mask = uint32(a[i + 1], "created mask");
    const n = popcount(mask);
    i += 2;
    if (a.length - i < n) throw new ProtocolError("created: run does not fit the array");
    const values = new Array<number>(n);
    for (let j = 0; j < n; j++) values[j] = int32(a[i + j], "created value");
    i += n;
    out.push({ id, mask, values });
    prev = id;
    if (out.length > Limits.entitiesPerSnapshot) throw new ProtocolError("snapshot: too many entities");
  }
  return out;
}

function decodeSnapshotArray(a: unknown[]): SnapshotFrame {
  need(a, 7, "snapshot");
  const tick = uint32(a[1], "snapshot tick");
  const baseAge = uint32(a[2], "snapshot base_age");
  if (baseAge >= tick && tick !== 0) throw new ProtocolError("snapshot: base_age must be less than tick");
  if (tick === 0) throw new ProtocolError("snapshot: tick 0");
  const inputAck = uint32(a[3], "snapshot input_ack");
  const created = decodeCreated(arr(a[4], "snapshot created"));
  if (!(a[5] instanceof Uint8Array)) throw new ProtocolError("snapshot updated: not a bin");
  const removedRaw = arr(a[6], "snapshot removed");
  if (created.length + removedRaw.length > Limits.entitiesPerSnapshot) throw new ProtocolError("snapshot: too many entities");
  const removed = decodeIDGaps(removedRaw, "removed");
  let updated: EntityRun[];
  try {
    updated = decodeUpdateStream(a[5], Limits.entitiesPerSnapshot - created.length - removed.length);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError("snapshot updated: " + (err as Error).message);
  }
  if (baseAge === 0 && (updated.length > 0 || removed.length > 0)) throw new ProtocolError("full snapshot with updates or removes");
  return { tick, baseAge, inputAck, created, updated, removed };
}

function decodeEventsArray(a: unknown[]): EventsFrame {
  need(a, 3, "events");
  const tick = uint32(a[1], "events tick");
  const list = arr(a[2], "events list");
  if (list.length > Limits.eventsPerFrame) throw new ProtocolError(`events: ${list.length} events, at most ${Limits.eventsPerFrame}`);
  const events: GameEvent[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const e = arr(list[i], "event");
    if (e.length < 1 || e.length > 1 + Limits.fieldsPerEvent) throw new ProtocolError(`event of ${e.length} elements`);
    events[i] = e.map((v) => int32(v, "event field"));
  }
  return { tick, events };
}

/**
 * decodeServerMessage decodes one server-to-client frame. Extra trailing
 * elements (a newer minor version) are skipped; anything else that breaks
 * PROTOCOL.md throws a ProtocolError, unknown kinds included.
 */
export function decodeServerMessage(frame: Uint8Array): ServerMessage {
  const a = decodeFrame(frame, Limits.serverFrame);
  const kind = uint32(a[0], "kind");
  switch (kind) {
    case MessageKind.Welcome:
      return { kind, welcome: decodeWelcomeArray(a) };
    case MessageKind.Snapshot:
      return { kind, snapshot: decodeSnapshotArray(a) };
    case MessageKind.Events:
      return { kind, events: decodeEventsArray(a) };
    case MessageKind.Pong:
      need(a, 5, "pong");
      return { kind, pong: { id: uint32(a[1], "pong id"), clientTimeUs: int64(a[2], "pong client_time_us"), serverTick: uint32(a[3], "pong server_tick"), serverTimeUs: int64(a[4], "pong server_time_us") } };
    case MessageKind.Error:
      need(a, 3, "error");
      return {
        kind,
        error: {
          code: uint16(a[1], "error code"),
          message: str(a[2], Limits.errorMessage, "error message"),
          retryAfterMs: a.length > 3 ? uint32(a[3], "error retry_after_ms") : 0,
        },
      };
    case MessageKind.ServerBye:
      need(a, 2, "bye");
      return { kind, code: uint16(a[1], "bye code") };
  }
  throw new ProtocolError(`unknown server message kind ${kind}`);
}

/** decodeClientMessage decodes one client-to-server frame (for tests, proxies and tools). */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
  const a = decodeFrame(frame, Limits.clientFrame);
  const kind = uint32(a[0], "kind");
  switch (kind) {
    case MessageKind.Hello:
      need(a, 3, "hello");
      return { kind, hello: { version: uint32(a[1], "hello version"), ticket: str(a[2], Limits.ticket, "hello ticket") } };
    case MessageKind.Resume:
      need(a, 5, "resume");
      return {
        kind,
        hello: {
          version: uint32(a[1], "resume version"),
          ticket: str(a[2], Limits.ticket, "resume ticket"),
          resumeToken: str(a[3], Limits.resumeToken, "resume token"),
          lastAckTick: uint32(a[4], "resume last_ack_tick"),
        },
      };
    case MessageKind.Input: {
      need(a, 3, "input");
      const rows = arr(a[2], "inputs");
      if (rows.length > Limits.inputsPerFrame) throw new ProtocolError("input: too many inputs");
      const inputs = rows.map((r) => {
        const x = arr(r, "input");
        need(x, 11, "input row");
        return {
          seq: uint32(x[0], "seq"), clientTick: uint32(x[1], "client_tick"), moveX: int32(x[2], "move_x"), moveY: int32(x[3], "move_y"),
          facing: int32(x[4], "facing"), castSlot: int32(x[5], "cast_slot"), castTarget: uint32(x[6], "cast_target"),
          castX: int32(x[7], "cast_x"), castY: int32(x[8], "cast_y"), channel: int32(x[9], "channel"), gesture: int32(x[10], "gesture"),
        };
      });
      return { kind, input: { ackTick: uint32(a[1], "ack_tick"), inputs } };
    }
    case MessageKind.Ack:
      need(a, 2, "ack");
      return { kind, tick: uint32(a[1], "ack tick") };
    case MessageKind.Ping:
      need(a, 3, "ping");
      return { kind, ping: { id: uint32(a[1], "ping id"), clientTimeUs: int64(a[2], "ping client_time_us") } };
    case MessageKind.ClientBye:
      need(a, 2, "bye");
      return { kind, code: uint16(a[1], "bye code") };
  }
  throw new ProtocolError(`unknown client message kind ${kind}`);
}
