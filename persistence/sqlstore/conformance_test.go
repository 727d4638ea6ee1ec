package sqlstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/ecs"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
)

// storeFactory opens a fresh, empty, migrated store for one test; the
// factory registers its cleanup.
type storeFactory func(t *testing.T) persistence.Store

// runConformance is the one suite every backend must pass.
func runConformance(t *testing.T, open storeFactory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s persistence.Store)
	}{
		{"LoginIdentity", testLoginIdentity},
		{"LoginIdentityConcurrent", testLoginIdentityConcurrent},
		{"LinkIdentity", testLinkIdentity},
		{"RefreshRotation", testRefreshRotation},
		{"RefreshRevoke", testRefreshRevoke},
		{"Rosters", testRosters},
		{"RatingsDefault", testRatingsDefault},
		{"LedgerGrantTransfer", testLedgerGrantTransfer},
		{"LedgerIdempotency", testLedgerIdempotency},
		{"ApplyMatches", testApplyMatches},
		{"ApplyMatchesIdempotent", testApplyMatchesIdempotent},
		{"ApplyMatchesRejects", testApplyMatchesRejects},
		{"ApplyMatchesInOrder", testApplyMatchesInOrder},
		{"WagerSettlement", testWagerSettlement},
		{"WagerRefunds", testWagerRefunds},
		{"Progress", testProgress},
		{"History", testHistory},
		{"HistoryEmpty", testHistoryEmpty},
		{"HistoryLeaderboard", testHistoryLeaderboard},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func testLoginIdentity(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	p, created, err := s.LoginIdentity(ctx, "device", "abc", "Ari")
	if err != nil || !created || p.ID == "" || p.DisplayName != "Ari" || p.CreatedAt.IsZero() {
		t.Fatalf("first login = %+v, %v, %v", p, created, err)
	}
	again, created, err := s.LoginIdentity(ctx, "device", "abc", "ignored")
	if err != nil || created || again != p {
		t.Fatalf("second login = %+v, %v, %v; want %+v, false", again, created, err, p)
	}
	got, err := s.Player(ctx, p.ID)
	if err != nil || got != p {
		t.Fatalf("Player = %+v, %v; want %+v", got, err, p)
	}
	if _, err := s.Player(ctx, "p_missing"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("missing player err = %v", err)
	}
	if _, _, err := s.LoginIdentity(ctx, "", "x", ""); !errors.Is(err, persistence.ErrInvalid) {
		t.Fatalf("empty provider err = %v", err)
	}
}

func testLoginIdentityConcurrent(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	const n = 8
	ids := make([]string, n)
	var createdCount int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, created, err := s.LoginIdentity(ctx, "steam", "76561", "")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[i] = p.ID
			if created {
				createdCount++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent logins got players %v", ids)
		}
	}
	if createdCount != 1 {
		t.Fatalf("%d logins reported created, want 1", createdCount)
	}
}

func testLinkIdentity(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")
	if err := s.LinkIdentity(ctx, a.ID, "discord", "d1"); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkIdentity(ctx, a.ID, "discord", "d1"); err != nil {
		t.Fatalf("relink to same player: %v", err)
	}
	if err := s.LinkIdentity(ctx, b.ID, "discord", "d1"); !errors.Is(err, persistence.ErrIdentityTaken) {
		t.Fatalf("link to other player err = %v", err)
	}
	if err := s.LinkIdentity(ctx, "p_nobody", "discord", "d2"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("link to missing player err = %v", err)
	}
	ids, err := s.Identities(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0].Provider != "device" || ids[1].Provider != "discord" || ids[1].PlayerID != a.ID {
		t.Fatalf("identities = %+v", ids)
	}
	p, created, err := s.LoginIdentity(ctx, "discord", "d1", "")
	if err != nil || created || p.ID != a.ID {
		t.Fatalf("login by linked identity = %+v %v %v", p, created, err)
	}
}

func testRefreshRotation(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	p := storetest.MustPlayer(t, s, "r")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := persistence.RefreshFamily{ID: "fam1", PlayerID: p.ID, CurrentHash: []byte("h0"), ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateRefreshFamily(ctx, f); err != nil {
		t.Fatal(err)
	}
	got, err := s.RotateRefresh(ctx, "fam1", []byte("h0"), []byte("h1"), now)
	if err != nil || got.Generation != 1 || !bytes.Equal(got.CurrentHash, []byte("h1")) || !got.RevokedAt.IsZero() || !got.ExpiresAt.Equal(f.ExpiresAt) {
		t.Fatalf("rotate = %+v, %v", got, err)
	}
	// Replaying the old token revokes the family.
	if _, err := s.RotateRefresh(ctx, "fam1", []byte("h0"), []byte("h2"), now); !errors.Is(err, persistence.ErrRefreshReused) {
		t.Fatalf("reuse err = %v", err)
	}
	if _, err := s.RotateRefresh(ctx, "fam1", []byte("h1"), []byte("h2"), now); !errors.Is(err, persistence.ErrRevoked) {
		t.Fatalf("rotate after reuse err = %v, want ErrRevoked (family revoked)", err)
	}
	// Expiry.
	f2 := persistence.RefreshFamily{ID: "fam2", PlayerID: p.ID, CurrentHash: []byte("x"), ExpiresAt: now.Add(time.Minute)}
	if err := s.CreateRefreshFamily(ctx, f2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateRefresh(ctx, "fam2", []byte("x"), []byte("y"), now.Add(time.Minute)); !errors.Is(err, persistence.ErrRevoked) {
		t.Fatalf("expired err = %v", err)
	}
	if _, err := s.RotateRefresh(ctx, "nope", []byte("x"), []byte("y"), now); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("missing family err = %v", err)
	}
	if err := s.CreateRefreshFamily(ctx, persistence.RefreshFamily{ID: "f3", PlayerID: "p_none", CurrentHash: []byte("x"), ExpiresAt: now}); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("family of missing player err = %v", err)
	}
}

func testRefreshRevoke(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	p := storetest.MustPlayer(t, s, "rv")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, id := range []string{"a", "b", "c"} {
		if err := s.CreateRefreshFamily(ctx, persistence.RefreshFamily{ID: id, PlayerID: p.ID, CurrentHash: []byte(id), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeFamily(ctx, "a", now); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeFamily(ctx, "a", now.Add(time.Second)); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := s.RotateRefresh(ctx, "a", []byte("a"), []byte("a2"), now); !errors.Is(err, persistence.ErrRevoked) {
		t.Fatalf("rotate revoked err = %v", err)
	}
	if _, err := s.RotateRefresh(ctx, "b", []byte("b"), []byte("b2"), now); err != nil {
		t.Fatalf("rotate live b: %v", err)
	}
	fams, err := s.PlayerFamilies(ctx, p.ID, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fams {
		got = append(got, fmt.Sprintf("%s:%v:%d", f.ID, f.RevokedAt.IsZero(), f.Generation))
	}
	if want := "a:false:0 b:true:1 c:true:0"; strings.Join(got, " ") != want {
		t.Fatalf("PlayerFamilies before revoke-all: got %q, want %q (id:live:generation)", strings.Join(got, " "), want)
	}
	if fams, err := s.PlayerFamilies(ctx, p.ID, now.Add(time.Hour), 10); err != nil || len(fams) != 0 {
		t.Fatalf("PlayerFamilies past every expiry: got %d families (%v), want none", len(fams), err)
	}
	if fams, err := s.PlayerFamilies(ctx, p.ID, now, 2); err != nil || len(fams) != 2 {
		t.Fatalf("PlayerFamilies with limit 2: got %d families (%v), want 2", len(fams), err)
	}
	if err := s.RevokePlayerFamilies(ctx, p.ID, now); err != nil {
		t.Fatal(err)
	}
	fams, err = s.PlayerFamilies(ctx, p.ID, now, 10)
	if err != nil || len(fams) != 3 || slices.ContainsFunc(fams, func(f persistence.RefreshFamily) bool { return f.RevokedAt.IsZero() }) {
		t.Fatalf("PlayerFamilies after revoke-all: got %+v (%v), want the 3 families, all revoked", fams, err)
	}
	for _, id := range []string{"b", "c"} {
		if _, err := s.RotateRefresh(ctx, id, []byte(id+"2"), []byte("z"), now); !errors.Is(err, persistence.ErrRevoked) {
			t.Fatalf("rotate %s after revoke-all err = %v", id, err)
		}
	}
	if err := s.RevokeFamily(ctx, "zzz", now); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("revoke missing err = %v", err)
	}
}

func testRosters(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	p := storetest.MustPlayer(t, s, "o")
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	b := contract.Oracle{ID: "b", PlayerID: p.ID, Name: "Bram", UpdatedAt: at, OracleSpec: ecs.OracleSpec{Archetype: "taurus", Role: contract.RoleFriend, Loadout: []string{"horn", "stomp"}, Pet: "ox"}}
	a := contract.Oracle{ID: "a", PlayerID: p.ID, Name: "Ash", UpdatedAt: at, OracleSpec: ecs.OracleSpec{Archetype: "aries", Role: contract.RoleHost, Loadout: []string{"ember_strike"}, Form: "ram", Totem: "flame"}}
	for _, o := range []contract.Oracle{b, a} {
		if err := s.SaveOracle(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	a.Name, a.Loadout = "Ash II", []string{"ember_strike", "blaze"}
	if err := s.SaveOracle(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Oracles(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []contract.Oracle{a, b}; !reflect.DeepEqual(got, want) {
		t.Fatalf("oracles =\n%+v\nwant\n%+v", got, want)
	}
	if err := s.DeleteOracle(ctx, p.ID, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOracle(ctx, p.ID, "b"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("second delete err = %v", err)
	}
	other := storetest.MustPlayer(t, s, "o2")
	if err := s.DeleteOracle(ctx, other.ID, "a"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("delete another player's oracle err = %v", err)
	}
	bad := a
	bad.Role = "overlord"
	if err := s.SaveOracle(ctx, bad); !errors.Is(err, persistence.ErrInvalid) {
		t.Fatalf("bad role err = %v", err)
	}
	orphan := a
	orphan.PlayerID = "p_nobody"
	if err := s.SaveOracle(ctx, orphan); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("missing player err = %v", err)
	}
}

func testRatingsDefault(t *testing.T, s persistence.Store) {
	rs, err := s.Ratings(storetest.Ctx(t), "battle_1v1", []string{"p_x", "p_y"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].PlayerID != "p_x" || rs[1].PlayerID != "p_y" || rs[0].Mu != 25 || rs[0].Matches != 0 || rs[1].Mode != "battle_1v1" {
		t.Fatalf("default ratings = %+v", rs)
	}
}

func testLedgerGrantTransfer(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")
	storetest.MustBalance(t, s, a.ID, "gold", 0)
	if _, err := s.Grant(ctx, persistence.Grant{IdempotencyKey: "g1", PlayerID: a.ID, Currency: "gold", Amount: 100, Reason: "purchase"}); err != nil {
		t.Fatal(err)
	}
	e, err := s.Transfer(ctx, persistence.Transfer{IdempotencyKey: "t1", From: a.ID, To: b.ID, Currency: "gold", Amount: 30})
	if err != nil {
		t.Fatal(err)
	}
	if e.PlayerID != a.ID || e.Amount != -30 || e.IdempotencyKey != "t1" || e.ID == 0 {
		t.Fatalf("transfer entry = %+v", e)
	}
	storetest.MustBalance(t, s, a.ID, "gold", 70)
	storetest.MustBalance(t, s, b.ID, "gold", 30)
	storetest.MustBalance(t, s, persistence.HouseAccount, "gold", -100)
	// Overdraft: refused, nothing moves.
	if _, err := s.Transfer(ctx, persistence.Transfer{IdempotencyKey: "t2", From: b.ID, To: a.ID, Currency: "gold", Amount: 31}); !errors.Is(err, persistence.ErrInsufficientFunds) {
		t.Fatalf("overdraft err = %v", err)
	}
	if _, err := s.Grant(ctx, persistence.Grant{IdempotencyKey: "g2", PlayerID: b.ID, Currency: "gold", Amount: -31}); !errors.Is(err, persistence.ErrInsufficientFunds) {
		t.Fatalf("overdraft debit err = %v", err)
	}
	storetest.MustBalance(t, s, b.ID, "gold", 30)
	// A failed key is not recorded: it can succeed once funds exist.
	if _, err := s.Transfer(ctx, persistence.Transfer{IdempotencyKey: "t2", From: b.ID, To: a.ID, Currency: "gold", Amount: 30}); err != nil {
		t.Fatalf("retry of failed key with funds: %v", err)
	}
	storetest.MustBalance(t, s, b.ID, "gold", 0)
	if _, err := s.Transfer(ctx, persistence.Transfer{IdempotencyKey: "t3", From: a.ID, To: "p_nobody", Currency: "gold", Amount: 1}); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("transfer to missing player err = %v", err)
	}
	for _, bad := range []persistence.Transfer{
		{IdempotencyKey: "", From: a.ID, To: b.ID, Currency: "gold", Amount: 1},
		{IdempotencyKey: "x", From: a.ID, To: a.ID, Currency: "gold", Amount: 1},
		{IdempotencyKey: "x", From: a.ID, To: b.ID, Currency: "gold", Amount: 0},
		{IdempotencyKey: "x", From: persistence.HouseAccount, To: b.ID, Currency: "gold", Amount: 1},
	} {
		if _, err := s.Transfer(ctx, bad); !errors.Is(err, persistence.ErrInvalid) {
			t.Fatalf("transfer %+v err = %v", bad, err)
		}
	}
	storetest.CheckLedger(t, s, "gold", a.ID, b.ID, persistence.HouseAccount)
}

func testLedgerIdempotency(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")
	g := persistence.Grant{IdempotencyKey: "g", PlayerID: a.ID, Currency: "gems", Amount: 50}
	first, err := s.Grant(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Grant(ctx, g)
	if err != nil || again != first {
		t.Fatalf("retry = %+v, %v; want %+v", again, err, first)
	}
	storetest.MustBalance(t, s, a.ID, "gems", 50)
	g.Amount = 51
	if _, err := s.Grant(ctx, g); !errors.Is(err, persistence.ErrIdempotencyMismatch) {
		t.Fatalf("mismatch err = %v", err)
	}
	tr := persistence.Transfer{IdempotencyKey: "tr", From: a.ID, To: b.ID, Currency: "gems", Amount: 20}
	var wg sync.WaitGroup
	results := make([]persistence.LedgerEntry, 6)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := s.Transfer(ctx, tr)
			if err != nil {
				t.Error(err)
			}
			results[i] = e
		}()
	}
	wg.Wait()
	for _, e := range results {
		if e != results[0] {
			t.Fatalf("concurrent retries returned different entries: %+v", results)
		}
	}
	storetest.MustBalance(t, s, a.ID, "gems", 30)
	storetest.MustBalance(t, s, b.ID, "gems", 20)
	// The same key used for another kind of operation is a mismatch.
	if _, err := s.Grant(ctx, persistence.Grant{IdempotencyKey: "tr", PlayerID: a.ID, Currency: "gems", Amount: 20}); !errors.Is(err, persistence.ErrIdempotencyMismatch) {
		t.Fatalf("cross-kind reuse err = %v", err)
	}
	storetest.CheckLedger(t, s, "gems", a.ID, b.ID, persistence.HouseAccount)
}

func testApplyMatches(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")
	rec := storetest.Battle("m1", a.ID, b.ID)
	n, err := s.ApplyMatches(ctx, []contract.MatchRecord{rec})
	if err != nil || n != 1 {
		t.Fatalf("apply = %d, %v", n, err)
	}
	got, err := s.Match(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rec) {
		t.Fatalf("match read back =\n%+v\nwant\n%+v", got, rec)
	}
	if _, err := s.Match(ctx, "m404"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("missing match err = %v", err)
	}
	storetest.MustBalance(t, s, a.ID, "gold", 25)
	storetest.MustBalance(t, s, b.ID, "gold", 5)
	storetest.MustBalance(t, s, persistence.HouseAccount, "gold", -30)
	rs, err := s.Ratings(ctx, "battle_1v1", []string{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !(rs[0].Mu > 25 && rs[1].Mu < 25 && rs[0].Sigma < 25.0/3 && rs[0].Matches == 1 && rs[1].Matches == 1) {
		t.Fatalf("ratings after win = %+v", rs)
	}
	// A draw between them moves the lower-rated b up.
	draw := storetest.Battle("m2", a.ID, b.ID)
	draw.Outcome, draw.WinningTeam, draw.Rewards = contract.OutcomeDraw, -1, nil
	draw.Participants[0].Result, draw.Participants[1].Result = contract.ResultDraw, contract.ResultDraw
	if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{draw}); err != nil {
		t.Fatal(err)
	}
	rs2, err := s.Ratings(ctx, "battle_1v1", []string{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if !(rs2[1].Mu > rs[1].Mu && rs2[0].Mu < rs[0].Mu && rs2[0].Matches == 2) {
		t.Fatalf("ratings after draw = %+v (before %+v)", rs2, rs)
	}
	// Aborted: no rating change.
	ab := storetest.Battle("m3", a.ID, b.ID)
	ab.Outcome, ab.Rewards = contract.OutcomeAborted, nil
	if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{ab}); err != nil {
		t.Fatal(err)
	}
	rs3, _ := s.Ratings(ctx, "battle_1v1", []string{a.ID, b.ID})
	if !reflect.DeepEqual(rs3, rs2) {
		t.Fatalf("aborted match changed ratings: %+v -> %+v", rs2, rs3)
	}
	storetest.CheckLedger(t, s, "gold", a.ID, b.ID, persistence.HouseAccount)
}

func testApplyMatchesIdempotent(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")
	recs := []contract.MatchRecord{storetest.Battle("m1", a.ID, b.ID), storetest.Battle("m2", b.ID, a.ID), storetest.Battle("m1", a.ID, b.ID)}
	n, err := s.ApplyMatches(ctx, recs)
	if err != nil || n != 2 {
		t.Fatalf("apply with a duplicate = %d, %v; want 2", n, err)
	}
	before, _ := s.Ratings(ctx, "battle_1v1", []string{a.ID, b.ID})
	n, err = s.ApplyMatches(ctx, recs)
	if err != nil || n != 0 {
		t.Fatalf("re-apply = %d, %v; want 0", n, err)
	}
	// Concurrent flushers of the same batch: still nothing.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if n, err := s.ApplyMatches(ctx, recs); err != nil || n != 0 {
				t.Errorf("concurrent re-apply = %d, %v", n, err)
			}
		}()
	}
	wg.Wait()
	after, _ := s.Ratings(ctx, "battle_1v1", []string{a.ID, b.ID})
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("re-apply changed ratings %+v -> %+v", before, after)
	}
	storetest.MustBalance(t, s, a.ID, "gold", 30)
	storetest.MustBalance(t, s, b.ID, "gold", 30)
	// Concurrent first application of fresh matches: each exactly once.
	fresh := []contract.MatchRecord{storetest.Battle("m3", a.ID, b.ID), storetest.Battle("m4", a.ID, b.ID)}
	var applied int
	var mu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.ApplyMatches(ctx, fresh)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			applied += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if applied != 2 {
		t.Fatalf("concurrent first applications applied %d, want 2", applied)
	}
	storetest.MustBalance(t, s, a.ID, "gold", 80)
	storetest.CheckLedger(t, s, "gold", a.ID, b.ID, persistence.HouseAccount)
}

func testApplyMatchesRejects(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")
	good := storetest.Battle("ok", a.ID, b.ID)
	for name, mutate := range map[string]func(r *contract.MatchRecord){
		"empty id":       func(r *contract.MatchRecord) { r.MatchID = "" },
		"bad outcome":    func(r *contract.MatchRecord) { r.Outcome = "victory" },
		"seat twice":     func(r *contract.MatchRecord) { r.Participants[1].Seat = 0 },
		"player twice":   func(r *contract.MatchRecord) { r.Participants[1].PlayerID = a.ID },
		"bad result":     func(r *contract.MatchRecord) { r.Participants[0].Result = "won" },
		"ghost winner":   func(r *contract.MatchRecord) { r.WinningTeam = 7 },
		"negative prize": func(r *contract.MatchRecord) { r.Rewards[0].Amount = -1 },
	} {
		bad := storetest.Battle("bad", a.ID, b.ID)
		mutate(&bad)
		if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{good, bad}); !errors.Is(err, persistence.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	// An unknown player fails the batch as a whole: nothing of it lands.
	ghost := storetest.Battle("ghost", a.ID, "p_nobody")
	if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{good, ghost}); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("unknown player err = %v", err)
	}
	if _, err := s.Match(ctx, "ok"); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("batch partly applied: %v", err)
	}
	storetest.MustBalance(t, s, a.ID, "gold", 0)
}

func testWagerSettlement(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b, c := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b"), storetest.MustPlayer(t, s, "c")
	for _, p := range []persistence.Player{a, b, c} {
		if _, err := s.Grant(ctx, persistence.Grant{IdempotencyKey: "seed-" + p.ID, PlayerID: p.ID, Currency: "gold", Amount: 100}); err != nil {
			t.Fatal(err)
		}
	}
	place := func(key, player string, amount int64) persistence.LedgerEntry {
		t.Helper()
		e, err := s.PlaceWager(ctx, persistence.Wager{IdempotencyKey: key, MatchID: "w1", PlayerID: player, Currency: "gold", Amount: amount})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	first := place("wa", a.ID, 40)
	if again := place("wa", a.ID, 40); again != first {
		t.Fatalf("wager retry = %+v, want %+v", again, first)
	}
	place("wb", b.ID, 20)
	place("wc", c.ID, 7) // c does not play: refunded
	if _, err := s.PlaceWager(ctx, persistence.Wager{IdempotencyKey: "wbig", MatchID: "w1", PlayerID: b.ID, Currency: "gold", Amount: 81}); !errors.Is(err, persistence.ErrInsufficientFunds) {
		t.Fatalf("overdrawn wager err = %v", err)
	}
	storetest.MustBalance(t, s, persistence.EscrowAccount("w1"), "gold", 67)
	rec := storetest.Battle("w1", b.ID, a.ID) // b wins
	rec.Rewards = nil
	if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{rec}); err != nil {
		t.Fatal(err)
	}
	storetest.MustBalance(t, s, a.ID, "gold", 60)  // lost 40
	storetest.MustBalance(t, s, b.ID, "gold", 140) // won the pot of 60
	storetest.MustBalance(t, s, c.ID, "gold", 100) // refunded
	storetest.MustBalance(t, s, persistence.EscrowAccount("w1"), "gold", 0)
	if _, err := s.PlaceWager(ctx, persistence.Wager{IdempotencyKey: "late", MatchID: "w1", PlayerID: a.ID, Currency: "gold", Amount: 1}); !errors.Is(err, persistence.ErrWagersClosed) {
		t.Fatalf("late wager err = %v", err)
	}
	// A match that had no wagers is closed too.
	if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{storetest.Battle("w2", a.ID, b.ID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PlaceWager(ctx, persistence.Wager{IdempotencyKey: "late2", MatchID: "w2", PlayerID: a.ID, Currency: "gold", Amount: 1}); !errors.Is(err, persistence.ErrWagersClosed) {
		t.Fatalf("late wager on unwagered match err = %v", err)
	}
	storetest.CheckLedger(t, s, "gold", a.ID, b.ID, c.ID, persistence.HouseAccount, persistence.EscrowAccount("w1"))
}

func testWagerRefunds(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")
	for _, p := range []persistence.Player{a, b} {
		if _, err := s.Grant(ctx, persistence.Grant{IdempotencyKey: "seed-" + p.ID, PlayerID: p.ID, Currency: "gold", Amount: 100}); err != nil {
			t.Fatal(err)
		}
	}
	for i, outcome := range []contract.Outcome{contract.OutcomeDraw, contract.OutcomeAborted, "refund"} {
		m := fmt.Sprintf("rf%d", i)
		for _, p := range []persistence.Player{a, b} {
			if _, err := s.PlaceWager(ctx, persistence.Wager{IdempotencyKey: m + p.ID, MatchID: m, PlayerID: p.ID, Currency: "gold", Amount: 10}); err != nil {
				t.Fatal(err)
			}
		}
		if outcome == "refund" {
			if err := s.RefundWagers(ctx, m); err != nil {
				t.Fatal(err)
			}
			if err := s.RefundWagers(ctx, m); err != nil {
				t.Fatalf("second refund: %v", err)
			}
		} else {
			rec := storetest.Battle(m, a.ID, b.ID)
			rec.Outcome, rec.Rewards = outcome, nil
			if outcome == contract.OutcomeDraw {
				rec.WinningTeam = -1
				rec.Participants[0].Result, rec.Participants[1].Result = contract.ResultDraw, contract.ResultDraw
			}
			if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{rec}); err != nil {
				t.Fatal(err)
			}
		}
		storetest.MustBalance(t, s, a.ID, "gold", 100)
		storetest.MustBalance(t, s, b.ID, "gold", 100)
		storetest.MustBalance(t, s, persistence.EscrowAccount(m), "gold", 0)
		if _, err := s.PlaceWager(ctx, persistence.Wager{IdempotencyKey: m + "late", MatchID: m, PlayerID: a.ID, Currency: "gold", Amount: 1}); !errors.Is(err, persistence.ErrWagersClosed) {
			t.Fatalf("%s: late wager err = %v", outcome, err)
		}
		storetest.CheckLedger(t, s, "gold", a.ID, b.ID, persistence.HouseAccount, persistence.EscrowAccount(m))
	}
}

func testProgress(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")
	if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{storetest.Battle("cx", a.ID, b.ID)}); err != nil {
		t.Fatal(err)
	}
	codex, err := s.Codex(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []persistence.CodexUnlock{{MatchID: "cx", CodexEntry: contract.CodexEntry{PlayerID: a.ID, EntryID: "first_flame", Tick: 1200, Detail: "struck first"}}}
	if !reflect.DeepEqual(codex, want) {
		t.Fatalf("codex = %+v, want %+v", codex, want)
	}
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	ach := persistence.Achievement{PlayerID: a.ID, AchievementID: "first_win", MatchID: "cx", UnlockedAt: at}
	if ok, err := s.UnlockAchievement(ctx, ach); err != nil || !ok {
		t.Fatalf("unlock = %v, %v", ok, err)
	}
	later := ach
	later.UnlockedAt = at.Add(time.Hour)
	if ok, err := s.UnlockAchievement(ctx, later); err != nil || ok {
		t.Fatalf("second unlock = %v, %v; want false", ok, err)
	}
	got, err := s.Achievements(ctx, a.ID)
	if err != nil || !reflect.DeepEqual(got, []persistence.Achievement{ach}) {
		t.Fatalf("achievements = %+v, %v", got, err)
	}
	if _, err := s.UnlockAchievement(ctx, persistence.Achievement{PlayerID: a.ID, AchievementID: "x", MatchID: "nope"}); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("unknown match err = %v", err)
	}
}
