// The page's screens: login, lobby (oracle and queue), queue, match,
// result. Everything it offers comes from the lobby (GET /v1/content and
// GET /v1/modes); no content id is written here.

import { DevApi, LobbyClient, LobbyError, type LobbyEvent, type PushChannel, type Rating, type Seat, type StoredMatch, type Ticket } from "./sdk.js";
import { pretty, type Archetype, type Content, type Mode } from "./content.js";
import { MatchView, expose, type MatchEnd, type MyOracle } from "./game.js";

/** The matchmaker's rules of a queue (GET /v1/modes). */
interface QueueRules {
  id: string;
  teams: number;
  team_size: number;
  min_players: number;
  fill_wait_ms: number;
}

const lobby = new LobbyClient({ baseUrl: location.origin });
const dev = new DevApi(lobby);
let content: Content;
let rules = new Map<string, QueueRules>();
let push: PushChannel | null = null;
let displayName = "";

const pick = {
  archetype: null as Archetype | null,
  loadout: [] as string[],
  mode: null as Mode | null,
};
const maxLoadout = 4;

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error("page: missing #" + id);
  return el as T;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
}

function show(screen: string): void {
  document.body.dataset.screen = screen;
  expose({ screen });
}

function errText(err: unknown): string {
  if (err instanceof LobbyError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** deviceId is this browser's guest id, kept in localStorage. */
function deviceId(): string {
  const key = "pantheon.device";
  let id = localStorage.getItem(key);
  if (!id || !/^[A-Za-z0-9._:-]{16,128}$/.test(id)) {
    const b = new Uint8Array(12);
    crypto.getRandomValues(b);
    id = "web-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(key, id);
  }
  return id;
}

// --- login ---

async function login(): Promise<void> {
  const btn = $<HTMLButtonElement>("login-guest");
  const err = $("login-error");
  btn.disabled = true;
  err.textContent = "";
  try {
    const name = $<HTMLInputElement>("login-name").value.trim();
    await lobby.guestLogin(deviceId(), name || undefined);
    const [c, m, me] = await Promise.all([lobby.content(), lobby.modes(), lobby.me()]);
    content = c as unknown as Content;
    rules = new Map((m.modes as QueueRules[]).map((q) => [q.id, q]));
    displayName = me.display_name || name || "Oracle";
    $("who").textContent = `${displayName} · ${me.player_id.slice(0, 8)} · content ${content.version}`;
    expose({ playerId: me.player_id });
    push = lobby.push({});
    buildLobby();
    show("lobby");
  } catch (e) {
    err.textContent = "Could not log in: " + errText(e);
  } finally {
    btn.disabled = false;
  }
}

// --- lobby ---

function buildLobby(): void {
  const grid = $("archetypes");
  grid.replaceChildren();
  for (const a of content.archetypes) {
    const b = el("button", { className: "arch", type: "button" },
      el("span", { className: "name", textContent: a.name }),
      el("span", { className: `el el-${a.element}`, textContent: a.element }),
      el("span", { className: "stats", textContent: `HP ${a.hp_pct} · PWR ${a.power_pct} · SPD ${a.speed_pct}`, title: "hit points, power and speed, % of the base" }));
    b.dataset.archetype = a.id;
    b.addEventListener("click", () => chooseArchetype(a));
    grid.append(b);
  }
  const modes = $("modes");
  modes.replaceChildren();
  for (const m of content.modes) {
    const q = rules.get(m.id);
    const players = m.kind === "battle" ? `${m.team_size}v${m.team_size}` : `${m.min_players ?? 1}-${m.max_players ?? q?.team_size} players`;
    const b = el("button", { className: "mode", type: "button" },
      el("span", {}, el("b", { textContent: m.name }), " ", el("span", { className: "sub", textContent: pretty(m.kind) })),
      el("span", { className: "sub", textContent: `${players} · ${Math.round(m.duration_ms / 60000)} min` }));
    b.dataset.mode = m.id;
    b.addEventListener("click", () => chooseMode(m));
    modes.append(b);
  }
  for (const [id, list] of [["pick-pet", content.pets], ["pick-form", content.forms], ["pick-totem", content.totems]] as const) {
    const sel = $<HTMLSelectElement>(id);
    const keep = sel.value;
    sel.replaceChildren(el("option", { value: "", textContent: "none" }), ...list.map((x) => el("option", { value: x.id, textContent: x.name })));
    sel.value = list.some((x) => x.id === keep) ? keep : "";
  }
  chooseArchetype(pick.archetype ?? content.archetypes[0]);
  chooseMode(pick.mode ?? content.modes[0]);
}

function chooseArchetype(a: Archetype): void {
  if (pick.archetype?.id !== a.id) pick.loadout = [...a.default_loadout];
  pick.archetype = a;
  for (const b of $("archetypes").children) (b as HTMLElement).classList.toggle("selected", (b as HTMLElement).dataset.archetype === a.id);
  renderLoadout();
}

function renderLoadout(): void {
  const a = pick.archetype!;
  const box = $("loadout");
  box.replaceChildren();
  for (const id of a.kit) {
    const ab = content.abilities.find((x) => x.id === id);
    if (!ab) continue;
    const on = pick.loadout.includes(id);
    const b = el("button", { className: "chip" + (on ? " selected" : ""), type: "button", title: `${ab.target} · ${ab.cooldown_ms / 1000} s · ${ab.energy_cost} energy` },
      ab.name, el("small", { textContent: ab.ultimate ? "ultimate" : ab.target }));
    b.dataset.ability = id;
    b.addEventListener("click", () => {
      if (on) pick.loadout = pick.loadout.filter((x) => x !== id);
      else if (pick.loadout.length < maxLoadout) pick.loadout.push(id);
      renderLoadout();
    });
    box.append(b);
  }
  $("loadout-count").textContent = `${pick.loadout.length}/${maxLoadout} · keys 1-${maxLoadout} in order`;
}

/** botsFor is how many bots fill mode's seats besides the player. */
function botsFor(m: Mode): number {
  const q = rules.get(m.id);
  if (!q) return 0;
  if (q.teams > 1) return q.teams * q.team_size - 1;
  // One team: a ritual room fills up (it starts at once); a raid starts at
  // its minimum once the queue's fill wait has passed.
  return (m.kind === "raid" ? q.min_players : q.team_size) - 1;
}

function chooseMode(m: Mode): void {
  pick.mode = m;
  for (const b of $("modes").children) (b as HTMLElement).classList.toggle("selected", (b as HTMLElement).dataset.mode === m.id);
  const q = rules.get(m.id);
  const n = botsFor(m);
  let note = `With bots: you and ${n} bot${n === 1 ? "" : "s"}.`;
  if (q && q.teams === 1 && m.kind === "raid") note += ` A raid starts once ${q.min_players} are queued and the queue has waited ${Math.round(q.fill_wait_ms / 1000)} s for more.`;
  if (m.kind === "ritual") note += " Channel at the glowing sigil in order; make its gesture for a burst.";
  $("mode-note").textContent = note;
}

// --- queue ---

let queued: { ticket: Ticket; cancel: () => void } | null = null;

async function queue(): Promise<void> {
  const err = $("lobby-error");
  const btn = $<HTMLButtonElement>("queue");
  err.textContent = "";
  const a = pick.archetype, m = pick.mode;
  if (!a || !m) return;
  btn.disabled = true;
  try {
    const pet = $<HTMLSelectElement>("pick-pet").value, form = $<HTMLSelectElement>("pick-form").value, totem = $<HTMLSelectElement>("pick-totem").value;
    // A solo ticket's oracle is its team's Host (every team needs one).
    await lobby.putOracle("main", { name: displayName.slice(0, 32), archetype: a.id, role: "host", loadout: pick.loadout, pet, form, totem });
    const before = await dev.rating(m.id);
    const ticket = await lobby.queue(m.id, "main");
    expose({ ticketId: ticket.id });
    if ($<HTMLInputElement>("bots").checked && botsFor(m) > 0) {
      try {
        await dev.bots(m.id, botsFor(m));
      } catch (e) {
        // No bots: leave the queue rather than wait for seats nobody fills.
        await lobby.cancelTicket(ticket.id).catch(() => {});
        throw e;
      }
    }
    const seat = await waitSeat(ticket, m);
    if (!seat) return;
    await play(m, seat, ticket, before, { archetype: a.id, loadout: [...pick.loadout], form });
  } catch (e) {
    show("lobby");
    err.textContent = errText(e);
  } finally {
    btn.disabled = false;
    queued = null;
  }
}

/** waitSeat shows the queue until the ticket is assigned (push or poll); null when cancelled. */
function waitSeat(ticket: Ticket, m: Mode): Promise<Seat | null> {
  show("queue");
  $("queue-title").textContent = `Searching for a ${m.name.toLowerCase()} match…`;
  $("queue-error").textContent = "";
  const started = Date.now();
  return new Promise<Seat | null>((resolve, reject) => {
    let done = false;
    const status = $("queue-status");
    const finish = (s: Seat | null, e?: unknown) => {
      if (done) return;
      done = true;
      clearInterval(tick);
      clearInterval(poll);
      off?.();
      if (e) reject(e);
      else resolve(s);
    };
    const tick = setInterval(() => {
      status.textContent = `Waiting ${Math.round((Date.now() - started) / 1000)} s · ticket ${ticket.id.slice(0, 8)}`;
    }, 500);
    const off = push?.on((ev: LobbyEvent) => {
      if (ev.ticket_id !== ticket.id) return;
      if (ev.type === "match_found" && ev.match) finish(ev.match);
      else if (ev.type === "queue_status" && ev.state && ["cancelled", "expired", "failed"].includes(ev.state)) finish(null, new Error(`Ticket ${ev.state}${ev.reason ? ": " + ev.reason : ""}`));
    });
    // Polling as well: the push channel may be reconnecting.
    const poll = setInterval(async () => {
      try {
        const t = await lobby.ticket(ticket.id);
        if (t.state === "assigned" && t.seat) finish(t.seat);
        else if (!["queued", "matched"].includes(t.state)) finish(null, new Error(`Ticket ${t.state}${t.reason ? ": " + t.reason : ""}`));
      } catch {
        // the next poll tries again
      }
    }, 2000);
    queued = {
      ticket,
      cancel: () => {
        lobby.cancelTicket(ticket.id).then(() => {
          finish(null);
          show("lobby");
        }, (e) => ($("queue-error").textContent = errText(e)));
      },
    };
  });
}

// --- match and result ---

let current: MatchView | null = null;

async function play(m: Mode, seat: Seat, ticket: Ticket, before: Rating, oracle: MyOracle): Promise<void> {
  show("match");
  expose({ matchId: seat.match_id, matchState: "connecting", outcome: undefined });
  current = new MatchView(content, m, seat, oracle, $<HTMLCanvasElement>("canvas"));
  let end: MatchEnd;
  try {
    end = await current.run();
  } finally {
    current = null;
  }
  expose({ sessionEnd: end.session.reason + ":" + end.session.codeName });
  // The result is durable once the lobby says the match ended (and the
  // room told us so with its bye after the match end): only then is it shown.
  const banner = $("hud-banner");
  banner.replaceChildren("Match over", el("small", { textContent: "waiting for the result to be saved…" }));
  const t = await waitEnded(ticket);
  if (t.state !== "ended") {
    showResultError(`The match did not finish: ticket ${t.state}${t.reason ? " (" + t.reason + ")" : ""}.`);
    return;
  }
  const stored = await dev.match(seat.match_id, 15_000);
  if (!stored) {
    showResultError(`The lobby reports the match ended (${t.outcome}), but its result is not in the database yet.`);
    return;
  }
  showResult(stored, before, end);
}

/**
 * waitEnded resolves with the ticket once it left assigned (push
 * match_ended, or polling), or as it is after timeoutMs (a room that never
 * started, a session that could not resume: the room server's deadlines
 * end the match, this one only bounds the wait).
 */
function waitEnded(ticket: Ticket, timeoutMs = 120_000): Promise<Ticket> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    let done = false;
    const finish = async () => {
      if (done) return;
      try {
        const t = await lobby.ticket(ticket.id);
        if ((t.state === "assigned" && Date.now() < deadline) || done) return;
        done = true;
        clearInterval(poll);
        off?.();
        resolve(t);
      } catch {
        // try again on the next poll
      }
    };
    const off = push?.on((ev) => {
      if (ev.type === "match_ended" && ev.ticket_id === ticket.id) void finish();
    });
    const poll = setInterval(finish, 1500);
    void finish();
  });
}

function showResultError(msg: string): void {
  $("result-title").textContent = "No result";
  $("result-title").className = "";
  $("result-sub").textContent = msg;
  for (const id of ["result-rating", "result-rewards", "result-codex", "result-seats"]) $(id).replaceChildren();
  show("result");
}

function showResult(r: StoredMatch, before: Rating, end: MatchEnd): void {
  const mine = r.participants.find((p) => p.you);
  const mode = content.modes.find((x) => x.id === r.mode);
  const title = $("result-title");
  const outcomeText: Record<string, string> = {
    ritual_success: "Ritual complete", ritual_failure: "Ritual failed", raid_win: "Raid victory", wipe: "Wiped", timeout: "Out of time",
    draw: "Draw", aborted: "Match aborted",
  };
  let text = outcomeText[r.outcome] ?? pretty(r.outcome);
  if (r.outcome === "team_win") text = mine?.result === "win" ? "Victory" : "Defeat";
  title.textContent = text;
  title.className = mine?.result === "win" ? "win" : mine?.result === "loss" ? "loss" : "";
  title.dataset.outcome = r.outcome;
  const place = [...content.arenas, ...content.raids, ...content.rituals].find((x) => x.id === r.arena);
  $("result-sub").textContent = `${mode?.name ?? r.mode} in ${place?.name ?? r.arena} · ${Math.round(r.duration_ms / 1000)} s, ${r.ticks} ticks · saved as match ${r.match_id.slice(0, 12)}` +
    (end.session.reason === "bye" ? "" : ` · session ended: ${end.session.codeName}`);

  const d = r.rating.mu - before.mu;
  const sign = d > 0.005 ? "+" : d < -0.005 ? "−" : "±";
  $("result-rating").replaceChildren(
    el("div", { className: "rating-big" }, `${r.rating.mu.toFixed(2)} `,
      el("span", { className: d > 0.005 ? "delta-up" : d < -0.005 ? "delta-down" : "muted", textContent: `(${sign}${Math.abs(d).toFixed(2)})` })),
    el("div", { className: "muted", textContent: `was ${before.mu.toFixed(2)} · σ ${before.sigma.toFixed(2)} → ${r.rating.sigma.toFixed(2)} · ${r.rating.matches} ${mode?.name ?? r.mode} match${r.rating.matches === 1 ? "" : "es"}` }),
    ...(Math.abs(d) < 0.005 && mode?.kind !== "battle" ? [el("div", { className: "muted", textContent: "Co-op matches leave the rating unchanged." })] : []));
  const rewards = $("result-rewards");
  // One line per currency (summed) and per item (counted).
  const sums = new Map<string, number>();
  for (const w of r.rewards) {
    const k = w.item_id ? "item:" + w.item_id : "cur:" + w.currency;
    sums.set(k, (sums.get(k) ?? 0) + (w.item_id ? 1 : (w.amount ?? 0)));
  }
  const lines = [...sums].map(([k, n]) => (k.startsWith("item:") ? `${pretty(k.slice(5))}${n > 1 ? " ×" + n : ""}` : `${n} ${k.slice(4)}`));
  rewards.replaceChildren(...(lines.length ? lines.map((t) => el("li", { textContent: t })) : [el("li", { className: "muted", textContent: "none" })]));
  const codex = $("result-codex");
  codex.replaceChildren(...(r.codex.length ? r.codex.map((id) => el("li", { textContent: content.codex.find((c) => c.id === id)?.name ?? pretty(id) })) : [el("li", { className: "muted", textContent: "none" })]));
  $("result-seats").replaceChildren(...r.participants.map((p) => {
    const tr = el("tr", { className: p.you ? "you" : "" });
    for (const v of [p.seat, p.team + 1, p.you ? "you" : p.player_id.slice(0, 8), p.result, p.kills, p.deaths, p.damage_dealt, p.healing, p.score]) tr.append(el("td", { textContent: String(v) }));
    return tr;
  }));
  expose({ result: { matchId: r.match_id, outcome: r.outcome, rewards: lines.length, mu: r.rating.mu, muBefore: before.mu } });
  show("result");
}

// --- wiring ---

$("login-guest").addEventListener("click", () => void login());
$("login-name").addEventListener("keydown", (e) => {
  if ((e as KeyboardEvent).key === "Enter") void login();
});
$("queue").addEventListener("click", () => void queue());
$("queue-cancel").addEventListener("click", () => queued?.cancel());
$("result-again").addEventListener("click", () => show("lobby"));
window.addEventListener("beforeunload", () => {
  current?.leave();
  push?.close();
});
// Touch screens get the virtual stick (also switched on by a first touch).
if (matchMedia("(pointer: coarse)").matches || navigator.maxTouchPoints > 0) document.body.classList.add("touch");
show("login");
