package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/lobby"
)

// startConsoleDev starts `pantheon dev` with the lobby's admin address (and
// so the console) on a free port.
func startConsoleDev(t *testing.T) *devSystem {
	t.Helper()
	d := startTestDev(t, func(o *devOptions) { o.Lobby.AdminAddr = "127.0.0.1:0" })
	if d.lobbyAdmin == "" {
		t.Fatal("the lobby admin address is off; the console needs it")
	}
	return d
}

// adminCall sends one request to the console's admin API with secret ("":
// none) and returns the status and body.
func adminCall(t *testing.T, d *devSystem, method, path, secret string) (int, []byte) {
	t.Helper()
	return bearerCall(t, method, "http://"+d.lobbyAdmin+path, secret)
}

// admin is adminCall with the fleet secret, failing unless it answers want;
// out, when set, receives the body.
func admin(t *testing.T, d *devSystem, method, path string, want int, out any) {
	t.Helper()
	code, data := adminCall(t, d, method, path, d.fleetSecret)
	if code != want {
		t.Fatalf("%s %s: got %d %s, want %d", method, path, code, data, want)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
}

// waitFor polls cond every 50 ms until it holds, failing after 30 s with
// what it was waiting for.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s still waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// matchedPair logs two players in, saves their oracles and queues both
// for a 1v1; it returns them and their tickets.
func matchedPair(t *testing.T, d *devSystem, tag string) ([]*apiPlayer, []string) {
	t.Helper()
	seats, err := bot.Seats(d.content, crashMode, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*apiPlayer
	var tickets []string
	for i := range 2 {
		p := newAPIPlayer(t, d.lobbyURL, fmt.Sprintf("device-console-%s-%06d", tag, i))
		p.saveOracle(t, seats[i].Oracle)
		ps = append(ps, p)
	}
	for _, p := range ps {
		tickets = append(tickets, p.queue(t))
	}
	return ps, tickets
}

// TestConsoleAuth: every admin API call needs the fleet secret (401
// unauthorized without it or with a wrong one, as a JSON error body);
// the page itself is served without it and holds no secret.
func TestConsoleAuth(t *testing.T) {
	d := startConsoleDev(t)
	for _, c := range []struct{ method, path string }{
		{"GET", "/admin/v1/overview"},
		{"GET", "/admin/v1/players/p_x"},
		{"POST", "/admin/v1/servers/room-1/drain"},
		{"POST", "/admin/v1/rooms/r_x/close"},
		{"POST", "/admin/v1/players/p_x/revoke"},
	} {
		code, body := adminCall(t, d, c.method, c.path, "")
		var e struct{ Code string }
		_ = json.Unmarshal(body, &e)
		if code != http.StatusUnauthorized || e.Code != lobby.CodeUnauthorized {
			t.Errorf("%s %s without the secret: got %d %s, want 401 unauthorized", c.method, c.path, code, body)
		}
	}
	if code, body := adminCall(t, d, "GET", "/admin/v1/overview", "wrong-secret"); code != http.StatusUnauthorized {
		t.Errorf("overview with a wrong secret: got %d %s, want 401", code, body)
	}
	if d.room.Draining() {
		t.Error("an unauthenticated drain drained the server")
	}
	code, body := adminCall(t, d, "GET", "/console", "")
	if code != http.StatusOK || !strings.Contains(string(body), "Pantheon operator console") || strings.Contains(string(body), d.fleetSecret) {
		t.Errorf("GET /console: got %d (%d bytes), want 200 with the page and without the secret", code, len(body))
	}
	admin(t, d, "GET", "/admin/v1/nope", http.StatusNotFound, nil)
	admin(t, d, "GET", "/admin/v1/players/p_unknown", http.StatusNotFound, nil)
	admin(t, d, "POST", "/admin/v1/servers/no-such-server/drain", http.StatusNotFound, nil)
	admin(t, d, "POST", "/admin/v1/rooms/r_unknown/close", http.StatusNotFound, nil)
}

// TestConsoleOverview: the overview lists the room server with its
// capacity, a match two players were placed in (room, recent match), the
// queues of every mode and the outbox backlog scraped from the room
// server's /metrics.
func TestConsoleOverview(t *testing.T) {
	d := startConsoleDev(t)
	ps, tickets := matchedPair(t, d, "overview")
	seat := ps[0].waitSeat(t, tickets[0])
	var ov lobby.Overview
	admin(t, d, "GET", "/admin/v1/overview", http.StatusOK, &ov)
	if len(ov.Servers) != 1 || ov.Servers[0].MaxRooms == 0 || ov.Servers[0].Draining {
		t.Fatalf("servers: got %+v, want the one room server, not draining", ov.Servers)
	}
	if ov.Servers[0].Outbox == nil || !ov.Servers[0].Outbox.Exposed || ov.Outbox.Scraped != 1 {
		t.Errorf("outbox: got %+v (server: %+v, %s), want the room server's outbox metrics scraped", ov.Outbox, ov.Servers[0].Outbox, ov.Servers[0].OutboxError)
	}
	if !slices.ContainsFunc(ov.Rooms, func(r lobby.ConsoleRoom) bool { return r.MatchID == seat.MatchID && r.Mode == crashMode }) {
		t.Errorf("rooms: got %+v, want match %s's room", ov.Rooms, seat.MatchID)
	}
	if n := ov.RoomsByMode[crashMode]["waiting"] + ov.RoomsByMode[crashMode]["running"]; n < 1 {
		t.Errorf("rooms by mode: got %v, want a %s room waiting or running", ov.RoomsByMode, crashMode)
	}
	if !slices.ContainsFunc(ov.RecentMatches, func(m lobby.RecentMatch) bool {
		return m.MatchID == seat.MatchID && m.ServerID == ov.Servers[0].ServerID && slices.Contains(m.Players, ps[1].id)
	}) {
		t.Errorf("recent matches: got %+v, want match %s", ov.RecentMatches, seat.MatchID)
	}
	if !slices.ContainsFunc(ov.Queues, func(q lobby.ConsoleQueue) bool { return q.Mode == crashMode && q.Error == "" }) {
		t.Errorf("queues: got %+v, want %s's", ov.Queues, crashMode)
	}
}

// TestControlDrain: draining a server from the console makes the room
// server drain (refusing rooms) and the lobby's registry say draining at
// once, and placement then skips it: a match formed afterwards is
// requeued with no_room_server and no room is created.
func TestControlDrain(t *testing.T) {
	d := startConsoleDev(t)
	var ov lobby.Overview
	admin(t, d, "GET", "/admin/v1/overview", http.StatusOK, &ov)
	if len(ov.Servers) != 1 {
		t.Fatalf("servers: got %d, want 1", len(ov.Servers))
	}
	id := ov.Servers[0].ServerID
	var got struct {
		ServerID string `json:"server_id"`
		Draining bool   `json:"draining"`
	}
	admin(t, d, "POST", "/admin/v1/servers/"+id+"/drain", http.StatusOK, &got)
	if !got.Draining || got.ServerID != id || !d.room.Draining() {
		t.Fatalf("drain: got %+v, room server draining %v; want %s draining", got, d.room.Draining(), id)
	}
	admin(t, d, "GET", "/admin/v1/overview", http.StatusOK, &ov)
	if !ov.Servers[0].Draining {
		t.Fatalf("overview right after the drain: got %+v, want draining", ov.Servers[0])
	}
	ps, tickets := matchedPair(t, d, "drain")
	reason := waitQueueReason(t, ps[0], tickets[0])
	if reason != lobby.ReasonWaitingForServer && reason != lobby.ReasonNoRoomServer {
		t.Fatalf("queue_status of %s: got reason %q, want %s or %s", tickets[0], reason, lobby.ReasonWaitingForServer, lobby.ReasonNoRoomServer)
	}
	var tk struct {
		State string `json:"state"`
	}
	ps[0].call(t, "GET", "/v1/tickets/"+tickets[0], nil, http.StatusOK, &tk)
	if tk.State != "queued" || d.room.Heartbeat().Rooms != 0 {
		t.Fatalf("after the drain: ticket %s, room server hosting %d rooms; want queued and none", tk.State, d.room.Heartbeat().Rooms)
	}
	// A second drain is harmless.
	admin(t, d, "POST", "/admin/v1/servers/"+id+"/drain", http.StatusOK, nil)
}

// TestConsoleCloseRoom: closing a placed match's room from the console
// ends it on the room server as aborted; the players' tickets end and the
// recent match shows the outcome; closing it again is 404.
func TestConsoleCloseRoom(t *testing.T) {
	d := startConsoleDev(t)
	ps, tickets := matchedPair(t, d, "close")
	seat := ps[0].waitSeat(t, tickets[0])
	var ov lobby.Overview
	admin(t, d, "GET", "/admin/v1/overview", http.StatusOK, &ov)
	i := slices.IndexFunc(ov.Rooms, func(r lobby.ConsoleRoom) bool { return r.MatchID == seat.MatchID })
	if i < 0 {
		t.Fatalf("rooms: got %+v, want match %s's", ov.Rooms, seat.MatchID)
	}
	room := ov.Rooms[i].RoomID
	admin(t, d, "POST", "/admin/v1/rooms/"+room+"/close", http.StatusOK, nil)
	waitFor(t, "the closed match to show aborted among the recent matches", func() bool {
		admin(t, d, "GET", "/admin/v1/overview", http.StatusOK, &ov)
		return slices.ContainsFunc(ov.RecentMatches, func(m lobby.RecentMatch) bool {
			return m.MatchID == seat.MatchID && m.Outcome == "aborted"
		}) && !slices.ContainsFunc(ov.Rooms, func(r lobby.ConsoleRoom) bool { return r.RoomID == room })
	})
	code, body := adminCall(t, d, "POST", "/admin/v1/rooms/"+room+"/close", d.fleetSecret)
	if code != http.StatusNotFound || !strings.Contains(string(body), lobby.CodeRoomNotFound) {
		t.Errorf("closing it again: got %d %s, want 404 room_not_found", code, body)
	}
}

// TestConsolePlayerRevoke: the player lookup shows a player's ticket and
// live session; revoking from the console makes the player's access token
// fail (401 session_revoked) and the lookup show the session revoked.
func TestConsolePlayerRevoke(t *testing.T) {
	d := startConsoleDev(t)
	ps, tickets := matchedPair(t, d, "revoke")
	ps[0].waitSeat(t, tickets[0])
	var p lobby.ConsolePlayer
	admin(t, d, "GET", "/admin/v1/players/"+ps[0].id, http.StatusOK, &p)
	if p.PlayerID != ps[0].id || len(p.Tickets) == 0 {
		t.Fatalf("lookup: got %+v, want player %s with ticket %s", p, ps[0].id, tickets[0])
	}
	raw := func() string {
		_, body := adminCall(t, d, "GET", "/admin/v1/players/"+ps[0].id, d.fleetSecret)
		return string(body)
	}
	if s := raw(); !strings.Contains(s, tickets[0]) || !strings.Contains(s, `"live":true`) {
		t.Fatalf("lookup: got %s, want ticket %s and a live session", s, tickets[0])
	}
	ps[0].call(t, "GET", "/v1/me", nil, http.StatusOK, nil)
	admin(t, d, "POST", "/admin/v1/players/"+ps[0].id+"/revoke", http.StatusOK, nil)
	ps[0].call(t, "GET", "/v1/me", nil, http.StatusUnauthorized, nil)
	ps[1].call(t, "GET", "/v1/me", nil, http.StatusOK, nil) // the other player is untouched
	admin(t, d, "GET", "/admin/v1/players/"+ps[0].id, http.StatusOK, &p)
	if len(p.Sessions) == 0 || slices.ContainsFunc(p.Sessions, func(s lobby.ConsoleSession) bool { return s.Live }) || p.RevokedBefore.IsZero() {
		t.Errorf("lookup after the revoke: got sessions %+v, cutoff %v; want every session revoked and a cutoff", p.Sessions, p.RevokedBefore)
	}
}

// waitQueueReason reads p's push events until a queue_status of ticket
// with a reason, for at most 30 s, and returns the reason.
func waitQueueReason(t *testing.T, p *apiPlayer, ticket string) string {
	t.Helper()
	_ = p.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, data, err := p.ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for a queue_status with a reason for %s: %v", ticket, err)
		}
		var ev struct {
			Type     string `json:"type"`
			TicketID string `json:"ticket_id"`
			Reason   string `json:"reason"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		if ev.Type == "match_found" {
			t.Fatalf("placed on a draining server: %s", data)
		}
		if ev.Type == "queue_status" && ev.TicketID == ticket && ev.Reason != "" {
			return ev.Reason
		}
	}
}

// TestDevPrintsConsole: `pantheon dev` prints the console's address (on
// its lobby admin address) with the fleet secret to sign in with.
func TestDevPrintsConsole(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr strings.Builder
	code := runDev(t.Context(), []string{"-bots", "0", "-once", "-lobby", "127.0.0.1:0", "-lobby-admin", "127.0.0.1:0",
		"-kcp", "127.0.0.1:0", "-ws", "127.0.0.1:0", "-admin", "127.0.0.1:0",
		"-db", "sqlite:" + dir + "/pantheon.db", "-outbox", dir + "/outbox"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("pantheon dev -once: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	var console string
	for line := range strings.Lines(stdout.String()) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "console" {
			console = f[1]
		}
	}
	if !strings.HasPrefix(console, "http://127.0.0.1:") || !strings.HasSuffix(console, "/console") || !strings.Contains(stdout.String(), "fleet secret") {
		t.Fatalf("banner: got console %q in\n%s\nwant http://127.0.0.1:PORT/console and the fleet secret", console, stdout.String())
	}
}
