// A room session over WebSocket (netcode/PROTOCOL.md sections 5-9).

import { ErrorCode, EventKind, errorCodeNames, resumableCodes } from "./codes.js";
import { ClockSync, nowUs as defaultNowUs } from "./clock.js";
import { BaselineError, ProtocolError } from "./errors.js";
import {
  decodeServerMessage, encodeAck, encodeBye, encodeHello, encodeInput, encodePing,
  Limits, PROTOCOL_VERSION,
  type ErrorFrame, type EventsFrame, type Input, type Pong, type SnapshotFrame, type Welcome,
} from "./protocol.js";
import { applySnapshot, BaselineRing, World } from "./world.js";
import { resolveWebSocket, toBytes, WS_OPEN, type WebSocketConstructor, type WebSocketLike } from "./websocket.js";

/** Options of a RoomSession. */
export interface RoomSessionOptions {
  /** The room server's WebSocket URL (the lobby seat's `ws_url`). */
  url: string;
  /** The join ticket (the lobby seat's `ticket`). */
  ticket: string;
  /** WebSocket constructor (default the global WebSocket; in Node 20 pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  /** URLs to resume on, tried in turn (default [url]). */
  resumeUrls?: string[];
  /** Bound on each handshake (open, hello, welcome). Default 5000 ms. */
  helloTimeoutMs?: number;
  /** Resend the hello this often until the welcome (0: never, the default: WebSocket is reliable). */
  helloRetryMs?: number;
  /** Ping period; each ping also resends unacknowledged inputs. Default 1000 ms. */
  pingIntervalMs?: number;
  /** Drop the connection (and resume) after this long without a frame. Default 10000 ms (the server's idle timeout). */
  idleTimeoutMs?: number;
  /** Reconstructed worlds kept as baselines. Default 32. */
  baselines?: number;
  /** Unacknowledged inputs kept for resend (1-32); past it the oldest is dropped. Default 32. */
  maxUnacked?: number;
  /** Resume after a dropped connection. Default true. */
  autoResume?: boolean;
  /** Resume rounds (each tries every resume URL). Default 5. */
  resumeAttempts?: number;
  /**
   * Delay before a resume round after the first; doubles per round. Default 200 ms.
   * A server's retry_after_ms (rate_limited) is always waited in full first.
   */
  resumeBackoffMs?: number;
  /** Microsecond clock for pings and the ack policy (default: performance.timeOrigin + performance.now()). */
  nowUs?: () => number;
}

/** Session states. */
export type SessionState =
  /** Handshaking. */
  | "connecting"
  /** Welcomed; the room waits for players (no snapshot yet). */
  | "waiting"
  /** Snapshots flow. */
  | "playing"
  /** The connection dropped; resuming. */
  | "resuming"
  /** Over (see SessionEnd). */
  | "ended";

/** Why a session ended. */
export interface SessionEnd {
  /**
   * bye: the server's bye (code 0 after a match that ran to its end);
   * error: a non-resumable error frame (code and message);
   * left: the client called close();
   * resume_failed: the connection dropped and could not be resumed (error resume_failed, or no attempt got a welcome);
   * refused: the first handshake failed (error frame or no welcome).
   */
  reason: "bye" | "error" | "left" | "resume_failed" | "refused";
  /** The error or bye code (ErrorCode). */
  code: number;
  /** Its name ("none", "room_ended", ...). */
  codeName: string;
  /** The server's message, or a local description. */
  message: string;
  /** True when the match-end event arrived before the end (the result is durable). */
  matchEnded: boolean;
}

/** Counters of a session. */
export interface SessionStats {
  snapshots: number;
  fullSnapshots: number;
  /** Snapshots dropped as stale (tick not newer than the newest applied). */
  staleDropped: number;
  /** Snapshots dropped because their baseline was no longer held. */
  baselineMissing: number;
  inputsSent: number;
  /** Input frames written (each also acks the newest applied tick). */
  inputFrames: number;
  /** Ack frames written alone (only when no input frame carried the newest tick: PROTOCOL.md 6). */
  acksSent: number;
  /** Inputs dropped unsent because 32 were pending. */
  inputsDropped: number;
  resumes: number;
  bytesIn: number;
  bytesOut: number;
}

/** The fields of an input a caller sets; seq and clientTick are the session's. */
export type InputIntent = Partial<Omit<Input, "seq" | "clientTick">>;

type Listener<A extends unknown[]> = (...args: A) => void;

/** Events of a RoomSession and their listener arguments. */
export interface SessionEvents {
  /** Every welcome; resumed is true after a resume. */
  welcome: [welcome: Welcome, resumed: boolean];
  /** Every applied snapshot, in tick order, with the world it rebuilt. */
  snapshot: [world: World, frame: SnapshotFrame];
  /** Every events frame (they come before their tick's snapshot). */
  events: [frame: EventsFrame];
  /** Every pong, after the clock took it in. */
  pong: [pong: Pong];
  /** Every error frame from the server (resumable ones included). */
  serverError: [error: ErrorFrame];
  /** The connection dropped; a resume follows. */
  resuming: [cause: string];
  /** State changes. */
  state: [state: SessionState];
  /** The session is over. */
  end: [end: SessionEnd];
}

/**
 * RoomSession plays one seat in a room over WebSocket: the hello with the
 * lobby's ticket, snapshots applied against acknowledged baselines (and
 * acked: in every input frame, alone only when no input frame carried the
 * newest tick for 1.5 ticks, PROTOCOL.md 6), inputs numbered and resent
 * until the server consumed them, pings
 * for the clock, and a resume with the resume token after a dropped
 * connection. Create one with RoomSession.connect.
 */
export class RoomSession {
  /** The options in force. */
  readonly opts: Required<Omit<RoomSessionOptions, "WebSocket">>;
  /** The clock estimate (rtt, offset, server tick). */
  readonly clock = new ClockSync();
  /** Counters. */
  readonly stats: SessionStats = { snapshots: 0, fullSnapshots: 0, staleDropped: 0, baselineMissing: 0, inputsSent: 0, inputFrames: 0, acksSent: 0, inputsDropped: 0, resumes: 0, bytesIn: 0, bytesOut: 0 };
  /** Resolves once the session is over. */
  readonly ended: Promise<SessionEnd>;

  private readonly Ctor: WebSocketConstructor;
  private readonly ring: BaselineRing;
  private readonly listeners: { [K in keyof SessionEvents]?: Set<Listener<SessionEvents[K]>> } = {};
  private ws: WebSocketLike | null = null;
  private st: SessionState = "connecting";
  private wel: Welcome | null = null;
  private pending: Input[] = [];
  private nextSeq = 1;
  private inputAck = 0;
  private pingId = 0;
  private pingSent = new Map<number, number>();
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastRecv = 0; // ms
  // The ack policy (PROTOCOL.md 6): the newest tick a frame on this
  // connection carried (an input frame's ack_tick, an ack, a resume's
  // last_ack_tick), when (µs, nowUs), and since when the oldest applied
  // tick newer than that has waited (-1: none waits).
  private carried = 0;
  private carriedAtUs = -Infinity;
  private waitingSinceUs = -1;
  private matchEnded = false;
  private endInfo: SessionEnd | null = null;
  private resolveEnded!: (e: SessionEnd) => void;

  private constructor(opts: RoomSessionOptions) {
    if (!opts.ticket || opts.ticket.length > Limits.ticket) throw new RangeError("pantheon: ticket of 1 to 2048 bytes required");
    this.Ctor = resolveWebSocket(opts.WebSocket);
    this.opts = {
      url: opts.url,
      ticket: opts.ticket,
      resumeUrls: opts.resumeUrls ?? [opts.url],
      helloTimeoutMs: opts.helloTimeoutMs ?? 5000,
      helloRetryMs: opts.helloRetryMs ?? 0,
      pingIntervalMs: opts.pingIntervalMs ?? 1000,
      idleTimeoutMs: opts.idleTimeoutMs ?? 10_000,
      baselines: opts.baselines ?? 32,
      maxUnacked: Math.min(Math.max(opts.maxUnacked ?? Limits.inputsPerFrame, 1), Limits.inputsPerFrame),
      autoResume: opts.autoResume ?? true,
      resumeAttempts: opts.resumeAttempts ?? 5,
      resumeBackoffMs: opts.resumeBackoffMs ?? 200,
      nowUs: opts.nowUs ?? defaultNowUs,
    };
    this.ring = new BaselineRing(Math.max(2, this.opts.baselines));
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  /**
   * connect opens a session: it resolves once the welcome arrived, or rejects
   * with the server's refusal (SessionEnd reason "refused").
   */
  static async connect(opts: RoomSessionOptions): Promise<RoomSession> {
    const s = new RoomSession(opts);
    try {
      await s.handshake(s.opts.url, false);
    } catch (err) {
      const end = s.finish(refusal(err));
      throw new SessionError(end);
    }
    return s;
  }

  /** The session's state. */
  get state(): SessionState {
    return this.st;
  }

  /** The latest welcome. */
  get welcome(): Welcome {
    return this.wel!;
  }

  /** The client's seat. */
  get seat(): number {
    return this.wel?.seat ?? 0;
  }

  /** The player's own entity id (0 when it has none). */
  get entityId(): number {
    return this.wel?.entityId ?? 0;
  }

  /** The room's simulation ticks per second. */
  get tickRate(): number {
    return this.wel?.tickRate ?? 0;
  }

  /** The newest applied world (World.empty before the first snapshot). */
  get world(): World {
    return this.ring.latest;
  }

  /** The highest input sequence number the server consumed. */
  get lastInputAck(): number {
    return this.inputAck;
  }

  /** Inputs sent and not yet consumed by the server. */
  get unacked(): readonly Input[] {
    return this.pending;
  }

  /** How the session ended, or null while it runs. */
  get end(): SessionEnd | null {
    return this.endInfo;
  }

  /** True once the match-end event arrived. */
  get matchOver(): boolean {
    return this.matchEnded;
  }

  /** estimatedServerTick is the server's current tick as the clock estimates it (fractional; 0 before a pong). */
  estimatedServerTick(): number {
    const t = this.clock.serverTick(this.opts.nowUs(), this.tickRate);
    return t === 0 ? this.ring.latest.tick : t;
  }

  /** on adds a listener; it returns a function that removes it. */
  on<K extends keyof SessionEvents>(event: K, fn: Listener<SessionEvents[K]>): () => void {
    let set = this.listeners[event] as Set<Listener<SessionEvents[K]>> | undefined;
    if (!set) (this.listeners as any)[event] = set = new Set();
    set.add(fn);
    return () => set!.delete(fn);
  }

  private emit<K extends keyof SessionEvents>(event: K, ...args: SessionEvents[K]): void {
    const set = this.listeners[event] as Set<Listener<SessionEvents[K]>> | undefined;
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        // A listener's bug must not break the session.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  private setState(s: SessionState): void {
    if (this.st === s) return;
    this.st = s;
    this.emit("state", s);
  }

  /**
   * sendInput queues one input (numbered with the next sequence number, its
   * client_tick the newest applied tick) and sends every unacknowledged input,
   * oldest first. It returns the input's sequence number (0 when the session
   * is over). Scale moveX/moveY to a vector of length at most 1000.
   */
  sendInput(intent: InputIntent): number {
    if (this.st === "ended") return 0;
    const input: Input = {
      seq: this.nextSeq++,
      clientTick: this.ring.latest.tick,
      moveX: intent.moveX ?? 0,
      moveY: intent.moveY ?? 0,
      facing: intent.facing ?? 0,
      castSlot: intent.castSlot ?? -1,
      castTarget: intent.castTarget ?? 0,
      castX: intent.castX ?? 0,
      castY: intent.castY ?? 0,
      channel: intent.channel ?? 0,
      gesture: intent.gesture ?? 0,
    };
    this.pending.push(input);
    while (this.pending.length > this.opts.maxUnacked) {
      this.pending.shift();
      this.stats.inputsDropped++;
    }
    this.stats.inputsSent++;
    this.writeInputs();
    return input.seq;
  }

  /** close leaves: bye [6, 0], then the socket closes. The session ends with reason "left". */
  close(): void {
    if (this.st === "ended") return;
    const ws = this.ws;
    if (ws && ws.readyState === WS_OPEN) this.write(encodeBye(0));
    this.finish({ reason: "left", code: 0, codeName: "none", message: "client left", matchEnded: this.matchEnded });
  }

  /**
   * drop cuts the connection without a bye, as a network failure would; with
   * autoResume the session resumes. For tests and "reconnect" buttons.
   */
  drop(): void {
    const ws = this.ws;
    if (!ws) return;
    this.lost(ws, "dropped by the client");
  }

  // --- connection handling ---

  /**
   * handshake opens url, sends hello or resume and waits for the welcome,
   * then installs the connection at once (frames right behind the welcome
   * may arrive in the same read, before a promise continuation could run).
   */
  private handshake(url: string, resume: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new this.Ctor(url);
      } catch (err) {
        reject(err);
        return;
      }
      ws.binaryType = "arraybuffer";
      const hello = resume
        ? encodeHello({ version: PROTOCOL_VERSION, ticket: this.opts.ticket, resumeToken: this.wel!.resumeToken, lastAckTick: this.ring.latest.tick })
        : encodeHello({ version: PROTOCOL_VERSION, ticket: this.opts.ticket });
      let retry: ReturnType<typeof setInterval> | null = null;
      const done = (err: unknown, welcome?: Welcome) => {
        clearTimeout(deadline);
        if (retry) clearInterval(retry);
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        if (!err && this.st === "ended") err = new HandshakeError("session closed during the handshake");
        if (err) {
          try {
            ws.close();
          } catch {
            /* ignore */
          }
          reject(err);
          return;
        }
        this.install(ws, welcome!, resume);
        resolve();
      };
      const deadline = setTimeout(() => done(new HandshakeError("no welcome within " + this.opts.helloTimeoutMs + " ms")), this.opts.helloTimeoutMs);
      ws.onopen = () => {
        this.rawWrite(ws, hello);
        if (this.opts.helloRetryMs > 0) retry = setInterval(() => this.rawWrite(ws, hello), this.opts.helloRetryMs);
      };
      ws.onerror = () => {
        /* onclose follows */
      };
      ws.onclose = (ev) => done(new HandshakeError(`connection closed before the welcome (${ev.code}${ev.reason ? " " + ev.reason : ""})`));
      ws.onmessage = (ev) => {
        const b = toBytes(ev.data);
        if (!b) return done(new HandshakeError("text message from the server"));
        this.stats.bytesIn += b.byteLength;
        let m;
        try {
          m = decodeServerMessage(b);
        } catch (err) {
          return done(err);
        }
        if (m.kind === 16) {
          if (m.welcome.version !== PROTOCOL_VERSION) return done(new HandshakeError(`server speaks protocol ${m.welcome.version}, want ${PROTOCOL_VERSION}`));
          return done(null, m.welcome);
        }
        if (m.kind === 20) return done(new ServerRefusal(m.error));
        // Anything else before the welcome is ignored (PROTOCOL.md 5.1).
      };
    });
  }

  /** install makes ws the session's connection after its welcome. */
  private install(ws: WebSocketLike, welcome: Welcome, resumed: boolean): void {
    this.ws = ws;
    this.wel = welcome;
    this.lastRecv = Date.now();
    ws.onmessage = (ev) => this.onFrame(ws, ev.data);
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (ev) => {
      if (this.ws === ws) this.lost(ws, `connection closed (${ev.code}${ev.reason ? " " + ev.reason : ""})`);
    };
    this.setState(this.ring.latest.tick > 0 ? "playing" : "waiting");
    if (resumed) {
      this.stats.resumes++;
      // The resume's last_ack_tick told the server the newest applied tick.
      this.carried = this.ring.latest.tick;
      this.waitingSinceUs = -1;
      if (this.pending.length > 0) this.writeInputs();
    }
    this.startPings();
    this.emit("welcome", welcome, resumed);
  }

  private startPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.ping();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastRecv > this.opts.idleTimeoutMs && this.ws) {
        this.lost(this.ws, "idle timeout");
        return;
      }
      this.ping();
      // Resent inputs carry the ack; without any, ack the newest tick if
      // it is overdue (the snapshots stopped before a frame carried it).
      if (this.pending.length > 0) this.writeInputs();
      else if (this.ackDue(false)) this.sendAck();
    }, this.opts.pingIntervalMs);
  }

  private stopPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  /**
   * ackDue says whether an ack of the newest applied tick must go out alone
   * now (PROTOCOL.md 6): every input frame carries the newest tick, so only
   * when none has carried it for 1.5 ticks, or, after a full snapshot (full:
   * the server has no baseline of this client and repeats full snapshots
   * until it hears an ack), when no frame carried an ack for a tick. Both
   * wait at least a tick since the last frame that carried an ack, so a
   * backlog applied in a burst (after a stall, a busy event loop, a
   * background tab) gets one ack, not a flood the server closes
   * (rate_limited).
   */
  private ackDue(full: boolean): boolean {
    if (this.ring.latest.tick <= this.carried || this.waitingSinceUs < 0) return false;
    const periodUs = this.tickRate > 0 ? 1e6 / this.tickRate : 0;
    const now = this.opts.nowUs();
    if (full && now - this.carriedAtUs >= periodUs) return true;
    return now - this.waitingSinceUs >= 1.5 * periodUs;
  }

  /** carry records a frame carrying the newest applied tick going out. */
  private carry(): void {
    this.carried = this.ring.latest.tick;
    this.carriedAtUs = this.opts.nowUs();
    this.waitingSinceUs = -1;
  }

  private sendAck(): void {
    if (!this.ws || this.st === "resuming" || this.st === "ended") return;
    this.carry();
    this.stats.acksSent++;
    this.write(encodeAck(this.ring.latest.tick));
  }

  private ping(): void {
    const id = (this.pingId = (this.pingId + 1) >>> 0);
    const t0 = this.opts.nowUs();
    this.pingSent.set(id, t0);
    if (this.pingSent.size > 16) this.pingSent.delete(this.pingSent.keys().next().value!);
    this.write(encodePing({ id, clientTimeUs: t0 }));
  }

  private writeInputs(): void {
    if (this.pending.length === 0 || !this.ws || this.st === "resuming") return;
    this.carry();
    this.stats.inputFrames++;
    this.write(encodeInput({ ackTick: this.ring.latest.tick, inputs: this.pending }));
  }

  private write(frame: Uint8Array): void {
    if (this.ws) this.rawWrite(this.ws, frame);
  }

  private rawWrite(ws: WebSocketLike, frame: Uint8Array): void {
    if (ws.readyState !== WS_OPEN) return;
    this.stats.bytesOut += frame.byteLength;
    try {
      ws.send(frame);
    } catch {
      /* the close handler deals with a dead socket */
    }
  }

  private onFrame(ws: WebSocketLike, data: unknown): void {
    if (this.ws !== ws) return;
    this.lastRecv = Date.now();
    const b = toBytes(data);
    if (!b) return this.lost(ws, "text message from the server");
    this.stats.bytesIn += b.byteLength;
    let m;
    try {
      m = decodeServerMessage(b);
    } catch (err) {
      return this.lost(ws, (err as Error).message);
    }
    switch (m.kind) {
      case 16: // a duplicate welcome (resent hello): keep the newest token
        this.wel = m.welcome;
        return;
      case 17:
        return this.onSnapshot(ws, m.snapshot);
      case 18:
        for (const e of m.events.events) if (e[0] === EventKind.MatchEnd) this.matchEnded = true;
        this.emit("events", m.events);
        return;
      case 19: {
        const t0 = this.pingSent.get(m.pong.id);
        if (t0 === undefined || t0 !== m.pong.clientTimeUs) return;
        this.pingSent.delete(m.pong.id);
        this.clock.observe(t0, this.opts.nowUs(), m.pong.serverTick, m.pong.serverTimeUs);
        this.emit("pong", m.pong);
        return;
      }
      case 20:
        this.emit("serverError", m.error);
        if (resumableCodes.has(m.error.code)) return this.lost(ws, "server error " + codeName(m.error.code) + ": " + m.error.message, m.error.retryAfterMs);
        this.finish({ reason: "error", code: m.error.code, codeName: codeName(m.error.code), message: m.error.message, matchEnded: this.matchEnded });
        return;
      case 21:
        this.finish({ reason: "bye", code: m.code, codeName: codeName(m.code), message: "server bye", matchEnded: this.matchEnded });
        return;
    }
  }

  private onSnapshot(ws: WebSocketLike, s: SnapshotFrame): void {
    const latest = this.ring.latest;
    if (s.tick <= latest.tick) {
      this.stats.staleDropped++;
      return;
    }
    const base = s.baseAge === 0 ? World.empty : this.ring.get(s.tick - s.baseAge);
    if (!base) {
      this.stats.baselineMissing++;
      return;
    }
    let w: World;
    try {
      w = applySnapshot(base, s);
    } catch (err) {
      if (err instanceof BaselineError) return this.lost(ws, err.message);
      throw err;
    }
    this.ring.push(w);
    this.stats.snapshots++;
    if (s.baseAge === 0) this.stats.fullSnapshots++;
    if (this.waitingSinceUs < 0) this.waitingSinceUs = this.opts.nowUs();
    if (s.inputAck > this.inputAck) this.inputAck = s.inputAck;
    if (this.pending.length > 0 && this.pending[0].seq <= this.inputAck) this.pending = this.pending.filter((i) => i.seq > this.inputAck);
    this.setState("playing");
    this.emit("snapshot", w, s);
    // After the listeners: an input one of them sent carries the ack instead.
    if (this.ws === ws && this.ackDue(s.baseAge === 0)) this.sendAck();
  }

  /**
   * lost handles a dead or unusable connection: resume (after retryAfterMs,
   * the back-off a rate_limited close states), or end.
   */
  private lost(ws: WebSocketLike, cause: string, retryAfterMs = 0): void {
    if (this.ws !== ws || this.st === "ended") return;
    this.ws = null;
    this.stopPings();
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    try {
      ws.close();
    } catch {
      /* ignore */
    }
    if (!this.opts.autoResume || !this.wel?.resumeToken) {
      this.finish({ reason: "resume_failed", code: ErrorCode.None, codeName: "none", message: cause, matchEnded: this.matchEnded });
      return;
    }
    this.setState("resuming");
    this.emit("resuming", cause);
    void this.resume(cause, retryAfterMs);
  }

  /**
   * resume tries resumeAttempts rounds over every resume URL. The first round
   * waits waitMs (the server's retry_after_ms, 0 for none); each later one
   * waits the doubling resumeBackoffMs, or longer when the server refused the
   * last try with a retry_after_ms (PROTOCOL.md 5.2).
   */
  private async resume(cause: string, waitMs: number): Promise<void> {
    let last = cause;
    for (let round = 0; round < this.opts.resumeAttempts; round++) {
      const backoff = round > 0 ? this.opts.resumeBackoffMs * 2 ** (round - 1) : 0;
      const wait = Math.max(backoff, waitMs);
      waitMs = 0;
      if (wait > 0) await sleep(wait);
      for (const url of this.opts.resumeUrls) {
        if (this.isEnded()) return;
        try {
          await this.handshake(url, true);
          return;
        } catch (err) {
          if (err instanceof ServerRefusal) {
            const c = err.error.code;
            // Only a resumable refusal (rate_limited, slow_consumer) is worth another try.
            if (!resumableCodes.has(c)) {
              this.finish({ reason: c === ErrorCode.ResumeFailed ? "resume_failed" : "error", code: c, codeName: codeName(c), message: err.error.message, matchEnded: this.matchEnded });
              return;
            }
            // Still in the server's back-off: wait what it states before the next round.
            if (err.error.retryAfterMs > 0) {
              waitMs = Math.max(waitMs, err.error.retryAfterMs);
              last = (err as Error).message;
              break;
            }
          }
          last = (err as Error).message;
        }
      }
    }
    this.finish({ reason: "resume_failed", code: ErrorCode.None, codeName: "none", message: "no resume succeeded: " + last, matchEnded: this.matchEnded });
  }

  private isEnded(): boolean {
    return this.st === "ended";
  }

  private finish(e: SessionEnd): SessionEnd {
    if (this.endInfo) return this.endInfo;
    this.endInfo = e;
    this.stopPings();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
      try {
        ws.close(1000);
      } catch {
        /* ignore */
      }
    }
    this.setState("ended");
    this.emit("end", e);
    this.resolveEnded(e);
    return e;
  }
}

/** SessionError is a session that could not start (RoomSession.connect's rejection). */
export class SessionError extends Error {
  constructor(readonly end: SessionEnd) {
    super(`pantheon room: ${end.reason} ${end.codeName}: ${end.message}`);
    this.name = "SessionError";
  }
}

/** ServerRefusal is an error frame in answer to a hello or resume. */
class ServerRefusal extends Error {
  constructor(readonly error: ErrorFrame) {
    super(`refused: ${codeName(error.code)}: ${error.message}`);
  }
}

class HandshakeError extends Error {}

function refusal(err: unknown): SessionEnd {
  if (err instanceof ServerRefusal) {
    return { reason: "refused", code: err.error.code, codeName: codeName(err.error.code), message: err.error.message, matchEnded: false };
  }
  const msg = err instanceof ProtocolError || err instanceof Error ? err.message : String(err);
  return { reason: "refused", code: ErrorCode.None, codeName: "none", message: msg, matchEnded: false };
}

/** codeName names an error code; unknown codes read as "internal" (PROTOCOL.md section 10). */
export function codeName(code: number): string {
  return errorCodeNames[code] || "internal";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
