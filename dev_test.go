package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/bench"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// TestMatchEndToEnd is the flow of DESIGN.md's "A match, end to end" on the
// real pieces wired as `pantheon dev` wires them: bots log in to the lobby,
// save an oracle, queue, get matched and placed on the room server (which
// heartbeats into the lobby), connect over KCP and WebSocket with the join
// tickets, play to the end; the result goes through the durable outbox into
// the database exactly once, with ratings, rewards and a replay that
// re-simulates to the same hashes. It runs on the embedded store and on
// PostgreSQL.
func TestMatchEndToEnd(t *testing.T) {
	backends := []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "pantheon.db") }},
		{"postgres", func(t *testing.T) string {
			u := testsvc.PostgresSchema(t)
			if _, err := sqlstore.Migrate(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			return u
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			o := testDevOptions(t, b.url(t))
			o.Lobby.AdminAddr = "127.0.0.1:0"
			// Twice the content's 60 Hz (the most the server allows): the same match in half the time.
			o.Room.Server.TickRates = map[string]int{"battle_1v1": 120}
			d, err := startDev(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := d.stop(); err != nil {
					t.Errorf("stop: %v", err)
				}
			}()
			var out bytes.Buffer
			rep, recs, err := d.playBots(ctx, 2, "battle_1v1", &out)
			t.Logf("bots:\n%s", out.String())
			if err != nil {
				t.Fatal(err)
			}
			// On loopback nothing should drop a session but the server
			// closing a bot whose reader fell behind as a slow consumer (at
			// 120 Hz, half a second of a loaded machine), which the bot then
			// resumes: that is the protocol working. Inputs are never rate
			// limited: a resume here once exposed input limits that ignored
			// the room's tick rate.
			roomPage := scrape(t, "http://"+d.room.AdminAddr()+"/metrics", d.fleetSecret)
			if n := promValue(roomPage, `pantheon_room_admissions_total{result="ok"}`); n < 2 {
				t.Errorf("room server admitted %v sessions, want at least the 2 bots (is the metrics page read right?)", n)
			}
			slow := promValue(roomPage, `pantheon_room_connection_closes_total{code="slow_consumer"}`)
			if float64(rep.Match.Resumes) > slow {
				t.Errorf("%d sessions resumed during a loopback match, %v of them closed as slow consumers", rep.Match.Resumes, slow)
			}
			for _, series := range []string{
				`pantheon_room_input_drops_total{reason="rate_limited"}`,
				`pantheon_room_connection_closes_total{code="rate_limited"}`,
			} {
				if n := promValue(roomPage, series); n != 0 {
					t.Errorf("%s is %v after a loopback match of bots sending one input a tick, want 0", series, n)
				}
			}
			if len(recs) != 1 {
				t.Fatalf("%d matches stored, want 1", len(recs))
			}
			checkStoredMatch(t, ctx, d, recs[0])
			for addr, series := range map[string]string{
				d.lobbyAdmin:       `pantheon_lobby_matches_total{mode="battle_1v1"} 1`,
				d.room.AdminAddr(): `pantheon_room_results_total`,
			} {
				secret := "" // the lobby's admin listener is private; the room's admin port wants the fleet secret
				if addr == d.room.AdminAddr() {
					secret = d.fleetSecret
				}
				if page := scrape(t, "http://"+addr+"/metrics", secret); !strings.Contains(page, series) {
					t.Errorf("%s/metrics lacks %s", addr, series)
				}
			}
		})
	}
}

// checkStoredMatch checks one stored battle: its participants, its replay,
// the ratings it moved and the rewards it credited.
func checkStoredMatch(t *testing.T, ctx context.Context, d *devSystem, rec contract.MatchRecord) {
	t.Helper()
	if rec.Mode != "battle_1v1" || len(rec.Participants) != 2 || rec.ContentVersion != d.content.Version() {
		t.Fatalf("record: mode %s, %d participants, content %s", rec.Mode, len(rec.Participants), rec.ContentVersion)
	}
	if rec.Outcome != contract.OutcomeTeamWin && rec.Outcome != contract.OutcomeDraw {
		t.Fatalf("outcome %q", rec.Outcome)
	}

	rep, err := ecs.DecodeReplay(rec.Replay)
	if err != nil {
		t.Fatalf("stored replay: %v", err)
	}
	div, err := ecs.VerifyReplay(d.content, rep)
	if err != nil || div != nil {
		t.Fatalf("stored replay does not re-simulate: %v %+v", err, div)
	}

	ids := []string{rec.Participants[0].PlayerID, rec.Participants[1].PlayerID}
	ratings, err := d.store.Ratings(ctx, rec.Mode, ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range ratings {
		if r.Matches != 1 {
			t.Errorf("player %s: rating counts %d matches, want 1", ids[i], r.Matches)
		}
	}
	if rec.Outcome == contract.OutcomeTeamWin {
		win, lose := 0, 1
		if rec.Participants[1].Result == contract.ResultWin {
			win, lose = 1, 0
		}
		if rec.Participants[win].Result != contract.ResultWin || rec.Participants[lose].Result != contract.ResultLoss {
			t.Fatalf("results %s/%s", rec.Participants[0].Result, rec.Participants[1].Result)
		}
		if ratings[win].Mu <= ratings[lose].Mu {
			t.Errorf("winner mu %.3f not above loser mu %.3f", ratings[win].Mu, ratings[lose].Mu)
		}
	}

	credited := map[string]int64{}
	for _, r := range rec.Rewards {
		if r.Currency != "" {
			credited[r.PlayerID+"/"+r.Currency] += r.Amount
		}
	}
	for key, want := range credited {
		player, currency, _ := strings.Cut(key, "/")
		got, err := d.store.Balance(ctx, player, currency)
		if err != nil || got != want {
			t.Errorf("%s balance %d (%v), want the match's rewards %d", key, got, err, want)
		}
	}
}

// promValue returns the value of one sample (name and labels exactly as
// the text exposition writes them) on a metrics page, 0 when absent.
func promValue(page, sample string) float64 {
	for _, line := range strings.Split(page, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return 0
}

// scrape GETs a metrics page.
func scrape(t *testing.T, url, secret string) string {
	t.Helper()
	code, b := bearerCall(t, "GET", url, secret)
	if code != http.StatusOK {
		t.Fatalf("GET %s: got %d %s, want 200", url, code, b)
	}
	return string(b)
}

// bearerCall sends method to url with secret (when set) as its bearer token
// and returns the status and up to 4 MiB of the body.
func bearerCall(t *testing.T, method, url, secret string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp.StatusCode, b
}

// TestLoginBench runs the bench's login scenario against the lobby as
// `pantheon dev` wires it: every login succeeds and is timed.
func TestLoginBench(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := startDev(ctx, testDevOptions(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	rep, err := bench.Run(ctx, bench.Config{Scenario: bench.ScenarioLogin, Lobby: d.lobbyURL, Clients: 200, LoginRate: 400, Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out.String())
	l := rep.Login
	if l == nil || l.OK != 200 || rep.Failed != 0 || l.Latency.Count != 200 || l.Latency.P95 <= 0 || l.Latency.P95 > l.Latency.Max {
		t.Fatalf("login report %+v (failed %d, errors %v)", l, rep.Failed, rep.Errors)
	}
	if !strings.Contains(out.String(), "200 ok") {
		t.Fatalf("text report:\n%s", out.String())
	}
}
