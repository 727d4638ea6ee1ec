// The lobby's HTTP API (lobby/openapi.json) and its push channel.

import { resolveWebSocket, WS_OPEN, type WebSocketConstructor, type WebSocketLike } from "./websocket.js";

/** The lobby's error codes (the `code` of an error body). */
export type LobbyErrorCode =
  | "bad_request" | "body_too_large" | "not_found" | "method_not_allowed" | "unauthorized"
  | "token_expired" | "token_too_large" | "session_revoked" | "refresh_reused" | "bad_credential"
  | "unknown_provider" | "identity_taken" | "rate_limited" | "queue_full" | "already_queued"
  | "unknown_mode" | "invalid_ticket" | "ticket_not_found" | "ticket_not_cancellable"
  | "oracle_not_found" | "invalid_oracle" | "roster_full" | "bad_heartbeat" | "unavailable"
  | "internal" | "origin_not_allowed";

/** LobbyError is a refused lobby request: its HTTP status, the lobby's code and message. */
export class LobbyError extends Error {
  /** HTTP status (0 when the request never got an answer). */
  readonly status: number;
  /** The lobby's error code, or "network" when the request failed before an answer. */
  readonly code: LobbyErrorCode | "network" | string;
  /** Seconds to wait before retrying (429 and 503 carry Retry-After), else 0. */
  readonly retryAfter: number;
  constructor(status: number, code: string, message: string, retryAfter = 0) {
    super(`lobby: ${status} ${code}: ${message}`);
    this.name = "LobbyError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Tokens from guest login, login and refresh. */
export interface Tokens {
  player_id: string;
  created?: boolean;
  session_id: string;
  token_type: "Bearer";
  access_token: string;
  access_expires_at: string;
  refresh_token: string;
}

/** The queues (TicketRequest.mode). */
export type ModeId = "battle_1v1" | "battle_3v3" | "battle_5v5" | "raid" | "ritual";

/** An oracle of the caller's roster. */
export interface Oracle {
  id?: string;
  name?: string;
  archetype: string;
  role: "host" | "friend" | "descendant";
  loadout?: string[];
  pet?: string;
  form?: string;
  totem?: string;
  updated_at?: string;
}

/** Ticket states. */
export type TicketState = "queued" | "matched" | "assigned" | "cancelled" | "expired" | "failed" | "ended" | "lost";

/** Match outcomes as the lobby names them (tickets and push events). */
export type LobbyOutcome = "team_win" | "draw" | "raid_win" | "wipe" | "timeout" | "success" | "failure" | "aborted";

/** Ticket and push-event reasons. */
export type TicketReason =
  | "no_room_server" | "waiting_for_server" | "assignment_timeout" | "match_over"
  | "room_server_restarted" | "state_store_lost_ticket";

/** Where to play: the caller's seat in an allocated room. */
export interface Seat {
  player_id: string;
  match_id: string;
  room_id: string;
  server_id: string;
  kcp_addr?: string;
  /** The room server's WebSocket URL (RoomSession's `url`). */
  ws_url: string;
  kcp_key?: string;
  seat: number;
  team: number;
  /** The join ticket for the room's hello (RoomSession's `ticket`). */
  ticket: string;
  expires_at?: string;
}

/** A matchmaking ticket. */
export interface Ticket {
  id: string;
  mode: string;
  state: TicketState;
  players: string[];
  enqueued_at: string;
  match_id?: string;
  /** State ended: how the match ended. */
  outcome?: LobbyOutcome;
  /** Once assigned: the caller's seat. */
  seat?: Seat;
  reason?: TicketReason;
}

/** A push-channel event (JSON text frame of GET /v1/events). */
export interface LobbyEvent {
  type: "match_found" | "queue_status" | "match_ended" | "ticket_lost" | string;
  ticket_id?: string;
  mode?: string;
  state?: TicketState | string;
  waited_ms?: number;
  window?: number;
  reason?: TicketReason | string;
  /** match_found: the caller's seat. */
  match?: Seat;
  match_id?: string;
  outcome?: LobbyOutcome;
  at?: string;
}

/** One wire code of GET /v1/content's `codes`. */
export interface WireCode {
  code: number;
  name: string;
  resumable?: boolean;
}

/** GET /v1/content: everything a client needs to render and choose; lists are indexed as on the wire. */
export interface ClientContent {
  version: string;
  protocol: number;
  codes: Record<string, WireCode[]>;
  modes?: any[];
  archetypes?: any[];
  abilities?: any[];
  arenas?: any[];
  [list: string]: unknown;
}

/** GET /v1/me. */
export interface Me {
  player_id: string;
  display_name?: string;
  created_at?: string;
  identities?: { provider: string; subject?: string; [k: string]: unknown }[];
}

/** Options of a LobbyClient. */
export interface LobbyClientOptions {
  /** The lobby's base URL, e.g. "http://127.0.0.1:8080". Default: "" (same origin, for pages the lobby serves). */
  baseUrl?: string;
  /** fetch to use (default the global fetch). */
  fetch?: typeof fetch;
  /** WebSocket constructor for the push channel (default the global WebSocket; in Node 20 pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  /** Tokens of an earlier session to continue with. */
  tokens?: Tokens;
  /** Called whenever the tokens change (login, refresh), e.g. to store the refresh token. */
  onTokens?: (t: Tokens | null) => void;
}

/**
 * LobbyClient talks to the lobby's HTTP API. Authenticated calls carry the
 * access token and, when it has expired (401 token_expired), refresh it once
 * with the refresh token and retry.
 */
export class LobbyClient {
  /** The lobby's base URL without a trailing slash. */
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly wsCtor?: WebSocketConstructor;
  private readonly onTokens?: (t: Tokens | null) => void;
  private tok: Tokens | null;
  private refreshing: Promise<Tokens> | null = null;
  private contentCache: ClientContent | null = null;
  private contentETag = "";

  constructor(opts: LobbyClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? "").replace(/\/+$/, "");
    const f = opts.fetch ?? (globalThis as any).fetch;
    if (typeof f !== "function") throw new Error("pantheon: no global fetch; pass one in the options");
    this.fetchFn = f.bind(globalThis);
    this.wsCtor = opts.WebSocket;
    this.onTokens = opts.onTokens;
    this.tok = opts.tokens ?? null;
  }

  /** The current tokens, or null before a login. */
  get tokens(): Tokens | null {
    return this.tok;
  }

  /** The logged-in player's id, or "" before a login. */
  get playerId(): string {
    return this.tok?.player_id ?? "";
  }

  private setTokens(t: Tokens | null): void {
    this.tok = t;
    this.onTokens?.(t);
  }

  /** request sends one request and parses the JSON answer (undefined for 204/304). */
  private async request<T>(method: string, path: string, body?: unknown, opts: { auth?: boolean; headers?: Record<string, string>; retried?: boolean } = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const headers: Record<string, string> = { accept: "application/json", ...(opts.headers ?? {}) };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (opts.auth) {
      if (!this.tok) throw new LobbyError(401, "unauthorized", "not logged in");
      headers["authorization"] = "Bearer " + this.tok.access_token;
    }
    let resp: Response;
    try {
      resp = await this.fetchFn(this.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new LobbyError(0, "network", `${method} ${path}: ${(err as Error).message}`);
    }
    if (resp.status === 204 || resp.status === 304) return { status: resp.status, body: undefined as T, headers: resp.headers };
    const text = await resp.text();
    let parsed: any;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (resp.ok) return { status: resp.status, body: parsed as T, headers: resp.headers };
    const code = typeof parsed?.code === "string" ? parsed.code : "http_" + resp.status;
    const message = typeof parsed?.message === "string" ? parsed.message : text.slice(0, 200);
    if (opts.auth && !opts.retried && resp.status === 401 && code === "token_expired" && this.tok) {
      await this.refresh();
      return this.request<T>(method, path, body, { ...opts, retried: true });
    }
    const ra = Number(resp.headers.get("retry-after") ?? 0);
    throw new LobbyError(resp.status, code, message, Number.isFinite(ra) ? ra : 0);
  }

  /** guestLogin logs in with a device id (16-128 of [A-Za-z0-9._:-]), creating the player on first use. */
  async guestLogin(deviceId: string, displayName?: string): Promise<Tokens> {
    const body: Record<string, string> = { device_id: deviceId };
    if (displayName !== undefined) body.display_name = displayName;
    const r = await this.request<Tokens>("POST", "/v1/auth/guest", body);
    this.setTokens(r.body);
    return r.body;
  }

  /** login logs in with a platform credential (POST /v1/auth/login; body as the lobby's ProviderRequest). */
  async login(credential: Record<string, unknown>): Promise<Tokens> {
    const r = await this.request<Tokens>("POST", "/v1/auth/login", credential);
    this.setTokens(r.body);
    return r.body;
  }

  /**
   * refresh rotates the refresh token for new tokens. Concurrent callers share
   * one request (the lobby revokes a session whose refresh token is reused).
   */
  refresh(): Promise<Tokens> {
    if (this.refreshing) return this.refreshing;
    if (!this.tok) return Promise.reject(new LobbyError(401, "unauthorized", "not logged in"));
    const rt = this.tok.refresh_token;
    this.refreshing = (async () => {
      try {
        const r = await this.request<Tokens>("POST", "/v1/auth/refresh", { refresh_token: rt });
        this.setTokens(r.body);
        return r.body;
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** logout ends this session (or, with everywhere, every session of the player). */
  async logout(everywhere = false): Promise<void> {
    await this.request("POST", "/v1/auth/logout", everywhere ? { everywhere: true } : undefined, { auth: true });
    this.setTokens(null);
  }

  /** me returns the caller's profile. */
  async me(): Promise<Me> {
    return (await this.request<Me>("GET", "/v1/me", undefined, { auth: true })).body;
  }

  /** modes returns the queues and their composition rules (GET /v1/modes). */
  async modes(): Promise<{ modes: any[]; policy?: unknown }> {
    return (await this.request<{ modes: any[]; policy?: unknown }>("GET", "/v1/modes")).body;
  }

  /**
   * content returns the game content (GET /v1/content), cached by its version
   * (the ETag): later calls revalidate with If-None-Match and reuse the cached
   * copy on 304.
   */
  async content(): Promise<ClientContent> {
    const headers: Record<string, string> = {};
    if (this.contentCache) headers["if-none-match"] = this.contentETag;
    const r = await this.request<ClientContent>("GET", "/v1/content", undefined, { headers });
    if (r.status === 304 && this.contentCache) return this.contentCache;
    this.contentCache = r.body;
    this.contentETag = r.headers.get("etag") ?? JSON.stringify(r.body.version);
    return r.body;
  }

  /** oracles lists the caller's roster. */
  async oracles(): Promise<Oracle[]> {
    return (await this.request<{ oracles?: Oracle[] }>("GET", "/v1/me/oracles", undefined, { auth: true })).body.oracles ?? [];
  }

  /** putOracle creates or replaces an oracle (validated against the content); it returns the stored oracle. */
  async putOracle(id: string, oracle: Oracle): Promise<Oracle> {
    const { id: _drop, updated_at: _u, ...body } = oracle;
    return (await this.request<Oracle>("PUT", "/v1/me/oracles/" + encodeURIComponent(id), body, { auth: true })).body;
  }

  /** deleteOracle removes an oracle. */
  async deleteOracle(id: string): Promise<void> {
    await this.request("DELETE", "/v1/me/oracles/" + encodeURIComponent(id), undefined, { auth: true });
  }

  /** queue creates a matchmaking ticket for mode with one of the caller's oracles (party: consent tokens). */
  async queue(mode: ModeId | string, oracleId: string, party?: string[]): Promise<Ticket> {
    const body: Record<string, unknown> = { mode, oracle_id: oracleId };
    if (party && party.length > 0) body.party = party;
    return (await this.request<Ticket>("POST", "/v1/tickets", body, { auth: true })).body;
  }

  /** ticket returns a ticket's state: once assigned the caller's seat, once ended the outcome. */
  async ticket(id: string): Promise<Ticket> {
    return (await this.request<Ticket>("GET", "/v1/tickets/" + encodeURIComponent(id), undefined, { auth: true })).body;
  }

  /** cancelTicket leaves the queue (409 ticket_not_cancellable once matched). */
  async cancelTicket(id: string): Promise<void> {
    await this.request("DELETE", "/v1/tickets/" + encodeURIComponent(id), undefined, { auth: true });
  }

  /** consent agrees to queue in leaderId's party; the returned consent goes in the leader's ticket. */
  async consent(leaderId: string, mode: ModeId | string, oracleId: string): Promise<{ consent: string; expires_at: string }> {
    return (await this.request<{ consent: string; expires_at: string }>("POST", "/v1/parties/consent", { leader_id: leaderId, mode, oracle_id: oracleId }, { auth: true })).body;
  }

  /**
   * waitForSeat resolves with the caller's seat once ticket id is assigned,
   * polling GET /v1/tickets/{id} every pollMs (the push channel's match_found
   * is faster; see PushChannel). It rejects when the ticket ends in another
   * state, or after timeoutMs.
   */
  async waitForSeat(id: string, opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Seat> {
    const poll = opts.pollMs ?? 500;
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    for (;;) {
      const t = await this.ticket(id);
      if (t.state === "assigned" && t.seat) return t.seat;
      if (t.state !== "queued" && t.state !== "matched") throw new LobbyError(0, "ticket_" + t.state, `ticket ${id} is ${t.state}${t.reason ? " (" + t.reason + ")" : ""}`);
      if (Date.now() + poll > deadline) throw new LobbyError(0, "timeout", `ticket ${id} still ${t.state}`);
      if (opts.signal?.aborted) throw new LobbyError(0, "aborted", "aborted");
      await sleep(poll);
    }
  }

  /**
   * waitForResult resolves with the ended ticket once its match's result is
   * durable (state ended, with the outcome), polling every pollMs.
   */
  async waitForResult(id: string, opts: { pollMs?: number; timeoutMs?: number } = {}): Promise<Ticket> {
    const poll = opts.pollMs ?? 500;
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const t = await this.ticket(id);
      if (t.state === "ended" || t.state === "failed" || t.state === "lost" || t.state === "cancelled" || t.state === "expired") return t;
      if (Date.now() + poll > deadline) throw new LobbyError(0, "timeout", `ticket ${id} still ${t.state}`);
      await sleep(poll);
    }
  }

  /** pushUrl is the push channel's WebSocket URL with the current access token. */
  pushUrl(): string {
    if (!this.tok) throw new LobbyError(401, "unauthorized", "not logged in");
    let base = this.baseUrl;
    if (base === "" && typeof (globalThis as any).location !== "undefined") base = (globalThis as any).location.origin;
    return base.replace(/^http/, "ws") + "/v1/events?access_token=" + encodeURIComponent(this.tok.access_token);
  }

  /** push opens the push channel (GET /v1/events), which reconnects by itself until closed. */
  push(opts: PushOptions = {}): PushChannel {
    return new PushChannel(this, resolveWebSocket(opts.WebSocket ?? this.wsCtor), opts);
  }
}

/** Options of a PushChannel. */
export interface PushOptions {
  /** WebSocket constructor (default the LobbyClient's, else the global one). */
  WebSocket?: WebSocketConstructor;
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs, with ±25% jitter. Default 500 ms. */
  minBackoffMs?: number;
  /** Longest reconnect delay. Default 15 s. */
  maxBackoffMs?: number;
  /** Every event. */
  onEvent?: (e: LobbyEvent) => void;
  /** Connection state changes: "open", "reconnecting" (with the delay before the next attempt) and "closed" (for good). */
  onState?: (state: "open" | "reconnecting" | "closed", detail: { code?: number; delayMs?: number; error?: unknown }) => void;
}

/** Close codes of the push channel. */
export const PushClose = Object.freeze({
  /** Logout or refresh-token reuse: the session is over; the channel stops. */
  SessionRevoked: 4001,
  /** The access token expired: the channel refreshes the tokens and reconnects. */
  TokenExpired: 4002,
  /** The lobby's send queue overflowed: reconnect. */
  SlowConsumer: 4008,
  /** The lobby is stopping: reconnect (to another replica). */
  Shutdown: 1001,
} as const);

/**
 * PushChannel is the lobby's push channel: JSON events over a WebSocket.
 * It reconnects with exponential back-off after every drop (refreshing the
 * access token on close 4002 and on a refused upgrade), except after close
 * 4001 (session revoked) or close().
 */
export class PushChannel {
  private ws: WebSocketLike | null = null;
  private closed = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<(e: LobbyEvent) => void>();
  private openWaiters: Array<() => void> = [];
  private readonly nextWaiters = new Set<() => void>();
  /** How many times the channel has (re)connected. */
  connects = 0;

  constructor(private readonly lobby: LobbyClient, private readonly Ctor: WebSocketConstructor, private readonly opts: PushOptions) {
    if (opts.onEvent) this.listeners.add(opts.onEvent);
    this.connect();
  }

  /** True while the WebSocket is open. */
  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WS_OPEN;
  }

  /** on adds an event listener; it returns a function that removes it. */
  on(fn: (e: LobbyEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** opened resolves once the channel is open (immediately when it is). */
  opened(): Promise<void> {
    if (this.isOpen) return Promise.resolve();
    return new Promise((res) => this.openWaiters.push(res));
  }

  /**
   * next resolves with the first event from now that matches pred, or
   * rejects after timeoutMs, or when the channel is closed.
   */
  next(pred: (e: LobbyEvent) => boolean, timeoutMs = 60_000): Promise<LobbyEvent> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error("pantheon: push channel closed"));
        return;
      }
      const settle = (err: Error | null, e?: LobbyEvent) => {
        clearTimeout(t);
        off();
        this.nextWaiters.delete(cancel);
        if (err) reject(err);
        else resolve(e!);
      };
      const cancel = () => settle(new Error("pantheon: push channel closed"));
      const t = setTimeout(() => settle(new Error(`pantheon: no matching push event within ${timeoutMs} ms`)), timeoutMs);
      const off = this.on((e) => {
        if (pred(e)) settle(null, e);
      });
      this.nextWaiters.add(cancel);
    });
  }

  /** close stops the channel for good; pending next() calls reject. */
  close(): void {
    this.closed = true;
    for (const cancel of [...this.nextWaiters]) cancel();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.onerror = null;
      try {
        ws.close(1000);
      } catch {
        /* closing a connecting socket may throw in some implementations */
      }
    }
    this.opts.onState?.("closed", {});
  }

  private connect(): void {
    if (this.closed) return;
    let ws: WebSocketLike;
    try {
      ws = new this.Ctor(this.lobby.pushUrl());
    } catch (err) {
      this.scheduleReconnect(undefined, err);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.connects++;
      this.opts.onState?.("open", {});
      const w = this.openWaiters;
      this.openWaiters = [];
      for (const f of w) f();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      let e: LobbyEvent;
      try {
        e = JSON.parse(ev.data);
      } catch {
        return;
      }
      for (const f of [...this.listeners]) f(e);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      if (ev.code === PushClose.SessionRevoked) {
        this.closed = true;
        this.opts.onState?.("closed", { code: ev.code });
        return;
      }
      // A refused upgrade (an expired or revoked token gets 401 before the
      // upgrade, which a browser reports as close 1006) or 4002: refresh.
      const refresh = ev.code === PushClose.TokenExpired || !opened;
      this.scheduleReconnect(ev.code, undefined, refresh && this.lobby.tokens !== null);
    };
  }

  private scheduleReconnect(code?: number, error?: unknown, refresh = false): void {
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 15_000;
    const base = Math.min(max, min * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    const delayMs = Math.round(base * (0.75 + Math.random() * 0.5));
    this.opts.onState?.("reconnecting", { code, delayMs, error });
    this.timer = setTimeout(async () => {
      this.timer = null;
      if (this.closed) return;
      if (refresh) {
        try {
          await this.lobby.refresh();
        } catch (err) {
          if (err instanceof LobbyError && err.status === 401) {
            // The session is gone (revoked, reused refresh token): stop.
            this.closed = true;
            this.opts.onState?.("closed", { code, error: err });
            return;
          }
        }
      }
      this.connect();
    }, delayMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
