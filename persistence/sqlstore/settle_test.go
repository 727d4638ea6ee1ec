package sqlstore

import (
	"math"
	"testing"

	"github.com/pantheon-oracles/pantheon/contract"
)

func TestSettleWagersShareProportionally(t *testing.T) {
	rec := contract.MatchRecord{Outcome: contract.OutcomeTeamWin, WinningTeam: 0, Participants: []contract.Participant{
		{PlayerID: "a", Team: 0, Result: contract.ResultWin}, {PlayerID: "b", Team: 0, Result: contract.ResultWin},
		{PlayerID: "c", Team: 1, Result: contract.ResultLoss}, {PlayerID: "d", Team: 1, Result: contract.ResultAbandoned},
	}}
	ws := []wagerRow{
		{key: "wa", playerID: "a", currency: "gold", amount: 10},
		{key: "wb", playerID: "b", currency: "gold", amount: 20},
		{key: "wc", playerID: "c", currency: "gold", amount: 7},
		{key: "wd", playerID: "d", currency: "gold", amount: 3},
		{key: "wx", playerID: "x", currency: "gold", amount: 100}, // spectator: refunded, not in the pot
		{key: "ga", playerID: "c", currency: "gems", amount: 5},   // no winner wagered gems: refunded
	}
	got := map[string]wagerOutcome{}
	for _, o := range settleWagers(rec, ws) {
		got[o.key] = o
	}
	// Pot 40 shared 10:20 -> 13.33 and 26.67: floors 13 and 26, the
	// remainder unit goes to the larger stake.
	want := map[string]wagerOutcome{
		"wa": {"wa", "won", 13}, "wb": {"wb", "won", 27}, "wc": {"wc", "lost", 0}, "wd": {"wd", "lost", 0},
		"wx": {"wx", "refunded", 100}, "ga": {"ga", "refunded", 5},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %+v, want %+v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d outcomes, want %d", len(got), len(want))
	}
}

func TestSettleWagersRefundWhenNobodyWins(t *testing.T) {
	for _, outcome := range []contract.Outcome{contract.OutcomeDraw, contract.OutcomeAborted, contract.OutcomeTimeout} {
		rec := contract.MatchRecord{Outcome: outcome, Participants: []contract.Participant{
			{PlayerID: "a", Result: contract.ResultDraw}, {PlayerID: "b", Result: contract.ResultDraw}}}
		if outcome == contract.OutcomeAborted {
			rec.Participants[0].Result = contract.ResultWin // aborted refunds even a "win"
		}
		for _, o := range settleWagers(rec, []wagerRow{{key: "1", playerID: "a", currency: "g", amount: 4}, {key: "2", playerID: "b", currency: "g", amount: 6}}) {
			if o.state != "refunded" || (o.key == "1" && o.payout != 4) || (o.key == "2" && o.payout != 6) {
				t.Errorf("%s: %+v", outcome, o)
			}
		}
	}
}

func TestSettleWagersConservesThePot(t *testing.T) {
	rec := contract.MatchRecord{Outcome: contract.OutcomeRaidWin}
	var ws []wagerRow
	var pot int64
	for i := range 7 {
		id := string(rune('a' + i))
		res := contract.ResultWin
		if i%3 == 0 {
			res = contract.ResultLoss
		}
		rec.Participants = append(rec.Participants, contract.Participant{PlayerID: id, Result: res})
		amt := int64(1 + i*i*13%11)
		ws = append(ws, wagerRow{key: id, playerID: id, currency: "g", amount: amt})
		pot += amt
	}
	var paid int64
	for _, o := range settleWagers(rec, ws) {
		paid += o.payout
	}
	if paid != pot {
		t.Fatalf("paid %d of a pot of %d", paid, pot)
	}
}

func TestMulDivExact(t *testing.T) {
	if got := mulDiv(math.MaxInt64, 3, 4); got != math.MaxInt64/4*3+(math.MaxInt64%4)*3/4 {
		t.Fatalf("mulDiv overflow case = %d", got)
	}
	if got := mulDiv(40, 10, 30); got != 13 {
		t.Fatalf("mulDiv(40,10,30) = %d", got)
	}
}
