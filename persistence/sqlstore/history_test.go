package sqlstore_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
)

// testHistory flushes three matches through an outbox and reads each
// History listing back.
func testHistory(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b, c := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b"), storetest.MustPlayer(t, s, "c")
	m1 := storetest.Battle("m1", a.ID, b.ID)
	m2 := storetest.Battle("m2", a.ID, c.ID) // a's newest: ends a minute later
	m2.StartedAt, m2.EndedAt = m2.StartedAt.Add(time.Minute), m2.EndedAt.Add(time.Minute)
	m2.Replay = nil
	m3 := storetest.Battle("m3", b.ID, c.ID) // a absent
	m3.StartedAt, m3.EndedAt = m3.StartedAt.Add(2*time.Minute), m3.EndedAt.Add(2*time.Minute)
	before, err := s.Ratings(ctx, "battle_1v1", []string{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	storetest.Flush(t, s, m1, m2, m3)

	// Matches of a: m2 then m1, one per page.
	p1, next, err := s.MatchesOf(ctx, a.ID, persistence.Page{Limit: 1})
	if err != nil || len(p1) != 1 || p1[0].MatchID != "m2" || next == "" {
		t.Fatalf("page 1 = %+v, %q, %v", p1, next, err)
	}
	p2, next2, err := s.MatchesOf(ctx, a.ID, persistence.Page{Cursor: next, Limit: 1})
	if err != nil || len(p2) != 1 || p2[0].MatchID != "m1" || next2 != "" {
		t.Fatalf("page 2 = %+v, %q, %v", p2, next2, err)
	}
	got := p2[0]
	want := persistence.MatchSummary{MatchID: "m1", Mode: "battle_1v1", Arena: "leviathan", ContentVersion: "c1",
		StartedAt: m1.StartedAt, EndedAt: m1.EndedAt, Ticks: 5400, Outcome: contract.OutcomeTeamWin,
		Result: contract.ResultWin, Team: 0, ReplaySize: int64(len(m1.Replay))}
	if got != want {
		t.Fatalf("summary =\n%+v\nwant\n%+v", got, want)
	}
	if got.Duration() != 3*time.Minute || p1[0].ReplaySize != 0 {
		t.Fatalf("duration %v, m2 replay size %d", got.Duration(), p1[0].ReplaySize)
	}
	all, _, err := s.MatchesOf(ctx, b.ID, persistence.Page{Limit: 10})
	if err != nil || len(all) != 2 || all[0].MatchID != "m3" || all[1].MatchID != "m1" || all[1].Result != contract.ResultLoss {
		t.Fatalf("matches of b = %+v, %v", all, err)
	}
	if _, _, err := s.MatchesOf(ctx, a.ID, persistence.Page{Cursor: "!!", Limit: 1}); !errors.Is(err, persistence.ErrInvalid) {
		t.Fatalf("bad cursor err = %v", err)
	}

	// Detail of m1: the record without replay bytes, the rating change.
	d, err := s.MatchDetail(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if d.MatchID != "m1" || len(d.Participants) != 2 || len(d.Rewards) != 3 || len(d.Codex) != 1 || d.Replay != nil ||
		d.ReplaySize != int64(len(m1.Replay)) || !d.Participated(a.ID) || !d.Participated(b.ID) || d.Participated(c.ID) {
		t.Fatalf("detail = %+v", d)
	}
	after, err := s.Ratings(ctx, "battle_1v1", []string{a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.RatingChanges) != 2 {
		t.Fatalf("rating changes = %+v", d.RatingChanges)
	}
	ra, rb := d.RatingChanges[0], d.RatingChanges[1]
	if ra.PlayerID != a.ID || ra.Before.Mu != before[0].Mu || ra.Before.Sigma != before[0].Sigma || !(ra.After.Mu > ra.Before.Mu) ||
		rb.PlayerID != b.ID || rb.Before.Mu != before[1].Mu || !(rb.After.Mu < rb.Before.Mu) {
		t.Fatalf("rating changes = %+v (before %+v)", d.RatingChanges, before)
	}
	// a's last match was m2, so a's rating now is m2's after.
	d2, err := s.MatchDetail(ctx, "m2")
	if err != nil || len(d2.RatingChanges) != 2 || d2.RatingChanges[0].Before.Mu != ra.After.Mu ||
		d2.RatingChanges[0].After.Mu != after[0].Mu || d2.RatingChanges[0].After.Sigma != after[0].Sigma {
		t.Fatalf("m2 rating changes = %+v, %v (now %+v)", d2.RatingChanges, err, after)
	}
	// A second flush of the same record changes nothing (exactly once).
	storetest.Flush(t, s, m1)
	if again, err := s.MatchDetail(ctx, "m1"); err != nil || len(again.RatingChanges) != 2 || again.RatingChanges[0] != ra {
		t.Fatalf("after re-flush = %+v, %v", again.RatingChanges, err)
	}

	// Replay bytes; a match without one and an unknown match are not found.
	if rp, err := s.Replay(ctx, "m1"); err != nil || !bytes.Equal(rp, m1.Replay) {
		t.Fatalf("replay = %x, %v", rp, err)
	}
	if _, err := s.Replay(ctx, "m2"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("replay of m2 err = %v", err)
	}

	// Ratings by mode.
	rs, err := s.RatingsOf(ctx, a.ID)
	if err != nil || len(rs) != 1 || rs[0] != after[0] || rs[0].Matches != 2 {
		t.Fatalf("ratings of a = %+v, %v (want %+v)", rs, err, after)
	}

	// Wallet and ledger: a won 25 gold twice.
	w, err := s.Wallet(ctx, a.ID)
	if err != nil || len(w) != 1 || w[0] != (persistence.WalletBalance{Currency: "gold", Balance: 50}) {
		t.Fatalf("wallet of a = %+v, %v", w, err)
	}
	l1, lnext, err := s.LedgerOf(ctx, a.ID, persistence.Page{Limit: 1})
	if err != nil || len(l1) != 1 || lnext == "" {
		t.Fatalf("ledger page 1 = %+v, %q, %v", l1, lnext, err)
	}
	l2, lnext2, err := s.LedgerOf(ctx, a.ID, persistence.Page{Cursor: lnext, Limit: 5})
	if err != nil || len(l2) != 1 || lnext2 != "" {
		t.Fatalf("ledger page 2 = %+v, %q, %v", l2, lnext2, err)
	}
	if e := l1[0]; e.MatchID != "m2" || e.Operation != "rewards" || e.Amount != 25 || e.Currency != "gold" || e.PlayerID != a.ID ||
		e.IdempotencyKey != "match:m2:rewards" || l2[0].MatchID != "m1" || !(l2[0].ID < e.ID) {
		t.Fatalf("ledger = %+v then %+v", l1, l2)
	}

	// Codex: a's entries from m1 and m2, in apply order.
	cx, err := s.Codex(ctx, a.ID)
	if err != nil || len(cx) != 2 || cx[0].MatchID != "m1" || cx[1].MatchID != "m2" || cx[0].EntryID != "first_flame" {
		t.Fatalf("codex of a = %+v, %v", cx, err)
	}
}

// testHistoryEmpty: a player with nothing recorded gets empty lists; an
// unknown match is not found.
func testHistoryEmpty(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	p := storetest.MustPlayer(t, s, "new")
	if ms, next, err := s.MatchesOf(ctx, p.ID, persistence.Page{Limit: 20}); err != nil || len(ms) != 0 || next != "" {
		t.Fatalf("matches = %+v, %q, %v", ms, next, err)
	}
	if rs, err := s.RatingsOf(ctx, p.ID); err != nil || len(rs) != 0 {
		t.Fatalf("ratings = %+v, %v", rs, err)
	}
	if w, err := s.Wallet(ctx, p.ID); err != nil || len(w) != 0 {
		t.Fatalf("wallet = %+v, %v", w, err)
	}
	if l, next, err := s.LedgerOf(ctx, p.ID, persistence.Page{Limit: 20}); err != nil || len(l) != 0 || next != "" {
		t.Fatalf("ledger = %+v, %q, %v", l, next, err)
	}
	if c, err := s.Codex(ctx, p.ID); err != nil || len(c) != 0 {
		t.Fatalf("codex = %+v, %v", c, err)
	}
	if lb, err := s.Leaderboard(ctx, "battle_1v1", 10); err != nil || len(lb) != 0 {
		t.Fatalf("leaderboard = %+v, %v", lb, err)
	}
	if ar, err := s.Around(ctx, "battle_1v1", p.ID, 5); err != nil || len(ar) != 0 {
		t.Fatalf("around = %+v, %v", ar, err)
	}
	if _, err := s.MatchDetail(ctx, "m404"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("detail of unknown match err = %v", err)
	}
	if _, err := s.Replay(ctx, "m404"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("replay of unknown match err = %v", err)
	}
}

// testHistoryLeaderboard: five players ranked by score after a chain of
// results; top N and around-me agree with the ratings.
func testHistoryLeaderboard(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	var ids []string
	for _, n := range []string{"p0", "p1", "p2", "p3", "p4"} {
		ids = append(ids, storetest.MustPlayer(t, s, n).ID)
	}
	// p0 beats everyone, p1 beats p2..p4, and so on.
	var recs []contract.MatchRecord
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			recs = append(recs, storetest.Battle("lb"+ids[i][len(ids[i])-4:]+"-"+ids[j], ids[i], ids[j]))
		}
	}
	storetest.Flush(t, s, recs...)
	top, err := s.Leaderboard(ctx, "battle_1v1", 3)
	if err != nil || len(top) != 3 {
		t.Fatalf("top 3 = %+v, %v", top, err)
	}
	for i, r := range top {
		if r.PlayerID != ids[i] || r.Rank != int64(i+1) || r.Score != persistence.Score(r.Rating) || r.Matches != 4 {
			t.Fatalf("top[%d] = %+v, want %s", i, r, ids[i])
		}
		if i > 0 && !(r.Score < top[i-1].Score) {
			t.Fatalf("top not descending: %+v", top)
		}
	}
	ar, err := s.Around(ctx, "battle_1v1", ids[1], 1)
	if err != nil || len(ar) != 3 || ar[0].PlayerID != ids[0] || ar[1].PlayerID != ids[1] || ar[2].PlayerID != ids[2] ||
		ar[0].Rank != 1 || ar[1].Rank != 2 || ar[2].Rank != 3 {
		t.Fatalf("around p1 = %+v, %v", ar, err)
	}
	last, err := s.Around(ctx, "battle_1v1", ids[4], 2)
	if err != nil || len(last) != 3 || last[2].PlayerID != ids[4] || last[2].Rank != 5 || last[0].Rank != 3 {
		t.Fatalf("around p4 = %+v, %v", last, err)
	}
	if other, err := s.Leaderboard(ctx, "raid", 10); err != nil || len(other) != 0 {
		t.Fatalf("raid board = %+v, %v", other, err)
	}
}
