// Pantheon operator console: a page over the lobby's admin API
// (/admin/v1/). The fleet secret stays in sessionStorage and goes out as
// "Authorization: Bearer <secret>". Everything shown is built with
// textContent: server, room and player ids are never parsed as HTML.
"use strict";
(function () {
  const KEY = "pantheon.console.secret";
  const EVERY_MS = 3000;
  const $ = (id) => document.getElementById(id);
  let timer = null;

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "width") e.style.width = v; // CSSOM, allowed by the page's CSP (a style attribute is not)
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  const badge = (text) => el("span", { class: "badge " + text }, text);
  const ms = (v) => (v >= 60000 ? (v / 60000).toFixed(1) + " min" : v >= 1000 ? (v / 1000).toFixed(1) + " s" : v + " ms");
  const pct = (f) => { const p = f * 100; return (p > 0 && p < 10 ? p.toFixed(1) : Math.round(p)) + "%"; };
  const when = (t) => (t ? new Date(t).toLocaleTimeString() : "");

  async function api(method, path) {
    const res = await fetch(path, { method, headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) } });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const err = new Error((body && body.message) || res.status + " " + res.statusText);
      err.status = res.status;
      err.code = body && body.code;
      throw err;
    }
    return body;
  }

  function fill(tableId, rows, cols) {
    const tb = $(tableId).tBodies[0];
    tb.replaceChildren();
    if (!rows.length) {
      tb.append(el("tr", {}, el("td", { class: "empty", colspan: String(cols) }, "none")));
      return;
    }
    for (const r of rows) tb.append(r);
  }

  async function act(label, method, path) {
    if (!window.confirm(label + "?")) return;
    try {
      await api(method, path);
      setStatus(label + ": done");
    } catch (e) {
      setStatus(label + ": " + e.message, true);
    }
    refresh();
  }

  function setStatus(text, bad) {
    $("status").textContent = text;
    $("status").className = bad ? "error" : "";
  }

  function render(ov) {
    fill("servers", ov.servers.map((s) => el("tr", { "data-server": s.server_id },
      el("td", {}, s.server_id),
      el("td", {}, el("span", { class: "bar" }, el("span", { width: Math.min(100, Math.round(s.load * 100)) + "%" })), pct(s.load)),
      el("td", { class: "num" }, s.rooms + (s.placed ? " +" + s.placed : "") + " / " + s.max_rooms),
      el("td", { class: "num" }, s.players),
      el("td", { class: "num" }, s.tick_p99_ms.toFixed(2) + " ms"),
      el("td", { class: "num" }, s.outbox ? (s.outbox.exposed ? s.outbox.pending_records + " pending" : "n/a") : "?"),
      el("td", {}, badge(s.draining ? "draining" : "active")),
      el("td", {}, s.draining ? "" : el("button", { class: "danger", "data-action": "drain", onclick: () => act("Drain server " + s.server_id, "POST", "/admin/v1/servers/" + encodeURIComponent(s.server_id) + "/drain") }, "Drain")),
    )), 8);
    const o = ov.outbox;
    $("outbox").replaceChildren(
      el("dt", {}, "pending results"), el("dd", { id: "outbox-pending" }, o.pending_records),
      el("dt", {}, "pending bytes"), el("dd", {}, o.pending_bytes),
      el("dt", {}, "waiting for the outbox"), el("dd", {}, o.result_queue),
      el("dt", {}, "dead letters"), el("dd", {}, o.dead_letters),
      el("dt", {}, "flush failures"), el("dd", {}, o.flush_failures),
      el("dt", {}, "servers scraped"), el("dd", {}, o.scraped + " of " + ov.servers.length + (o.scraped && !o.exposing ? " (none exports outbox metrics)" : "")),
    );
    fill("queues", ov.queues.map((q) => el("tr", {},
      el("td", {}, q.mode), el("td", { class: "num" }, q.error ? "error" : q.size),
      el("td", { class: "num" }, ms(q.oldest_wait_ms)), el("td", { class: "num" }, ms(q.mean_wait_ms)))), 4);
    fill("bymode", Object.keys(ov.rooms_by_mode).sort().map((m) => {
      const c = ov.rooms_by_mode[m];
      return el("tr", {}, el("td", {}, m), el("td", { class: "num" }, c.waiting || 0), el("td", { class: "num" }, c.running || 0), el("td", { class: "num" }, c.ended || 0));
    }), 4);
    fill("rooms", ov.rooms.map((r) => el("tr", { "data-room": r.room_id },
      el("td", {}, r.room_id), el("td", {}, r.server_id), el("td", {}, r.mode), el("td", {}, badge(r.state)),
      el("td", { class: "num" }, r.players), el("td", { class: "num" }, r.tick), el("td", {}, r.match_id),
      el("td", {}, r.state === "ended" ? "" : el("button", { class: "danger", "data-action": "close", onclick: () => act("Close room " + r.room_id, "POST", "/admin/v1/rooms/" + encodeURIComponent(r.room_id) + "/close?server=" + encodeURIComponent(r.server_id)) }, "Close")),
    )), 8);
    fill("matches", ov.recent_matches.map((m) => el("tr", {},
      el("td", {}, m.match_id), el("td", {}, m.mode || ""), el("td", {}, m.server_id || ""),
      el("td", {}, (m.players || []).join(", ")), el("td", {}, when(m.placed_at)),
      el("td", {}, m.ended_at ? badge(m.outcome) : "playing", m.reason ? " " + m.reason : ""))), 6);
    $("updated").textContent = when(ov.now) + " (replica " + ov.replica + ")";
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      render(await api("GET", "/admin/v1/overview"));
      $("error").textContent = "";
    } catch (e) {
      if (e.status === 401 || e.status === 429) {
        logout(e.status === 401 ? "The fleet secret was refused." : e.message);
        return;
      }
      $("error").textContent = "Refresh failed: " + e.message;
    }
    timer = setTimeout(refresh, EVERY_MS);
  }

  async function lookup(id) {
    const box = $("player");
    box.replaceChildren(el("p", { class: "empty" }, "loading..."));
    let p;
    try {
      p = await api("GET", "/admin/v1/players/" + encodeURIComponent(id));
    } catch (e) {
      box.replaceChildren(el("p", { class: "error" }, e.message));
      return;
    }
    const tickets = el("table", { id: "player-tickets" }, el("thead", {}, el("tr", {}, ...["ticket", "mode", "state", "match", "enqueued", "outcome"].map((h) => el("th", {}, h)))), el("tbody"));
    for (const t of p.tickets) tickets.tBodies[0].append(el("tr", {}, el("td", {}, t.id), el("td", {}, t.mode), el("td", {}, badge(t.state)), el("td", {}, t.match_id || ""), el("td", {}, when(t.enqueued_at)), el("td", {}, t.outcome || t.reason || "")));
    if (!p.tickets.length) tickets.tBodies[0].append(el("tr", {}, el("td", { class: "empty", colspan: "6" }, "no tickets")));
    const sessions = el("table", { id: "player-sessions" }, el("thead", {}, el("tr", {}, ...["session", "refreshes", "expires", "state"].map((h) => el("th", {}, h)))), el("tbody"));
    for (const s of p.sessions) sessions.tBodies[0].append(el("tr", {}, el("td", {}, s.id), el("td", { class: "num" }, s.generation), el("td", {}, new Date(s.expires_at).toLocaleString()), el("td", {}, badge(s.live ? "live" : "revoked"))));
    if (!p.sessions.length) sessions.tBodies[0].append(el("tr", {}, el("td", { class: "empty", colspan: "4" }, "no sessions")));
    box.replaceChildren(
      el("h3", {}, p.player_id + (p.display_name ? " (" + p.display_name + ")" : "")),
      el("p", {}, "created " + new Date(p.created_at).toLocaleString() + (p.revoked_before ? "; tokens issued before " + new Date(p.revoked_before).toLocaleString() + " revoked" : "")),
      el("h4", {}, "Tickets"), tickets,
      el("h4", {}, "Sessions"), sessions,
      el("p", {}, el("button", { class: "danger", "data-action": "revoke", onclick: async () => { await act("Revoke every session of " + p.player_id, "POST", "/admin/v1/players/" + encodeURIComponent(p.player_id) + "/revoke"); lookup(p.player_id); } }, "Revoke sessions")),
    );
  }

  function show(loggedIn) {
    $("login").hidden = loggedIn;
    $("console").hidden = !loggedIn;
    $("logout").hidden = !loggedIn;
  }

  function logout(why) {
    clearTimeout(timer);
    sessionStorage.removeItem(KEY);
    show(false);
    $("login-error").textContent = why || "";
  }

  $("every").textContent = String(EVERY_MS / 1000);
  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, $("secret").value);
    $("secret").value = "";
    $("login-error").textContent = "";
    show(true);
    refresh();
  });
  $("logout").addEventListener("click", () => logout(""));
  $("player-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    lookup($("player-id").value.trim());
  });
  if (sessionStorage.getItem(KEY)) {
    show(true);
    refresh();
  } else {
    show(false);
  }
})();
