// One match on the page: the room session (SDK), the interpolation buffer,
// the canvas, the HUD and the player's input.

import {
  EntityKind, EventKind, Field, InterpolationBuffer, RoomSession, SessionError, StatusBit, SurgeStage,
  type EventsFrame, type InputIntent, type InterpolatedEntity, type Seat, type SessionEnd, type World,
} from "./sdk.js";
import { codeName, places, pretty, type Ability, type Content, type Form, type Mode, type Place } from "./content.js";
import { Controls, shapeshiftSlot } from "./input.js";

/** What the page knows about its own oracle. */
export interface MyOracle {
  archetype: string;
  loadout: string[];
  /** The shapeshift form's id, "" for none. */
  form: string;
}

/** How a match ended for the page. */
export interface MatchEnd {
  session: SessionEnd;
  /** The match_end event's outcome name, when it arrived. */
  outcome?: string;
  winningTeam?: number;
}

/** The HUD's elements. */
interface Hud {
  mode: HTMLElement;
  clock: HTMLElement;
  net: HTMLElement;
  objective: HTMLElement;
  banner: HTMLElement;
  feed: HTMLElement;
  hp: HTMLElement;
  hpText: HTMLElement;
  energy: HTMLElement;
  energyText: HTMLElement;
  abilities: HTMLElement;
  ritual: HTMLElement;
  help: HTMLElement;
  bottom: HTMLElement;
}

/** A floating number over an entity (damage red, heal green). */
interface Floater {
  id: number;
  text: string;
  color: string;
  born: number;
  dx: number;
}

const teamColors = ["#5b8cff", "#ff6b6b", "#5fd38d", "#f3c35b"];
const elementColors: Record<string, string> = { fire: "#ff7a45", earth: "#c49a5a", air: "#b9e4ff", water: "#4fa3ff" };
const oracleRadiusCm = 45;
const petRadiusCm = 28;
const totemRadiusCm = 30;

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error("page: missing #" + id);
  return el;
}

function bit(fields: Int32Array, b: number): boolean {
  return (fields[Field.Status] & (1 << b)) !== 0;
}

function fmtClock(s: number): string {
  s = Math.max(0, Math.ceil(s));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * MatchView plays one seat: run() connects, renders until the session ends
 * and resolves with how it ended.
 */
export class MatchView {
  private session!: RoomSession;
  private readonly buffer = new InterpolationBuffer({ capacity: 90 });
  private readonly ctx: CanvasRenderingContext2D;
  private readonly hud: Hud;
  private readonly controls: Controls;
  private readonly loadout: Ability[];
  private readonly form?: Form;
  private formCooldownUntil = 0; // tick
  private readonly abilityIndex = new Map<string, number>();
  private place: Place;
  private placeFixed = false;
  private latest: World | null = null;
  private cooldownUntil = new Map<number, number>(); // ability index -> tick
  private rejectedAt = new Map<number, number>(); // slot -> performance.now()
  private floaters: Floater[] = [];
  private feed: string[] = [];
  private kills = new Map<number, number>(); // team -> kills
  private surgeWarnUntil = 0; // tick
  private outcome?: string;
  private winningTeam?: number;
  private over = false;
  private raf = 0;
  private inputTimer: ReturnType<typeof setInterval> | null = null;
  private lastSent = "";
  private lastSentAt = 0;
  private channel = false;
  private startedTick = 0;
  private pendingActions: InputIntent[] = [];
  private myTeam = -1;
  private myId = 0;

  constructor(
    private readonly content: Content,
    private readonly mode: Mode,
    private readonly seat: Seat,
    private readonly oracle: MyOracle,
    private readonly canvas: HTMLCanvasElement,
  ) {
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("page: no 2D canvas");
    this.ctx = ctx;
    this.hud = {
      mode: $("hud-mode"), clock: $("hud-clock"), net: $("hud-net"), objective: $("hud-objective"), banner: $("hud-banner"),
      feed: $("hud-feed"), hp: $("hud-hp"), hpText: $("hud-hp-text"), energy: $("hud-energy"), energyText: $("hud-energy-text"),
      abilities: $("hud-abilities"), ritual: $("hud-ritual"), help: $("hud-help"), bottom: $("hud-bottom"),
    };
    content.abilities.forEach((a, i) => this.abilityIndex.set(a.id, i));
    this.loadout = oracle.loadout.map((id) => content.abilities[this.abilityIndex.get(id) ?? -1]).filter(Boolean);
    this.form = content.forms.find((f) => f.id === oracle.form);
    this.place = places(content, mode)[0];
    this.controls = new Controls(canvas, $("stick"), $("stick-knob"), (x, y) => this.toWorld(x, y));
    this.controls.onSlot = (slot) => this.cast(slot);
    this.controls.onChannel = (on) => (this.channel = on);
    this.controls.onGesture = () => this.gesture();
  }

  /** run plays the match to its end. */
  async run(): Promise<MatchEnd> {
    this.buildHud();
    this.banner("Connecting to the room…");
    try {
      this.session = await RoomSession.connect({ url: this.seat.ws_url, ticket: this.seat.ticket });
    } catch (err) {
      this.stop();
      if (err instanceof SessionError) return { session: err.end };
      throw err;
    }
    const s = this.session;
    this.myId = s.entityId;
    expose({ seat: s.seat, entityId: s.entityId, tickRate: s.tickRate });
    if (s.state === "waiting") this.banner("Waiting for players…", "the match starts when every seat has joined");
    s.on("state", (st) => {
      expose({ matchState: st });
      if (st === "waiting") this.banner("Waiting for players…", "the match starts when every seat has joined");
      if (st === "resuming") this.banner("Connection lost — resuming…");
      if (st === "playing" && !this.over) this.banner("");
    });
    s.on("welcome", (w) => {
      this.myId = w.entityId || this.myId;
    });
    s.on("snapshot", (w) => this.onWorld(w));
    s.on("events", (f) => this.onEvents(f));
    this.inputTimer = setInterval(() => this.sendIntent(false), 50);
    this.raf = requestAnimationFrame(() => this.frame());
    const end = await s.ended;
    this.stop();
    return { session: end, outcome: this.outcome, winningTeam: this.winningTeam };
  }

  /** leave gives up the seat (the session ends with reason "left"). */
  leave(): void {
    this.session?.close();
  }

  private stop(): void {
    if (this.inputTimer) clearInterval(this.inputTimer);
    this.inputTimer = null;
    cancelAnimationFrame(this.raf);
    this.controls.detach();
  }

  // --- world and events ---

  private onWorld(w: World): void {
    this.buffer.push(w);
    this.latest = w;
    if (!this.startedTick) this.startedTick = w.tick;
    if (!this.myId) this.myId = this.session.entityId;
    const me = w.get(this.myId);
    if (me) this.myTeam = me[Field.Team];
    if (!this.placeFixed) this.identifyPlace(w);
    // For tests and the curious: where the player is and, in a ritual,
    // the sigil to channel at.
    const cur = this.currentSigil();
    const goal = cur >= 0 ? w.ofKind(EntityKind.Sigil).find((e) => e.fields[Field.Content] === cur) : undefined;
    expose({
      tick: w.tick, inputAck: this.session.lastInputAck, inputsSent: this.session.stats.inputsSent, entities: w.size,
      me: me ? { x: me[Field.X], y: me[Field.Y], hp: me[Field.Hp], channeling: bit(me, StatusBit.Channeling) } : null,
      goal: goal ? { x: goal.fields[Field.X], y: goal.fields[Field.Y], r: this.place.ritual?.sigil_radius_cm ?? 0, progress: goal.fields[Field.Progress] } : null,
    });
  }

  /** identifyPlace works out which of the mode's arenas this is. */
  private identifyPlace(w: World): void {
    const cands = places(this.content, this.mode);
    if (cands.length <= 1) {
      this.placeFixed = true;
      return;
    }
    for (const e of w.entities()) {
      const k = e.fields[Field.Kind];
      const ci = e.fields[Field.Content];
      if (k === EntityKind.Boss) {
        const npc = this.content.npcs[ci]?.id;
        const p = cands.find((c) => c.raid?.boss === npc);
        if (p) return this.setPlace(p);
      }
      if (k === EntityKind.Hazard && this.mode.kind === "battle") {
        const hz = this.content.hazards[ci]?.id;
        const p = cands.find((c) => c.arena?.hazard === hz);
        if (p) return this.setPlace(p);
      }
    }
    const me = w.get(this.myId);
    if (me && this.mode.kind === "battle") {
      // The first snapshot has every oracle on its spawn point.
      let best: Place | undefined;
      let bestD = Infinity;
      for (const c of cands) {
        for (const team of c.arena?.spawns ?? []) {
          for (const sp of team) {
            const d = Math.hypot(sp.x - me[Field.X], sp.y - me[Field.Y]);
            if (d < bestD) [bestD, best] = [d, c];
          }
        }
      }
      if (best && bestD < 50) this.setPlace(best);
      else this.placeFixed = true; // moved already (a resume): keep the first
    }
  }

  private setPlace(p: Place): void {
    this.place = p;
    this.placeFixed = true;
    this.hud.mode.textContent = `${this.mode.name} · ${p.name}`;
  }

  private onEvents(f: EventsFrame): void {
    const c = this.content;
    const mySeat = this.session.seat;
    for (const ev of f.events) {
      const [kind, code, seat, , target, amount, ref] = ev;
      switch (kind) {
        case EventKind.Damage:
          this.floaters.push({ id: target, text: "-" + amount, color: "#ff7b7b", born: performance.now(), dx: Math.random() * 30 - 15 });
          break;
        case EventKind.Heal:
          this.floaters.push({ id: target, text: "+" + amount, color: "#6ff0a0", born: performance.now(), dx: Math.random() * 30 - 15 });
          break;
        case EventKind.Death: {
          const victim = this.latest?.get(target);
          const vk = victim?.[Field.Kind];
          if (vk === EntityKind.Oracle) {
            const team = victim![Field.Team];
            for (let t = 0; t < (this.mode.teams ?? 1); t++) if (t !== team) this.kills.set(t, (this.kills.get(t) ?? 0) + 1);
            this.note(target === this.myId ? "You fell" : `An oracle of team ${team + 1} fell`);
          } else if (vk === EntityKind.Boss) this.note("The boss is down!");
          break;
        }
        case EventKind.Cast:
          if (seat === mySeat && ref >= 0) {
            const cd = c.abilities[ref]?.cooldown_ms ?? 0;
            this.cooldownUntil.set(ref, f.tick + (cd * this.session.tickRate) / 1000);
          }
          break;
        case EventKind.Shapeshift:
          if (seat === mySeat) {
            this.formCooldownUntil = f.tick + ((this.form?.cooldown_ms ?? 0) * this.session.tickRate) / 1000;
            this.note(amount === 1 ? `You took the form of the ${c.forms[ref]?.name ?? "beast"}` : "You returned to your own form");
          }
          break;
        case EventKind.CastRejected:
          if (seat === mySeat) {
            this.rejectedAt.set(ref, performance.now());
            this.note(`Cast refused: ${pretty(codeName(c, "reasons", code))}`);
          }
          break;
        case EventKind.InputRejected:
          if (seat === mySeat && code !== 0) {
            const r = codeName(c, "reasons", code);
            if (r !== "stale_seq") this.note(pretty(r));
          }
          break;
        case EventKind.Phase:
          this.note(`The boss enters phase ${amount}`);
          break;
        case EventKind.Enrage:
          this.note("The boss is enraged!");
          break;
        case EventKind.SigilComplete:
          this.note(`Sigil complete (${amount}/${this.place.ritual?.sequence.length ?? "?"})`);
          break;
        case EventKind.Surge:
          if (code === SurgeStage.Warn) {
            this.surgeWarnUntil = f.tick + this.session.tickRate * 2.5;
            this.note("A void surge is coming");
          } else this.note(`Void surge: ${amount} interrupted`);
          break;
        case EventKind.Interrupted:
          if (seat === mySeat) this.note("You were interrupted");
          break;
        case EventKind.Codex:
          if (seat === mySeat) this.note(`Codex: ${c.codex[ref]?.name ?? pretty(c.codex[ref]?.id ?? "entry")}`);
          break;
        case EventKind.MatchEnd:
          this.outcome = codeName(c, "outcomes", code);
          this.winningTeam = amount;
          this.over = true;
          this.banner(pretty(this.outcome), "saving the result…");
          expose({ outcome: this.outcome });
          break;
      }
    }
  }

  private note(s: string): void {
    this.feed.push(s);
    if (this.feed.length > 7) this.feed.shift();
    this.hud.feed.replaceChildren(...this.feed.map((t) => Object.assign(document.createElement("div"), { textContent: t })));
  }

  private banner(title: string, sub = ""): void {
    this.hud.banner.replaceChildren();
    if (!title) return;
    this.hud.banner.append(title);
    if (sub) this.hud.banner.append(Object.assign(document.createElement("small"), { textContent: sub }));
  }

  // --- input ---

  private me(): Int32Array | undefined {
    return this.latest?.get(this.myId);
  }

  /** sendIntent sends the held intent when it changed (or every 250 ms), and any queued action at once. */
  private sendIntent(force: boolean): void {
    if (!this.session || this.session.state === "ended") return;
    const mv = this.controls.move();
    const me = this.me();
    let facing = me ? me[Field.Facing] & 255 : 0;
    const aim = this.controls.aim();
    if (aim && me) facing = angleTo(me[Field.X], me[Field.Y], aim.x, aim.y);
    else if (mv.x !== 0 || mv.y !== 0) facing = angleTo(0, 0, mv.x, mv.y);
    const intent: InputIntent = { moveX: mv.x, moveY: mv.y, facing, channel: this.channel ? 1 : 0 };
    const action = this.pendingActions.shift();
    const key = JSON.stringify(intent);
    const now = performance.now();
    if (!action && !force && key === this.lastSent && now - this.lastSentAt < 250) return;
    this.lastSent = key;
    this.lastSentAt = now;
    this.session.sendInput({ ...intent, ...action });
  }

  private cast(slot: number): void {
    if (slot === shapeshiftSlot) {
      if (!this.form || this.over) return;
      this.pendingActions.push({ castSlot: shapeshiftSlot });
      this.sendIntent(true);
      return;
    }
    const ab = this.loadout[slot];
    const me = this.me();
    if (!ab || !me || this.over) return;
    const action: InputIntent = { castSlot: slot };
    const range = ab.range_cm ?? 0;
    if (ab.target === "enemy") {
      const t = this.nearest((f) => this.isEnemy(f), me, range);
      if (t) action.castTarget = t.id;
    } else if (ab.target === "ally") {
      action.castTarget = this.weakestAlly(me, range);
    } else if (ab.target === "point") {
      const aim = this.controls.aim();
      let p = aim;
      const heals = (ab as { affects?: string }).affects === "allies";
      if (!p || heals) {
        if (heals) {
          const a = this.latest?.get(this.weakestAlly(me, range));
          if (a) p = { x: a[Field.X], y: a[Field.Y] };
        } else {
          const t = this.nearest((f) => this.isEnemy(f), me, range);
          if (t) p = { x: t.fields[Field.X], y: t.fields[Field.Y] };
        }
      }
      if (!p) {
        const a = ((me[Field.Facing] & 255) / 256) * 2 * Math.PI;
        p = { x: me[Field.X] + Math.cos(a) * range * 0.8, y: me[Field.Y] + Math.sin(a) * range * 0.8 };
      }
      // Within range: the server refuses a point beyond it.
      const dx = p.x - me[Field.X], dy = p.y - me[Field.Y];
      const d = Math.hypot(dx, dy);
      if (range > 0 && d > range) p = { x: me[Field.X] + (dx / d) * range * 0.98, y: me[Field.Y] + (dy / d) * range * 0.98 };
      action.castX = Math.round(p.x);
      action.castY = Math.round(p.y);
    }
    this.pendingActions.push(action);
    this.sendIntent(true);
  }

  private gesture(): void {
    const r = this.place.ritual;
    const me = this.me();
    if (!r || !me || !this.latest) return;
    const cur = this.currentSigil();
    if (cur < 0) return;
    this.pendingActions.push({ gesture: r.sigils[cur].gesture });
    this.sendIntent(true);
  }

  private isEnemy(f: Int32Array): boolean {
    const k = f[Field.Kind];
    if (k !== EntityKind.Oracle && k !== EntityKind.Pet && k !== EntityKind.Add && k !== EntityKind.Boss && k !== EntityKind.Totem) return false;
    return f[Field.Hp] > 0 && f[Field.Team] !== this.myTeam;
  }

  private nearest(pred: (f: Int32Array) => boolean, me: Int32Array, range: number): { id: number; fields: Int32Array } | null {
    let best: { id: number; fields: Int32Array } | null = null;
    let bestD = Infinity;
    for (const e of this.latest?.entities() ?? []) {
      if (!pred(e.fields)) continue;
      const d = Math.hypot(e.fields[Field.X] - me[Field.X], e.fields[Field.Y] - me[Field.Y]);
      // Prefer targets in range; out of range ones only when none is.
      const score = d <= range || range === 0 ? d : d + 1e6;
      if (score < bestD) [bestD, best] = [score, { id: e.id, fields: e.fields }];
    }
    return best;
  }

  private weakestAlly(me: Int32Array, range: number): number {
    let best = this.myId;
    let bestFrac = me[Field.MaxHp] ? me[Field.Hp] / me[Field.MaxHp] : 1;
    for (const e of this.latest?.ofKind(EntityKind.Oracle) ?? []) {
      const f = e.fields;
      if (f[Field.Team] !== this.myTeam || f[Field.Hp] <= 0 || !f[Field.MaxHp]) continue;
      if (Math.hypot(f[Field.X] - me[Field.X], f[Field.Y] - me[Field.Y]) > range) continue;
      const frac = f[Field.Hp] / f[Field.MaxHp];
      if (frac < bestFrac) [bestFrac, best] = [frac, e.id];
    }
    return best;
  }

  /** currentSigil is the index (in the ritual's sigils) the sequence wants next, -1 when complete. */
  private currentSigil(): number {
    const r = this.place.ritual;
    if (!r || !this.latest) return -1;
    const progress = new Map<number, number>();
    for (const e of this.latest.ofKind(EntityKind.Sigil)) progress.set(e.fields[Field.Content], e.fields[Field.Progress]);
    for (const idx of r.sequence) if ((progress.get(idx) ?? 0) < 1000) return idx;
    return -1;
  }

  private stepsDone(): number {
    const r = this.place.ritual;
    if (!r) return 0;
    const cur = this.currentSigil();
    return cur < 0 ? r.sequence.length : r.sequence.indexOf(cur);
  }

  // --- rendering ---

  private scale = 1;
  private ox = 0; // screen x of world x 0
  private oy = 0; // screen y of world y 0 (y grows up in the world, down on screen)

  private toWorld(sx: number, sy: number): { x: number; y: number } {
    return { x: (sx - this.ox) / this.scale, y: (this.oy - sy) / this.scale };
  }

  private sx(x: number): number {
    return this.ox + x * this.scale;
  }

  private sy(y: number): number {
    return this.oy - y * this.scale;
  }

  private frame(): void {
    this.raf = requestAnimationFrame(() => this.frame());
    const cv = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = cv.clientWidth, h = cv.clientHeight;
    if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
      cv.width = Math.round(w * dpr);
      cv.height = Math.round(h * dpr);
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const s = this.session;
    const rate = s.tickRate || 30;
    // Draw a little in the past so a snapshot is on both sides.
    const renderTick = Math.max(this.buffer.oldestTick, Math.min(s.estimatedServerTick(), this.buffer.newestTick + 1) - Math.max(2, rate * 0.08));
    const ents = this.buffer.sample(renderTick);
    const meE = ents.find((e) => e.id === this.myId);
    this.camera(w, h, meE);
    this.drawFloor();
    // Ground layers first: hazards and sigils, then bodies.
    const order = (e: InterpolatedEntity) => {
      const k = e.fields[Field.Kind];
      return k === EntityKind.Hazard ? 0 : k === EntityKind.Sigil ? 1 : k === EntityKind.Totem ? 2 : k === EntityKind.Boss ? 3 : 4;
    };
    ents.sort((a, b) => order(a) - order(b));
    const cur = this.currentSigil();
    for (const e of ents) this.drawEntity(e, e.id === this.myId, cur);
    this.drawFloaters(ents);
    this.drawMinimap(ents, w, h);
    this.updateHud(meE, renderTick);
  }

  /** drawMinimap shows the whole arena when the view holds only part of it. */
  private drawMinimap(ents: InterpolatedEntity[], w: number, h: number): void {
    const { width, height } = this.place;
    const viewW = w / this.scale, viewH = h / this.scale;
    if (width <= viewW && height <= viewH) return;
    const ctx = this.ctx;
    const size = 150;
    const k = size / Math.max(width, height);
    const x0 = 12, y0 = 12;
    const mx = (x: number) => x0 + x * k;
    const my = (y: number) => y0 + (height - y) * k;
    ctx.fillStyle = "rgba(16,19,38,.85)";
    ctx.fillRect(x0, y0, width * k, height * k);
    ctx.strokeStyle = "#3a4275";
    ctx.lineWidth = 1;
    ctx.strokeRect(x0, y0, width * k, height * k);
    for (const e of ents) {
      const f = e.fields;
      const kind = f[Field.Kind];
      if (kind === EntityKind.Sigil || (f[Field.Hp] <= 0 && (kind === EntityKind.Oracle || kind === EntityKind.Add || kind === EntityKind.Boss))) continue;
      let r = 2, color = teamColors[f[Field.Team]] ?? "#aaa";
      if (kind === EntityKind.Boss) [r, color] = [5, "#ff5a5a"];
      else if (kind === EntityKind.Add) color = "#ff8080";
      else if (kind === EntityKind.Hazard) [r, color] = [Math.max(2, (this.content.hazards[f[Field.Content]]?.radius_cm ?? 300) * k), "rgba(255,180,80,.35)"];
      if (e.id === this.myId) [r, color] = [3.5, "#ffffff"];
      ctx.beginPath();
      ctx.arc(mx(e.x), my(e.y), r, 0, Math.PI * 2);
      ctx.fillStyle = color;
      ctx.fill();
    }
    // The part of the arena on screen.
    const vx = (0 - this.ox) / this.scale, vy = (this.oy - h) / this.scale;
    ctx.strokeStyle = "rgba(243,195,91,.7)";
    ctx.strokeRect(mx(Math.max(0, vx)), my(Math.min(height, vy + viewH)), Math.min(width, viewW) * k, Math.min(height, viewH) * k);
  }

  private camera(w: number, h: number, me?: InterpolatedEntity): void {
    const pw = this.place.width, ph = this.place.height;
    // The HUD takes the top (objective) and the bottom (bars, abilities;
    // above the stick on touch screens): the arena is fitted between them.
    const cv = this.canvas.getBoundingClientRect();
    const top = Math.max(60, Math.min(h / 3, this.hud.objective.getBoundingClientRect().bottom - cv.top + 8));
    const bottom = Math.max(40, Math.min(h / 2, cv.bottom - this.hud.bottom.getBoundingClientRect().top + 8));
    const usableH = Math.max(120, h - top - bottom);
    const span = Math.min(Math.max(pw, ph), 2200);
    this.scale = Math.min((w * 0.94) / span, usableH / span);
    const vw = w / this.scale, vh = usableH / this.scale;
    let cx = pw / 2, cy = ph / 2;
    if (me && pw > vw) cx = Math.min(Math.max(me.x, vw / 2), pw - vw / 2);
    if (me && ph > vh) cy = Math.min(Math.max(me.y, vh / 2), ph - vh / 2);
    this.ox = w / 2 - cx * this.scale;
    this.oy = top + usableH / 2 + cy * this.scale;
  }

  private drawFloor(): void {
    const ctx = this.ctx;
    const { width, height } = this.place;
    const x0 = this.sx(0), y0 = this.sy(height), x1 = this.sx(width), y1 = this.sy(0);
    const g = ctx.createLinearGradient(x0, y0, x1, y1);
    g.addColorStop(0, "#161b36");
    g.addColorStop(1, "#10142a");
    ctx.fillStyle = g;
    ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    ctx.strokeStyle = "rgba(122,162,255,.08)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    const step = 200;
    for (let x = step; x < width; x += step) {
      ctx.moveTo(this.sx(x), y0);
      ctx.lineTo(this.sx(x), y1);
    }
    for (let y = step; y < height; y += step) {
      ctx.moveTo(x0, this.sy(y));
      ctx.lineTo(x1, this.sy(y));
    }
    ctx.stroke();
    ctx.strokeStyle = "#3a4275";
    ctx.lineWidth = 2;
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  }

  private drawEntity(e: InterpolatedEntity, mine: boolean, curSigil: number): void {
    const ctx = this.ctx;
    const f = e.fields;
    const k = f[Field.Kind];
    const x = this.sx(e.x), y = this.sy(e.y);
    const c = this.content;
    const team = f[Field.Team];
    const tc = teamColors[team] ?? "#aaa";
    const circle = (rcm: number, fill: string, stroke?: string, lw = 2) => {
      ctx.beginPath();
      ctx.arc(x, y, Math.max(2, rcm * this.scale), 0, Math.PI * 2);
      ctx.fillStyle = fill;
      ctx.fill();
      if (stroke) {
        ctx.strokeStyle = stroke;
        ctx.lineWidth = lw;
        ctx.stroke();
      }
    };
    switch (k) {
      case EntityKind.Hazard: {
        const r = c.hazards[f[Field.Content]]?.radius_cm ?? 300;
        const active = f[Field.Progress] === 1;
        ctx.setLineDash(active ? [] : [8, 6]);
        circle(r, active ? "rgba(255,90,90,.28)" : "rgba(255,180,80,.10)", active ? "#ff5a5a" : "#ffb450", 2);
        ctx.setLineDash([]);
        return;
      }
      case EntityKind.Sigil: {
        const r = this.place.ritual?.sigil_radius_cm ?? 120;
        const idx = f[Field.Content];
        const p = f[Field.Progress] / 1000;
        const isCur = idx === curSigil;
        circle(r, p >= 1 ? "rgba(95,211,141,.22)" : isCur ? "rgba(243,195,91,.16)" : "rgba(122,162,255,.07)", p >= 1 ? "#5fd38d" : isCur ? "#f3c35b" : "#47508a", isCur ? 3 : 2);
        if (p > 0 && p < 1) {
          ctx.beginPath();
          ctx.arc(x, y, r * this.scale + 6, -Math.PI / 2, -Math.PI / 2 + p * Math.PI * 2);
          ctx.strokeStyle = "#f3c35b";
          ctx.lineWidth = 5;
          ctx.stroke();
        }
        const g = this.place.ritual?.sigils[idx]?.gesture;
        ctx.fillStyle = isCur ? "#f3c35b" : "#9097bd";
        ctx.font = "600 13px system-ui";
        ctx.textAlign = "center";
        ctx.fillText(`${(this.place.ritual?.sequence.indexOf(idx) ?? -1) + 1}`, x, y - 2);
        ctx.font = "11px system-ui";
        ctx.fillText(`gesture ${g}`, x, y + 13);
        return;
      }
      case EntityKind.Totem: {
        const s = totemRadiusCm * this.scale;
        ctx.beginPath();
        ctx.moveTo(x, y - s);
        ctx.lineTo(x + s, y);
        ctx.lineTo(x, y + s);
        ctx.lineTo(x - s, y);
        ctx.closePath();
        ctx.fillStyle = tc;
        ctx.fill();
        return;
      }
      case EntityKind.Boss:
      case EntityKind.Add: {
        const npc = c.npcs[f[Field.Content]];
        const r = npc?.radius_cm ?? (k === EntityKind.Boss ? 200 : 50);
        circle(r, k === EntityKind.Boss ? "#5a1d2c" : "#7a2f3a", bit(f, StatusBit.Enraged) ? "#ff3b3b" : "#ff8080", k === EntityKind.Boss ? 3 : 1.5);
        this.hpBar(x, y - r * this.scale - 8, k === EntityKind.Boss ? 90 : 30, f, "#ff6b6b");
        if (k === EntityKind.Boss && npc) this.label(npc.name, x, y - r * this.scale - 16, "#ffb0b0");
        this.facingTick(x, y, r, e.facing, "#ffb0b0");
        return;
      }
      case EntityKind.Pet:
        circle(petRadiusCm, tc, "rgba(0,0,0,.4)", 1);
        return;
      case EntityKind.Oracle: {
        const arch = c.archetypes[f[Field.Content]];
        const dead = f[Field.Hp] <= 0;
        ctx.globalAlpha = dead ? 0.35 : 1;
        if (bit(f, StatusBit.Channeling)) {
          ctx.beginPath();
          ctx.arc(x, y, (oracleRadiusCm + 22) * this.scale, 0, Math.PI * 2);
          ctx.fillStyle = "rgba(243,195,91,.18)";
          ctx.fill();
        }
        circle(oracleRadiusCm, elementColors[arch?.element ?? ""] ?? "#ccc", mine ? "#ffffff" : tc, mine ? 3 : 2.5);
        if (bit(f, StatusBit.Shield)) circle(oracleRadiusCm + 10, "rgba(0,0,0,0)", "#7ad7ff", 2);
        if (bit(f, StatusBit.Ward)) circle(oracleRadiusCm + 16, "rgba(0,0,0,0)", "rgba(190,160,255,.8)", 1.5);
        if (bit(f, StatusBit.Burn)) circle(oracleRadiusCm + 4, "rgba(0,0,0,0)", "#ff7a45", 1);
        this.facingTick(x, y, oracleRadiusCm, e.facing, mine ? "#fff" : "rgba(255,255,255,.7)");
        this.hpBar(x, y - oracleRadiusCm * this.scale - 10, 40, f, team === this.myTeam ? "#5fd38d" : "#ff6b6b");
        const form = f[Field.Form] > 0 ? c.forms[f[Field.Form] - 1]?.name : undefined;
        this.label((mine ? "You · " : "") + (arch?.name ?? "Oracle") + (form ? ` (${form})` : ""), x, y + oracleRadiusCm * this.scale + 14, mine ? "#fff" : "#c8cbe6");
        if (bit(f, StatusBit.Stun)) this.label("stunned", x, y - oracleRadiusCm * this.scale - 18, "#ffd75e");
        ctx.globalAlpha = 1;
        return;
      }
    }
  }

  private facingTick(x: number, y: number, rcm: number, facing: number, color: string): void {
    const ctx = this.ctx;
    const a = (facing / 256) * Math.PI * 2;
    const r = rcm * this.scale;
    ctx.beginPath();
    ctx.moveTo(x + Math.cos(a) * r * 0.4, y - Math.sin(a) * r * 0.4);
    ctx.lineTo(x + Math.cos(a) * (r + 7), y - Math.sin(a) * (r + 7));
    ctx.strokeStyle = color;
    ctx.lineWidth = 2.5;
    ctx.stroke();
  }

  private hpBar(x: number, y: number, w: number, f: Int32Array, color: string): void {
    const max = f[Field.MaxHp];
    if (!max) return;
    const ctx = this.ctx;
    ctx.fillStyle = "rgba(0,0,0,.55)";
    ctx.fillRect(x - w / 2, y, w, 5);
    ctx.fillStyle = color;
    ctx.fillRect(x - w / 2, y, (w * Math.max(0, f[Field.Hp])) / max, 5);
  }

  private label(text: string, x: number, y: number, color: string): void {
    const ctx = this.ctx;
    ctx.font = "12px system-ui";
    ctx.textAlign = "center";
    ctx.fillStyle = color;
    ctx.fillText(text, x, y);
  }

  private drawFloaters(ents: InterpolatedEntity[]): void {
    const now = performance.now();
    this.floaters = this.floaters.filter((fl) => now - fl.born < 900);
    const ctx = this.ctx;
    ctx.font = "700 14px system-ui";
    ctx.textAlign = "center";
    for (const fl of this.floaters) {
      const e = ents.find((x) => x.id === fl.id);
      if (!e) continue;
      const t = (now - fl.born) / 900;
      ctx.globalAlpha = 1 - t;
      ctx.fillStyle = fl.color;
      ctx.fillText(fl.text, this.sx(e.x) + fl.dx, this.sy(e.y) - 40 - t * 30);
    }
    ctx.globalAlpha = 1;
  }

  // --- HUD ---

  private slotEls: { root: HTMLElement; cd: HTMLElement; cdt: HTMLElement }[] = [];
  private formEl?: { root: HTMLElement; cd: HTMLElement; cdt: HTMLElement };
  private channelBtn?: HTMLButtonElement;

  private buildHud(): void {
    const h = this.hud;
    h.mode.textContent = `${this.mode.name} · ${this.place.name}`;
    h.objective.replaceChildren();
    h.feed.replaceChildren();
    this.slotEls = this.loadout.map((ab, i) => {
      const root = document.createElement("button");
      root.className = "ability";
      root.title = `${ab.name}: ${ab.target}, ${ab.cooldown_ms / 1000} s cooldown, ${ab.energy_cost} energy`;
      const key = Object.assign(document.createElement("span"), { className: "key", textContent: String(i + 1) });
      const cd = Object.assign(document.createElement("div"), { className: "cd" });
      const cdt = Object.assign(document.createElement("div"), { className: "cdt" });
      const name = Object.assign(document.createElement("span"), { textContent: ab.name });
      root.style.borderColor = elementColors[ab.element] ?? "";
      root.append(cd, key, cdt, name);
      root.addEventListener("pointerdown", (ev) => {
        ev.preventDefault();
        this.cast(i);
      });
      return { root, cd, cdt };
    });
    if (this.form) {
      const f = this.form;
      const root = document.createElement("button");
      root.className = "ability";
      root.title = `Shapeshift into the ${f.name}: ${f.cooldown_ms / 1000} s cooldown, ${f.energy_cost} energy`;
      const key = Object.assign(document.createElement("span"), { className: "key", textContent: "5" });
      const cd = Object.assign(document.createElement("div"), { className: "cd" });
      const cdt = Object.assign(document.createElement("div"), { className: "cdt" });
      root.append(cd, key, cdt, Object.assign(document.createElement("span"), { textContent: f.name }));
      root.addEventListener("pointerdown", (ev) => {
        ev.preventDefault();
        this.cast(shapeshiftSlot);
      });
      this.formEl = { root, cd, cdt };
    }
    h.abilities.replaceChildren(...this.slotEls.map((s) => s.root), ...(this.formEl ? [this.formEl.root] : []));
    h.ritual.replaceChildren();
    this.channelBtn = undefined;
    if (this.mode.kind === "ritual") {
      const touch = document.body.classList.contains("touch");
      const ch = Object.assign(document.createElement("button"), { textContent: touch ? "Channel" : "Channel (Space)" });
      ch.addEventListener("pointerdown", (ev) => {
        ev.preventDefault();
        this.controls.toggleChannel();
      });
      const ge = Object.assign(document.createElement("button"), { textContent: touch ? "Gesture" : "Gesture (G)" });
      ge.addEventListener("pointerdown", (ev) => {
        ev.preventDefault();
        this.gesture();
      });
      h.ritual.append(ch, ge);
      this.channelBtn = ch;
    }
    h.help.textContent = "Move: WASD or arrows · Aim: mouse · Abilities: 1-4 (or click)" + (this.form ? " · Shapeshift: 5 or F" : "") +
      (this.mode.kind === "ritual" ? " · Channel at the glowing sigil: hold Space · Gesture: G" : "");
  }

  private lastHud = "";

  private updateHud(me: InterpolatedEntity | undefined, tick: number): void {
    const h = this.hud;
    const s = this.session;
    const rate = s.tickRate || 30;
    const elapsed = this.latest ? (this.latest.tick - 0) / rate : 0;
    h.clock.textContent = this.latest ? fmtClock(this.mode.duration_ms / 1000 - elapsed) : "";
    h.net.textContent = s.clock.samples ? `${Math.round(s.clock.rttUs / 1000)} ms` : "";
    if (me) {
      const f = me.fields;
      const hp = Math.max(0, f[Field.Hp]), max = f[Field.MaxHp] || 1;
      h.hp.style.width = `${(100 * hp) / max}%`;
      h.hpText.textContent = `${hp} / ${max}`;
      const en = f[Field.Energy];
      h.energy.style.width = `${Math.min(100, en)}%`;
      h.energyText.textContent = `${en} energy`;
      this.loadout.forEach((ab, i) => {
        const el = this.slotEls[i];
        const until = this.cooldownUntil.get(this.abilityIndex.get(ab.id) ?? -1) ?? 0;
        const left = Math.max(0, (until - tick) / rate);
        const frac = ab.cooldown_ms ? Math.min(1, (left * 1000) / ab.cooldown_ms) : 0;
        el.cd.style.transform = `scaleY(${frac})`;
        el.cdt.textContent = left > 0.05 ? (left >= 10 ? left.toFixed(0) : left.toFixed(1)) : "";
        el.root.classList.toggle("poor", en < ab.energy_cost);
        el.root.classList.toggle("rejected", performance.now() - (this.rejectedAt.get(i) ?? -1e9) < 600);
      });
      if (this.form && this.formEl) {
        const left = Math.max(0, (this.formCooldownUntil - tick) / rate);
        this.formEl.cd.style.transform = `scaleY(${this.form.cooldown_ms ? Math.min(1, (left * 1000) / this.form.cooldown_ms) : 0})`;
        this.formEl.cdt.textContent = left > 0.05 ? left.toFixed(1) : "";
        this.formEl.root.classList.toggle("poor", en < this.form.energy_cost);
        this.formEl.root.classList.toggle("rejected", performance.now() - (this.rejectedAt.get(shapeshiftSlot) ?? -1e9) < 600);
      }
    }
    this.channelBtn?.classList.toggle("on", this.channel);
    // The objective panel changes rarely: rebuilt only when its text does.
    const obj = this.objective(tick);
    const key = JSON.stringify(obj);
    if (key !== this.lastHud) {
      this.lastHud = key;
      h.objective.replaceChildren(...(obj ? this.renderObjective(obj) : []));
    }
    if (!this.over && this.latest && s.state === "playing") {
      if (this.surgeWarnUntil > tick && this.channel) this.banner("Void surge!", "stop channelling — or be interrupted");
      else if (h.banner.textContent?.startsWith("Void surge")) this.banner("");
    }
  }

  /**
   * objective describes the mode's objective panel: rows of text, an
   * optional meter (0-100) and ritual steps. Built as DOM (the page's CSP
   * allows no inline style attributes).
   */
  private objective(tick: number): { rows: [string, string][]; meter?: number; boss?: boolean; steps?: number[] } | null {
    const w = this.latest;
    if (!w) return null;
    if (this.mode.kind === "ritual" && this.place.ritual) {
      const r = this.place.ritual;
      const done = this.stepsDone();
      const cur = this.currentSigil();
      const prog = cur >= 0 ? (w.ofKind(EntityKind.Sigil).find((e) => e.fields[Field.Content] === cur)?.fields[Field.Progress] ?? 0) : 1000;
      const surge = this.surgeWarnUntil > tick ? " · void surge coming!" : "";
      const title = done >= r.sequence.length ? `${r.name}: complete` :
        `${r.name}: sigil ${done + 1} of ${r.sequence.length} (gesture ${r.sigils[cur].gesture})${surge}`;
      return { rows: [[title, `${Math.round(prog / 10)}%`]], meter: prog / 10, steps: r.sequence.map((_, i) => (i < done ? 2 : i === done ? 1 : 0)) };
    }
    if (this.mode.kind === "raid") {
      const boss = w.ofKind(EntityKind.Boss)[0];
      if (!boss) return null;
      const f = boss.fields;
      const name = this.content.npcs[f[Field.Content]]?.name ?? "Boss";
      const pct = f[Field.MaxHp] ? (100 * Math.max(0, f[Field.Hp])) / f[Field.MaxHp] : 0;
      const adds = w.ofKind(EntityKind.Add).length;
      return { rows: [[`${name} · phase ${f[Field.Progress]}${bit(f, StatusBit.Enraged) ? " · enraged" : ""}`, `${pct.toFixed(0)}%`], [`adds: ${adds}`, ""]], meter: pct, boss: true };
    }
    const teams = this.mode.teams ?? 2;
    const rows: [string, string][] = [];
    for (let t = 0; t < teams; t++) {
      const alive = w.ofKind(EntityKind.Oracle).filter((e) => e.fields[Field.Team] === t && e.fields[Field.Hp] > 0).length;
      rows.push([`${t === this.myTeam ? "Your team" : "Team " + (t + 1)}: ${this.kills.get(t) ?? 0} kills`, `${alive} standing`]);
    }
    return { rows };
  }

  private renderObjective(o: NonNullable<ReturnType<MatchView["objective"]>>): HTMLElement[] {
    const out: HTMLElement[] = [];
    for (const [a, b] of o.rows) {
      const row = document.createElement("div");
      row.className = "row";
      row.append(Object.assign(document.createElement("span"), { textContent: a }), Object.assign(document.createElement("span"), { textContent: b }));
      out.push(row);
    }
    if (o.meter !== undefined) {
      const m = document.createElement("div");
      m.className = "meter" + (o.boss ? " boss" : "");
      const fill = document.createElement("div");
      fill.style.width = `${Math.max(0, Math.min(100, o.meter))}%`;
      m.append(fill);
      out.push(m);
    }
    if (o.steps) {
      const st = document.createElement("div");
      st.className = "steps";
      for (const v of o.steps) st.append(Object.assign(document.createElement("span"), { className: v === 2 ? "done" : v === 1 ? "now" : "" }));
      out.push(st);
    }
    return out;
  }
}

/** angleTo is the facing (0-255) from (x0,y0) towards (x1,y1). */
function angleTo(x0: number, y0: number, x1: number, y1: number): number {
  const a = Math.atan2(y1 - y0, x1 - x0);
  return ((Math.round((a / (2 * Math.PI)) * 256) % 256) + 256) % 256;
}

/** expose publishes the page's state for tests and the curious (window.pantheon). */
export function expose(v: Record<string, unknown>): void {
  const w = window as unknown as { pantheon?: Record<string, unknown> };
  w.pantheon = Object.assign(w.pantheon ?? {}, v);
}
