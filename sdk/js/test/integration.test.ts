// Integration: two SDK clients play a duel on a real `pantheon dev`.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import {
  EntityKind, EventKind, Field, InterpolationBuffer, LobbyClient, RoomSession,
  type LobbyEvent, type SessionEnd, type Ticket, type World,
} from "../src/index.js";
import { pantheonBinary, startDev, tempDir, type DevServer } from "./devserver.js";

const tmp = tempDir("pantheon-sdk-it-");
let dev: DevServer | undefined;
let skip: string | undefined;

before(async () => {
  const { bin, skip: why } = pantheonBinary(tmp.dir);
  if (!bin) {
    skip = why;
    return;
  }
  // Info logs: a failure quotes them (seats, drops, refusals, closes).
  dev = await startDev(bin, tmp.dir + "/dev", ["--log-level", "info"]);
});

after(async () => {
  await dev?.stop();
  tmp.remove();
});

/** A simple duellist: walk to the enemy oracle and cast every slot at it. */
function act(s: RoomSession, w: World, tick: number): void {
  const me = w.get(s.entityId);
  if (!me) {
    s.sendInput({});
    return;
  }
  let foe: { id: number; x: number; y: number } | undefined;
  for (const e of w.ofKind(EntityKind.Oracle)) {
    if (e.id !== s.entityId && e.fields[Field.Hp] > 0) foe = { id: e.id, x: e.fields[Field.X], y: e.fields[Field.Y] };
  }
  if (!foe) {
    s.sendInput({});
    return;
  }
  const dx = foe.x - me[Field.X];
  const dy = foe.y - me[Field.Y];
  const d = Math.hypot(dx, dy) || 1;
  const facing = Math.round((Math.atan2(dy, dx) / (2 * Math.PI)) * 256) & 255;
  const near = d < 400;
  s.sendInput({
    moveX: near ? 0 : Math.trunc((dx / d) * 1000),
    moveY: near ? 0 : Math.trunc((dy / d) * 1000),
    facing,
    castSlot: tick % 4,
    castTarget: foe.id,
    castX: foe.x,
    castY: foe.y,
  });
}

test("two SDK clients play a duel to the end on pantheon dev; one resumes mid-match; both see the same worlds", { timeout: 240_000 }, async (t) => {
  if (skip) {
    t.skip(skip);
    return;
  }
  const d = dev!;
  // What each session went through, with the tick: a failure names it, with
  // the server's log.
  const story: string[] = [];
  try {
    await duel(t, d, story);
  } catch (err) {
    t.diagnostic("sessions: " + story.join("; "));
    t.diagnostic("pantheon dev log, last 60 lines:\n" + d.log().trimEnd().split("\n").slice(-60).join("\n"));
    throw err;
  }
});

async function duel(t: { after(fn: () => void): void; diagnostic(msg: string): void }, d: DevServer, story: string[]): Promise<void> {
  const players = await Promise.all(
    ["alpha", "beta"].map(async (name, i) => {
      const lobby = new LobbyClient({ baseUrl: d.lobbyUrl, WebSocket: WebSocket as any });
      const tok = await lobby.guestLogin(`sdk-it-device-${name}-${process.pid}-${i}`, "sdk " + name);
      assert.equal(tok.token_type, "Bearer");
      // A refresh rotates the tokens and the client keeps working.
      const again = await lobby.refresh();
      assert.notEqual(again.refresh_token, tok.refresh_token);
      const content = await lobby.content();
      assert.equal(content.protocol, 2);
      assert.equal(await lobby.content(), content, "a second content() is answered 304 and served from the cache");
      const arch = content.archetypes![i % content.archetypes!.length];
      const oracle = await lobby.putOracle("main", { name: name, archetype: arch.id, role: "host", loadout: arch.default_loadout });
      assert.equal(oracle.archetype, arch.id);
      const roster = await lobby.oracles();
      assert.ok(roster.some((o) => o.id === "main"), "the roster lists the new oracle");
      const push = lobby.push({ minBackoffMs: 100 });
      t.after(() => push.close()); // also when an assertion fails: no reconnect loop outlives the test
      await push.opened();
      return { name, lobby, push };
    }),
  );

  // Queue, cancel and queue again: the cancelled ticket says so.
  const first = await players[0].lobby.queue("battle_1v1", "main");
  await players[0].lobby.cancelTicket(first.id);
  assert.equal((await players[0].lobby.ticket(first.id)).state, "cancelled");

  const found = players.map((p) => p.push.next((e: LobbyEvent) => e.type === "match_found", 60_000));
  const tickets: Ticket[] = [];
  for (const p of players) tickets.push(await p.lobby.queue("battle_1v1", "main"));
  const events = await Promise.all(found);
  const seats = await Promise.all(players.map((p, i) => p.lobby.waitForSeat(tickets[i].id, { timeoutMs: 30_000 })));
  for (let i = 0; i < 2; i++) {
    assert.equal(events[i].ticket_id, tickets[i].id);
    assert.equal(events[i].match?.match_id, seats[i].match_id);
  }
  assert.equal(seats[0].match_id, seats[1].match_id, "both seats in one match");
  const ended = players.map((p) => p.push.next((e) => e.type === "match_ended", 200_000));
  ended.forEach((p) => p.catch(() => {})); // a failed assertion before they are awaited closes the channels: no unhandled rejection

  const worlds: Map<number, World>[] = [new Map(), new Map()];
  const matchEnds: number[][][] = [[], []];
  const sessions = await Promise.all(
    seats.map((seat, i) =>
      RoomSession.connect({ url: seat.ws_url, ticket: seat.ticket, WebSocket: WebSocket as any, resumeBackoffMs: 100 }),
    ),
  );
  t.after(() => sessions.forEach((s) => s.close()));
  // Each client acts once a tick on its newest world, as a game loop would
  // (not once per snapshot: after a stall a backlog of snapshots arrives in
  // a burst, and an input for each would flood the server, which closes
  // such a connection with rate_limited).
  const loops = sessions.map((s) =>
    setInterval(() => {
      if (s.state === "playing" && !s.matchOver) act(s, s.world, s.world.tick);
    }, 1000 / sessions[0].tickRate),
  );
  t.after(() => loops.forEach((l) => clearInterval(l)));
  const interp = new InterpolationBuffer();
  const order: string[] = [];
  let dropped = false;
  let resumedAt = 0;
  sessions.forEach((s, i) => {
    assert.equal(s.seat, seats[i].seat);
    s.on("snapshot", (w) => {
      worlds[i].set(w.tick, w);
      if (i === 0) order.push("snapshot " + w.tick);
      if (i === 0) interp.push(w);
      if (s.matchOver) return;
      // Client 1 loses its connection mid-match and resumes.
      if (i === 1 && !dropped && w.tick >= 180) {
        dropped = true;
        s.drop();
      }
    });
    s.on("welcome", (_w, resumed) => {
      story.push(`client ${i} welcome${resumed ? " (resumed)" : ""} at tick ${s.world.tick}`);
      if (resumed) resumedAt = s.world.tick;
    });
    s.on("resuming", (cause) => story.push(`client ${i} resuming at tick ${s.world.tick} (match over: ${s.matchOver}): ${cause}`));
    s.on("end", (e) => story.push(`client ${i} ended at tick ${s.world.tick}: ${JSON.stringify(e)}`));
    s.on("events", (f) => {
      if (i === 0) order.push("events " + f.tick);
      for (const e of f.events) if (e[0] === EventKind.MatchEnd) matchEnds[i].push(e);
    });
  });
  const ends: SessionEnd[] = await Promise.all(sessions.map((s) => s.ended));
  loops.forEach((l) => clearInterval(l));
  for (let i = 0; i < 2; i++) {
    const s = sessions[i];
    assert.equal(ends[i].reason, "bye", `client ${i} ended ${JSON.stringify(ends[i])}`);
    assert.equal(ends[i].code, 0);
    assert.ok(ends[i].matchEnded, "the match-end event came before the bye");
    assert.equal(matchEnds[i].length, 1, "one match-end event");
    assert.ok(s.stats.snapshots > 100, `client ${i} applied ${s.stats.snapshots} snapshots`);
    assert.ok(s.clock.samples > 0 && s.clock.rttUs > 0, "pongs measured the round trip");
    assert.ok(s.lastInputAck > 0, "the server consumed inputs");
  }
  assert.deepEqual(matchEnds[0], matchEnds[1], "both saw the same match end");
  assert.ok(dropped && sessions[1].stats.resumes === 1, `client 1 resumed once (${sessions[1].stats.resumes})`);
  assert.ok(resumedAt >= 180, "the resume kept the applied worlds");

  // Both clients rebuilt the same world at every tick both applied.
  let common = 0;
  for (const [tick, w] of worlds[0]) {
    const o = worlds[1].get(tick);
    if (!o) continue;
    common++;
    assert.ok(w.equals(o), `tick ${tick}: the clients' worlds differ`);
  }
  assert.ok(common > 100, `${common} ticks in common`);
  const lastTick = Math.max(...worlds[0].keys());
  assert.ok(worlds[1].has(lastTick), "both applied the last snapshot");
  // Client 1 has worlds after its resume.
  assert.ok([...worlds[1].keys()].some((k) => k > resumedAt + 10));

  // Interpolation between two real snapshots stays between them.
  const mid = interp.sample(lastTick - 1.5);
  assert.ok(mid.length > 0);

  // The lobby reports the durable result to both.
  const endedEvents = await Promise.all(ended);
  for (let i = 0; i < 2; i++) {
    assert.equal(endedEvents[i].match_id, seats[i].match_id);
    const tk = await players[i].lobby.waitForResult(tickets[i].id, { timeoutMs: 30_000 });
    assert.equal(tk.state, "ended");
    assert.equal(tk.outcome, endedEvents[i].outcome);
  }
  t.diagnostic("client 0's last frames: " + order.slice(-4).join(", "));
  t.diagnostic(`match ${seats[0].match_id}: ${lastTick} ticks, outcome ${endedEvents[0].outcome}, ${common} ticks compared, ` +
    `client 1 resumed at tick ${resumedAt}; snapshots ${sessions.map((s) => s.stats.snapshots + " (" + s.stats.fullSnapshots + " full)").join(", ")}; ` +
    `rtt ${sessions.map((s) => (s.clock.rttUs / 1000).toFixed(2) + " ms").join(", ")}`);
  for (const p of players) p.push.close();
}
