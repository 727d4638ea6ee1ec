package lobby

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/outbox"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// historyStores are the real stores the history API is tested on: SQLite
// always, PostgreSQL where PANTHEON_TEST_POSTGRES is set (skipped with a
// message otherwise; a failure with PANTHEON_REQUIRE_SERVICES=1).
func historyStores() []struct {
	name string
	url  func(t *testing.T) string
} {
	return []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"db=sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "lobby.db") }},
		{"db=postgres", func(t *testing.T) string { return testsvc.PostgresSchema(t) }},
	}
}

// openHistoryStore opens and migrates the store at url until the test ends.
func openHistoryStore(t *testing.T, url string) persistence.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()
	db, err := sqlstore.OpenConfig(ctx, sqlstore.Config{URL: url, AutoMigrate: true, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// withStore makes a harness use the real store db for everything durable.
func withStore(db persistence.Store) func(*Config, *Deps) {
	return func(_ *Config, d *Deps) {
		d.Accounts, d.Refresh, d.Rosters, d.Ratings, d.History, d.Database = db, db, db, db, db, db
	}
}

// flushResults writes recs the way a room server does: submitted to an
// outbox whose flusher applies them to db; it returns once every record
// is applied.
func flushResults(t *testing.T, db persistence.Store, recs ...contract.MatchRecord) {
	t.Helper()
	ob, err := outbox.Open(outbox.Config{Dir: filepath.Join(t.TempDir(), "outbox")}, db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	defer func() {
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("outbox run: %v", err)
		}
		if err := ob.Close(); err != nil {
			t.Errorf("outbox close: %v", err)
		}
	}()
	for _, r := range recs {
		if err := ob.Submit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "results flushed", func() bool {
		for _, r := range recs {
			if _, err := db.MatchDetail(ctx, r.MatchID); err != nil {
				return false
			}
		}
		return true
	})
}

// duel is a finished 1v1 in battle_1v1 won by a: 30 gold to a, a codex
// entry for a, a replay of replay's bytes (none when nil).
func duel(id, a, b string, start time.Time, replay []byte) contract.MatchRecord {
	return contract.MatchRecord{
		MatchID: id, RoomID: "r_" + id, ServerID: "room-1", Mode: "battle_1v1", Arena: "leviathan",
		ContentVersion: "v-test", Seed: 42, StartedAt: start, EndedAt: start.Add(90*time.Second + 250*time.Millisecond),
		Ticks: 2708, Outcome: contract.OutcomeTeamWin, WinningTeam: 0, FinalHash: 7,
		Participants: []contract.Participant{
			{PlayerID: a, Seat: 0, Team: 0, Result: contract.ResultWin, Kills: 2, DamageDealt: 500, Score: 900},
			{PlayerID: b, Seat: 1, Team: 1, Result: contract.ResultLoss, Deaths: 2, DamageTaken: 500, Score: 100},
		},
		Rewards: []contract.Reward{{PlayerID: a, Currency: "gold", Amount: 30}, {PlayerID: a, ItemID: "ember_shard"}},
		Codex:   []contract.CodexEntry{{PlayerID: a, EntryID: "first_flame", Tick: 100, Detail: "struck first"}},
		Replay:  replay,
	}
}

// TestHistoryAPI flushes two matches through an outbox into a real store
// and reads them back through every history endpoint of a real lobby.
func TestHistoryAPI(t *testing.T) {
	for _, be := range historyStores() {
		t.Run(be.name, func(t *testing.T) {
			db := openHistoryStore(t, be.url(t))
			h := newHarness(t, nil, withStore(db))
			a, b, c := h.guest("device-history-0001"), h.guest("device-history-0002"), h.guest("device-history-0003")
			start := time.Date(2026, 5, 1, 18, 0, 0, 0, time.UTC)
			replay := []byte("replay-bytes-\x00\x01\x02")
			flushResults(t, db,
				duel("hm1", a.PlayerID, b.PlayerID, start, replay),
				duel("hm2", b.PlayerID, c.PlayerID, start.Add(time.Hour), nil))

			// No auth: 401 on every route.
			for _, p := range []string{"/v1/me/matches", "/v1/matches/hm1", "/v1/matches/hm1/replay", "/v1/me/ratings",
				"/v1/leaderboards/battle_1v1", "/v1/me/wallet", "/v1/me/ledger", "/v1/me/codex"} {
				expect(t, "GET "+p+" without a token", h.do("GET", p, "", nil), 401, CodeUnauthorized)
			}

			// a's history: one match, with duration in ms.
			var ms struct {
				Matches    []matchSummaryView `json:"matches"`
				NextCursor string             `json:"next_cursor"`
			}
			r := h.do("GET", "/v1/me/matches", a.AccessToken, nil)
			expect(t, "my matches", r, 200, "")
			r.decode(t, &ms)
			if len(ms.Matches) != 1 || ms.NextCursor != "" {
				t.Fatalf("a's matches = %s", r.body)
			}
			if m := ms.Matches[0]; m.MatchID != "hm1" || m.Mode != "battle_1v1" || m.Arena != "leviathan" || m.Outcome != "team_win" ||
				m.Result != "win" || m.DurationMS != 90250 || m.ReplayBytes != int64(len(replay)) || m.ContentVersion != "v-test" ||
				m.EndedAt == nil || !m.EndedAt.Equal(start.Add(90250*time.Millisecond)) || m.Ticks != 2708 {
				t.Fatalf("a's match = %+v", m)
			}
			// b's, paged one at a time, newest first.
			r = h.do("GET", "/v1/me/matches?limit=1", b.AccessToken, nil)
			expect(t, "b's first page", r, 200, "")
			r.decode(t, &ms)
			if len(ms.Matches) != 1 || ms.Matches[0].MatchID != "hm2" || ms.NextCursor == "" {
				t.Fatalf("b's first page = %s", r.body)
			}
			r = h.do("GET", "/v1/me/matches?limit=1&cursor="+ms.NextCursor, b.AccessToken, nil)
			expect(t, "b's second page", r, 200, "")
			r.decode(t, &ms)
			if len(ms.Matches) != 1 || ms.Matches[0].MatchID != "hm1" || ms.Matches[0].Result != "loss" || ms.NextCursor != "" {
				t.Fatalf("b's second page = %s", r.body)
			}
			expect(t, "bad cursor", h.do("GET", "/v1/me/matches?cursor=%21%21", b.AccessToken, nil), 400, CodeBadRequest)
			expect(t, "bad limit", h.do("GET", "/v1/me/matches?limit=0", b.AccessToken, nil), 400, CodeBadRequest)
			expect(t, "huge limit is lowered", h.do("GET", "/v1/me/matches?limit=100000", b.AccessToken, nil), 200, "")

			// The match, for a participant.
			var mv matchView
			r = h.do("GET", "/v1/matches/hm1", a.AccessToken, nil)
			expect(t, "match detail", r, 200, "")
			r.decode(t, &mv)
			if mv.MatchID != "hm1" || mv.DurationMS != 90250 || mv.WinningTeam != 0 || len(mv.Teams) != 2 ||
				mv.Teams[0].Team != 0 || mv.Teams[0].Players[0].PlayerID != a.PlayerID || mv.Teams[0].Players[0].Kills != 2 ||
				mv.Teams[1].Players[0].PlayerID != b.PlayerID || mv.Teams[1].Players[0].Result != "loss" ||
				len(mv.Rewards) != 2 || mv.Rewards[0] != (rewardView{PlayerID: a.PlayerID, Currency: "gold", Amount: 30}) ||
				mv.Rewards[1].ItemID != "ember_shard" || mv.ReplayBytes != int64(len(replay)) || len(mv.RatingChanges) != 2 {
				t.Fatalf("match detail = %s", r.body)
			}
			if rc := mv.RatingChanges[0]; rc.PlayerID != a.PlayerID || rc.MuBefore != 25 || !(rc.MuAfter > rc.MuBefore) ||
				!(mv.RatingChanges[1].MuAfter < mv.RatingChanges[1].MuBefore) {
				t.Fatalf("rating changes = %+v", mv.RatingChanges)
			}
			// Someone else's match and an unknown one answer the same 404.
			other := h.do("GET", "/v1/matches/hm2", a.AccessToken, nil)
			expect(t, "another player's match", other, 404, CodeMatchNotFound)
			unknown := h.do("GET", "/v1/matches/nope", a.AccessToken, nil)
			expect(t, "unknown match", unknown, 404, CodeMatchNotFound)
			if !bytes.Equal(other.body, unknown.body) {
				t.Fatalf("404 bodies differ: %s vs %s", other.body, unknown.body)
			}

			// The replay, for participants only.
			r = h.do("GET", "/v1/matches/hm1/replay", b.AccessToken, nil)
			expect(t, "replay", r, 200, "")
			if !bytes.Equal(r.body, replay) || r.header.Get("Content-Type") != "application/octet-stream" {
				t.Fatalf("replay = %q (%s)", r.body, r.header.Get("Content-Type"))
			}
			expect(t, "another player's replay", h.do("GET", "/v1/matches/hm2/replay", a.AccessToken, nil), 404, CodeMatchNotFound)
			expect(t, "a match without a replay", h.do("GET", "/v1/matches/hm2/replay", c.AccessToken, nil), 404, CodeReplayNotFound)

			// Ratings and leaderboards.
			var rs struct {
				Ratings []ratingView `json:"ratings"`
			}
			r = h.do("GET", "/v1/me/ratings", a.AccessToken, nil)
			expect(t, "my ratings", r, 200, "")
			r.decode(t, &rs)
			if len(rs.Ratings) != 1 || rs.Ratings[0].Mode != "battle_1v1" || rs.Ratings[0].Matches != 1 ||
				rs.Ratings[0].Mu != mv.RatingChanges[0].MuAfter {
				t.Fatalf("a's ratings = %s", r.body)
			}
			var lb struct {
				Mode    string       `json:"mode"`
				Entries []ratingView `json:"entries"`
			}
			r = h.do("GET", "/v1/leaderboards/battle_1v1?limit=2", c.AccessToken, nil)
			expect(t, "leaderboard", r, 200, "")
			r.decode(t, &lb)
			// a won once, b won once and lost once, c lost once.
			if lb.Mode != "battle_1v1" || len(lb.Entries) != 2 || lb.Entries[0].Rank != 1 || lb.Entries[1].Rank != 2 ||
				!(lb.Entries[0].Score >= lb.Entries[1].Score) {
				t.Fatalf("leaderboard = %s", r.body)
			}
			r = h.do("GET", "/v1/leaderboards/battle_1v1?around=me&limit=1", c.AccessToken, nil)
			expect(t, "around me", r, 200, "")
			r.decode(t, &lb)
			if n := len(lb.Entries); n != 2 || lb.Entries[1].PlayerID != c.PlayerID || lb.Entries[1].Rank != 3 || lb.Entries[0].Rank != 2 {
				t.Fatalf("around c = %s", r.body)
			}
			expect(t, "unknown mode", h.do("GET", "/v1/leaderboards/chess", c.AccessToken, nil), 404, CodeUnknownMode)
			expect(t, "around someone", h.do("GET", "/v1/leaderboards/battle_1v1?around=you", c.AccessToken, nil), 400, CodeBadRequest)

			// Wallet, ledger, codex.
			var wv struct {
				Balances []balanceView `json:"balances"`
			}
			r = h.do("GET", "/v1/me/wallet", a.AccessToken, nil)
			expect(t, "my wallet", r, 200, "")
			r.decode(t, &wv)
			if len(wv.Balances) != 1 || wv.Balances[0] != (balanceView{Currency: "gold", Balance: 30}) {
				t.Fatalf("a's wallet = %s", r.body)
			}
			var lv struct {
				Entries    []ledgerView `json:"entries"`
				NextCursor string       `json:"next_cursor"`
			}
			r = h.do("GET", "/v1/me/ledger", a.AccessToken, nil)
			expect(t, "my ledger", r, 200, "")
			r.decode(t, &lv)
			if len(lv.Entries) != 1 || lv.NextCursor != "" || lv.Entries[0].Amount != 30 || lv.Entries[0].Currency != "gold" ||
				lv.Entries[0].Operation != "rewards" || lv.Entries[0].MatchID != "hm1" || lv.Entries[0].CreatedAt.IsZero() {
				t.Fatalf("a's ledger = %s", r.body)
			}
			var cv struct {
				Entries []codexView `json:"entries"`
			}
			r = h.do("GET", "/v1/me/codex", b.AccessToken, nil)
			expect(t, "b's codex", r, 200, "")
			r.decode(t, &cv)
			if len(cv.Entries) != 1 || cv.Entries[0] != (codexView{EntryID: "first_flame", MatchID: "hm2", Tick: 100, Detail: "struck first"}) {
				t.Fatalf("b's codex = %s", r.body)
			}
		})
	}
}

// TestHistoryEmpty: a new player's history routes answer empty lists
// (never null), on the real stores and the fake.
func TestHistoryEmpty(t *testing.T) {
	stores := historyStores()
	for _, be := range stores {
		t.Run(be.name, func(t *testing.T) {
			db := openHistoryStore(t, be.url(t))
			checkEmptyHistory(t, newHarness(t, nil, withStore(db)))
		})
	}
	t.Run("db=fake", func(t *testing.T) {
		checkEmptyHistory(t, newHarness(t, nil, func(_ *Config, d *Deps) { d.History = d.Ratings.(persistence.History) }))
	})
	t.Run("no history", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		tok := h.guest("device-history-none1").AccessToken
		expect(t, "matches without a history", h.do("GET", "/v1/me/matches", tok, nil), 404, CodeNotFound)
	})
}

// checkEmptyHistory checks every history route for a new player.
func checkEmptyHistory(t *testing.T, h *harness) {
	t.Helper()
	tok := h.guest("device-history-empty1").AccessToken
	for path, want := range map[string]string{
		"/v1/me/matches":                        `{"matches":[],"next_cursor":""}`,
		"/v1/me/ratings":                        `{"ratings":[]}`,
		"/v1/leaderboards/battle_1v1":           `{"entries":[],"mode":"battle_1v1"}`,
		"/v1/leaderboards/battle_1v1?around=me": `{"entries":[],"mode":"battle_1v1"}`,
		"/v1/me/wallet":                         `{"balances":[]}`,
		"/v1/me/ledger":                         `{"entries":[],"next_cursor":""}`,
		"/v1/me/codex":                          `{"entries":[]}`,
	} {
		r := h.do("GET", path, tok, nil)
		expect(t, path, r, 200, "")
		if got := string(bytes.TrimSpace(r.body)); got != want {
			t.Errorf("GET %s = %s, want %s", path, got, want)
		}
	}
	for _, p := range []string{"/v1/matches/m404", "/v1/matches/m404/replay"} {
		expect(t, fmt.Sprintf("GET %s", p), h.do("GET", p, tok, nil), 404, CodeMatchNotFound)
	}
}
