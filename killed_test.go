package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs/bot"
	"github.com/pantheon-oracles/pantheon/ecs/content"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// lobbyCall is one JSON call to the lobby's public API.
func lobbyCall(ctx context.Context, base, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// lobbyTicket is the part of a ticket body the test reads.
type lobbyTicket struct {
	ID      string           `json:"id"`
	State   string           `json:"state"`
	MatchID string           `json:"match_id"`
	Outcome contract.Outcome `json:"outcome"`
	Reason  string           `json:"reason"`
	Seat    *struct {
		WSURL  string `json:"ws_url"`
		Ticket string `json:"ticket"`
		Seat   int    `json:"seat"`
		Team   int    `json:"team"`
	} `json:"seat"`
}

// TestRoomServerKilledMidMatch: a room server process (with its outbox and
// journal) is SIGKILLed while its match runs, and restarted on the same
// disk. Its room becomes an aborted record in PostgreSQL, the players'
// wagers are refunded, and the lobby settles both tickets as ended
// (aborted, room_server_restarted) so the players can queue again.
func TestRoomServerKilledMidMatch(t *testing.T) {
	if testing.Short() {
		t.Skip("child room server processes (skipped in -short)")
	}
	dbURL := testsvc.PostgresSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := sqlstore.Migrate(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	bundle, err := content.Load()
	if err != nil {
		t.Fatal(err)
	}
	o := testDevOptions(t, dbURL)
	o.NoRoom = true
	d, err := startDev(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	dir := t.TempDir()
	env := []string{crashDBEnv + "=" + dbURL, crashLobbyEnv + "=" + d.lobbyURL + " " + d.fleetSecret, crashContent + "=embedded"}
	child := startCrashChild(t, dir, "", 0, env...)

	// Two players queue for a duel and are placed on the child.
	seats, err := bot.Seats(bundle, crashMode, 2, 7)
	if err != nil {
		t.Fatal(err)
	}
	type player struct {
		id, token, ticket string
	}
	var players []player
	for i, st := range seats {
		var login struct {
			PlayerID    string `json:"player_id"`
			AccessToken string `json:"access_token"`
		}
		if err := lobbyCall(ctx, d.lobbyURL, "POST", "/v1/auth/guest", "", map[string]string{"device_id": fmt.Sprintf("device-killed-%04d", i)}, &login); err != nil {
			t.Fatal(err)
		}
		o := st.Oracle
		if err := lobbyCall(ctx, d.lobbyURL, "PUT", "/v1/me/oracles/main", login.AccessToken, map[string]any{
			"name": "main", "archetype": o.Archetype, "role": o.Role, "loadout": o.Loadout, "pet": o.Pet, "form": o.Form, "totem": o.Totem}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := d.store.Grant(ctx, persistence.Grant{IdempotencyKey: "seed-" + login.PlayerID, PlayerID: login.PlayerID, Currency: "gold", Amount: 100, Reason: "test"}); err != nil {
			t.Fatal(err)
		}
		players = append(players, player{id: login.PlayerID, token: login.AccessToken})
	}
	waitServer := time.Now().Add(30 * time.Second)
	for i := range players {
		var tk lobbyTicket
		for {
			err := lobbyCall(ctx, d.lobbyURL, "POST", "/v1/tickets", players[i].token, map[string]string{"mode": crashMode, "oracle_id": "main"}, &tk)
			if err == nil {
				break
			}
			if time.Now().After(waitServer) {
				t.Fatalf("queue: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		players[i].ticket = tk.ID
	}
	assigned := make([]lobbyTicket, len(players))
	for i, p := range players {
		deadline := time.Now().Add(60 * time.Second)
		for {
			var tk lobbyTicket
			if err := lobbyCall(ctx, d.lobbyURL, "GET", "/v1/tickets/"+url.PathEscape(p.ticket), p.token, nil, &tk); err != nil {
				t.Fatal(err)
			}
			if tk.State == "assigned" && tk.Seat != nil {
				assigned[i] = tk
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ticket %s still %s after 60 s\nchild stderr:\n%s", p.ticket, tk.State, child.out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	matchID := assigned[0].MatchID
	for _, p := range players {
		if _, err := d.store.PlaceWager(ctx, persistence.Wager{IdempotencyKey: "wager-" + p.id, MatchID: matchID, PlayerID: p.id, Currency: "gold", Amount: 40}); err != nil {
			t.Fatal(err)
		}
	}
	// Both play; the room runs; the server dies mid-match.
	var bots []*crashBot
	for i, tk := range assigned {
		st := seats[i]
		st.Seat, st.Team, st.PlayerID = tk.Seat.Seat, tk.Seat.Team, players[i].id
		b, err := startCrashBot(ctx, bundle, st, tk.Seat.Ticket, tk.Seat.WSURL, uint64(i), func() {})
		if err != nil {
			t.Fatalf("player %d connect: %v", i, err)
		}
		bots = append(bots, b)
	}
	time.Sleep(500 * time.Millisecond) // a few hundred ticks of play
	child.kill()
	child.wait(t, 30*time.Second)
	for _, b := range bots {
		b.close()
	}
	for _, p := range players {
		if bal, err := d.store.Balance(ctx, p.id, "gold"); err != nil || bal != 60 {
			t.Fatalf("player %s: balance %d (%v) with the wager escrowed, want 60", p.id, bal, err)
		}
	}

	// Restarted on the same disk, the server records the lost room.
	child = startCrashChild(t, dir, "", 0, env...)
	defer child.stop(t)
	rec, err := d.waitStored(ctx, matchID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != contract.OutcomeAborted || len(rec.Participants) != 2 {
		t.Fatalf("recovered match %s: outcome %s, %d participants; want aborted with 2", matchID, rec.Outcome, len(rec.Participants))
	}
	for _, p := range players {
		if bal, err := d.store.Balance(ctx, p.id, "gold"); err != nil || bal != 100 {
			t.Fatalf("player %s: balance %d (%v) after the aborted match, want 100 (wager refunded)", p.id, bal, err)
		}
	}
	for _, p := range players {
		deadline := time.Now().Add(30 * time.Second)
		for {
			var tk lobbyTicket
			if err := lobbyCall(ctx, d.lobbyURL, "GET", "/v1/tickets/"+url.PathEscape(p.ticket), p.token, nil, &tk); err != nil {
				t.Fatal(err)
			}
			if tk.State == "ended" {
				if tk.Outcome != contract.OutcomeAborted || tk.Reason != "room_server_restarted" || tk.MatchID != matchID {
					t.Fatalf("ticket %s ended as %+v, want outcome aborted, reason room_server_restarted, match %s", p.ticket, tk, matchID)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ticket %s still %s 30 s after the restart", p.ticket, tk.State)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// And the player can queue again.
		if err := lobbyCall(ctx, d.lobbyURL, "POST", "/v1/tickets", p.token, map[string]string{"mode": crashMode, "oracle_id": "main"}, nil); err != nil {
			t.Fatalf("queue again after the aborted match: %v", err)
		}
	}
}
