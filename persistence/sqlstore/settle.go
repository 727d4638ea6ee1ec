package sqlstore

import (
	"context"
	"fmt"
	"math/bits"
	"sort"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
)

// Wager settlement rule (applied in the result transaction of a match):
//
//   - Per currency, the pot is every escrowed wager of the match.
//   - A wager wins when its player took part in the match with contract.ResultWin.
//   - The winning wagers share the whole pot in proportion to their
//     amounts; the integer remainder goes one unit at a time to the winning
//     wagers in order of amount (largest first), then player id, then key.
//     Every other wager is lost.
//   - When no wager in a currency wins (a draw, a wipe, a timeout, a failed
//     ritual, no winner wagered) every wager in that currency is refunded.
//     An aborted match refunds everything. A wager by a player who did not
//     take part is refunded.
//
// So in a co-op raid or ritual won by everyone who wagered, each gets the
// stake back; a player who abandoned a won raid loses the stake to the
// others. No money is created or destroyed: payouts always sum to the pot.

// wagerRow is one escrowed wager.
type wagerRow struct {
	key      string
	matchID  string
	playerID string
	currency string
	amount   int64
}

// wagerOutcome is a settled wager's new state and payout.
type wagerOutcome struct {
	key    string
	state  string // "won", "lost" or "refunded"
	payout int64
}

// settleWagers applies the rule above to one match's escrowed wagers.
func settleWagers(rec contract.MatchRecord, wagers []wagerRow) []wagerOutcome {
	participant := map[string]contract.Participant{}
	for _, p := range rec.Participants {
		participant[p.PlayerID] = p
	}
	byCurrency := map[string][]wagerRow{}
	var currencies []string
	for _, w := range wagers {
		if _, ok := byCurrency[w.currency]; !ok {
			currencies = append(currencies, w.currency)
		}
		byCurrency[w.currency] = append(byCurrency[w.currency], w)
	}
	sort.Strings(currencies)
	var out []wagerOutcome
	for _, cur := range currencies {
		ws := byCurrency[cur]
		var pot, winStake int64
		var winners []wagerRow
		for _, w := range ws {
			p, ok := participant[w.playerID]
			if !ok {
				continue // refunded below, never in the pot
			}
			pot += w.amount
			if p.Result == contract.ResultWin && rec.Outcome != contract.OutcomeAborted {
				winners = append(winners, w)
				winStake += w.amount
			}
		}
		if len(winners) == 0 {
			for _, w := range ws {
				out = append(out, wagerOutcome{w.key, "refunded", w.amount})
			}
			continue
		}
		payout := map[string]int64{}
		var paid int64
		for _, w := range winners {
			share := mulDiv(pot, w.amount, winStake)
			payout[w.key] = share
			paid += share
		}
		sort.Slice(winners, func(i, j int) bool {
			a, b := winners[i], winners[j]
			if a.amount != b.amount {
				return a.amount > b.amount
			}
			if a.playerID != b.playerID {
				return a.playerID < b.playerID
			}
			return a.key < b.key
		})
		for i := 0; paid < pot; i = (i + 1) % len(winners) {
			payout[winners[i].key]++
			paid++
		}
		for _, w := range ws {
			if p, ok := payout[w.key]; ok {
				out = append(out, wagerOutcome{w.key, "won", p})
			} else if _, inMatch := participant[w.playerID]; !inMatch {
				out = append(out, wagerOutcome{w.key, "refunded", w.amount})
			} else {
				out = append(out, wagerOutcome{w.key, "lost", 0})
			}
		}
	}
	return out
}

// mulDiv returns floor(a*b/c) for non-negative a, b and positive c with
// b <= c, exact even when a*b overflows 64 bits (the quotient is <= a).
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// closeBooks closes the wager books of matchIDs (sorted by the caller or
// not: they are sorted here, the lock order), creating closed books for
// matches that never had a wager so a late PlaceWager is refused.
func closeBooks(ctx context.Context, tx dbtx, matchIDs []string, now time.Time) error {
	ids := append([]string(nil), matchIDs...)
	sort.Strings(ids)
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, "closed", now}
	}
	_, err := insertRows(ctx, tx, "wager_books", []string{"match_id", "state", "closed_at"}, rows,
		"ON CONFLICT (match_id) DO UPDATE SET state = 'closed', closed_at = COALESCE(wager_books.closed_at, excluded.closed_at)")
	return err
}

// escrowedWagers locks and returns the escrowed wagers of matchIDs, by match.
// Call closeBooks first: with the books closed no wager can be added.
func escrowedWagers(ctx context.Context, tx dbtx, matchIDs []string) (map[string][]wagerRow, error) {
	out := map[string][]wagerRow{}
	err := tx.selectKeyed(ctx, keyedSelect{table: "wagers", cols: "idempotency_key, match_id, player_id, currency, amount",
		key: "match_id", where: "state = 'escrowed'", order: "match_id, idempotency_key", lock: true}, "", matchIDs,
		func(rs rows) error {
			var w wagerRow
			if err := rs.Scan(&w.key, &w.matchID, &w.playerID, &w.currency, &w.amount); err != nil {
				return err
			}
			out[w.matchID] = append(out[w.matchID], w)
			return nil
		})
	return out, err
}

// settlementOp turns settled wagers into one ledger operation: the escrow
// pays out every payout of the match.
func settlementOp(key, matchID string, wagers []wagerRow, outs []wagerOutcome, reason string) ledgerOp {
	byKey := make(map[string]wagerRow, len(wagers))
	for _, w := range wagers {
		byKey[w.key] = w
	}
	op := ledgerOp{key: key, kind: "settle", params: "match=" + matchID, reason: reason}
	for _, o := range outs {
		if o.payout == 0 {
			continue
		}
		w := byKey[o.key]
		op.posts = append(op.posts,
			posting{walletKey{persistence.EscrowAccount(matchID), w.currency}, -o.payout},
			posting{walletKey{w.playerID, w.currency}, o.payout})
	}
	if len(wagers) > 0 {
		op.result = walletKey{persistence.EscrowAccount(matchID), wagers[0].currency}
	}
	return op
}

// refundOp refunds every given wager of a match.
func refundOp(key, matchID string, wagers []wagerRow) (ledgerOp, []wagerOutcome) {
	outs := make([]wagerOutcome, len(wagers))
	for i, w := range wagers {
		outs[i] = wagerOutcome{w.key, "refunded", w.amount}
	}
	return settlementOp(key, matchID, wagers, outs, "refund "+matchID), outs
}

// setWagerStates records settled wagers.
func setWagerStates(ctx context.Context, tx dbtx, outs []wagerOutcome, now time.Time) error {
	args := make([][]any, len(outs))
	for i, o := range outs {
		args[i] = []any{o.key, o.state, o.payout, now}
	}
	if err := tx.execMany(ctx, `UPDATE wagers SET state = $2, payout = $3, settled_at = $4
		WHERE idempotency_key = $1 AND state = 'escrowed'`, args); err != nil {
		return fmt.Errorf("settle wagers: %w", err)
	}
	return nil
}
