package sqlstore_test

import (
	"testing"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
)

// orderRecords returns three 1v1 matches among a, b and c, each player in
// two of them: a beats b, then c beats a, then b and c draw. Their ids end
// in -z, -m, -a, so sorting them by id reverses the order.
func orderRecords(tag, a, b, c string) []contract.MatchRecord {
	first := storetest.Battle(tag+"-z", a, b)
	second := storetest.Battle(tag+"-m", c, a)
	third := storetest.Battle(tag+"-a", b, c)
	third.Outcome, third.WinningTeam, third.Rewards = contract.OutcomeDraw, -1, nil
	third.Participants[0].Result, third.Participants[1].Result = contract.ResultDraw, contract.ResultDraw
	return []contract.MatchRecord{first, second, third}
}

// testApplyMatchesInOrder: one batch takes effect as its records applied
// one call at a time in the order given, although each rating and wallet
// row is written once per batch; and that order is not match id order.
func testApplyMatchesInOrder(t *testing.T, s persistence.Store) {
	ctx := storetest.Ctx(t)
	trio := func(tag string) []string {
		return []string{storetest.MustPlayer(t, s, tag+"a").ID, storetest.MustPlayer(t, s, tag+"b").ID, storetest.MustPlayer(t, s, tag+"c").ID}
	}
	batched, single, reversed := trio("batched"), trio("single"), trio("reversed")

	if n, err := s.ApplyMatches(ctx, orderRecords("batched", batched[0], batched[1], batched[2])); err != nil || n != 3 {
		t.Fatalf("apply batch = %d, %v", n, err)
	}
	for _, r := range orderRecords("single", single[0], single[1], single[2]) {
		if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{r}); err != nil {
			t.Fatal(err)
		}
	}
	recs := orderRecords("reversed", reversed[0], reversed[1], reversed[2])
	for i := len(recs) - 1; i >= 0; i-- {
		if _, err := s.ApplyMatches(ctx, []contract.MatchRecord{recs[i]}); err != nil {
			t.Fatal(err)
		}
	}

	ratings := func(ids []string) []persistence.Rating {
		rs, err := s.Ratings(ctx, "battle_1v1", ids)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rb, rs, rr := ratings(batched), ratings(single), ratings(reversed)
	differs := false
	for i := range rb {
		if rb[i].Mu != rs[i].Mu || rb[i].Sigma != rs[i].Sigma || rb[i].Matches != 2 || rs[i].Matches != 2 {
			t.Errorf("player %d: batched %+v, one at a time %+v", i, rb[i], rs[i])
		}
		differs = differs || rr[i].Mu != rb[i].Mu
		gold, err := s.Balance(ctx, batched[i], "gold")
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustBalance(t, s, single[i], "gold", gold)
	}
	// The order matters, so the comparison above can tell orders apart.
	if !differs {
		t.Fatalf("reversed order gave the same ratings %+v as the batch %+v", rr, rb)
	}
	storetest.CheckLedger(t, s, "gold", append(append([]string{persistence.HouseAccount}, batched...), single...)...)
}
