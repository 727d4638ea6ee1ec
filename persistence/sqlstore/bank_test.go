package sqlstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
)

// bankOp is one ledger call of the bank test, identified by its key.
type bankOp struct {
	key    string
	kind   string // "transfer", "wager", "result"
	from   string // transfer source, wagering player
	to     string // transfer target
	match  string
	amount int64
	rec    contract.MatchRecord
}

// runBank is the ledger bank test: concurrent workers run transfers,
// wagers and match results, each operation submitted twice by different
// workers (retries of the same key, often concurrent). Afterwards: total
// money is constant, no wallet is negative, every wallet equals the sum of
// its entries, every key had at most one effect, and retries of a key all
// returned the first result.
func runBank(t *testing.T, s persistence.Store, players, ops, workers int) {
	ctx := storetest.Ctx(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const start = 1000
	ids := make([]string, players)
	for i := range ids {
		ids[i] = storetest.MustPlayer(t, s, fmt.Sprintf("bank%d", i)).ID
		if _, err := s.Grant(ctx, persistence.Grant{IdempotencyKey: "seed-" + ids[i], PlayerID: ids[i], Currency: "gold", Amount: start}); err != nil {
			t.Fatal(err)
		}
	}
	const matches = 6
	var list []bankOp
	for i := range ops {
		a, b := ids[rng.IntN(players)], ids[rng.IntN(players)]
		switch {
		case i%10 == 9:
			m := fmt.Sprintf("bm%d", rng.IntN(matches))
			list = append(list, bankOp{key: "w" + fmt.Sprint(i), kind: "wager", from: a, match: m, amount: 1 + rng.Int64N(150)})
		case a != b:
			list = append(list, bankOp{key: "t" + fmt.Sprint(i), kind: "transfer", from: a, to: b, amount: 1 + rng.Int64N(300)})
		}
	}
	for m := range matches {
		a, b := ids[(2*m)%players], ids[(2*m+1)%players]
		rec := storetest.Battle(fmt.Sprintf("bm%d", m), a, b)
		rec.Rewards = nil
		if m%3 == 2 {
			rec.Outcome = contract.OutcomeAborted
		}
		// Results land part-way through the stream: wagers after them are refused.
		at := len(list)/2 + rng.IntN(len(list)/2)
		list = append(list[:at], append([]bankOp{{key: rec.MatchID, kind: "result", rec: rec}}, list[at:]...)...)
	}
	// Every op twice, in an order that puts the two copies near each other.
	var queue []bankOp
	for i := 0; i < len(list); i += 8 {
		chunk := list[i:min(i+8, len(list))]
		twice := append(append([]bankOp(nil), chunk...), chunk...)
		rng.Shuffle(len(twice), func(i, j int) { twice[i], twice[j] = twice[j], twice[i] })
		queue = append(queue, twice...)
	}

	type outcome struct {
		entry persistence.LedgerEntry
		err   error
	}
	var mu sync.Mutex
	results := map[string][]outcome{}
	work := make(chan bankOp)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for op := range work {
				var o outcome
				switch op.kind {
				case "transfer":
					o.entry, o.err = s.Transfer(ctx, persistence.Transfer{IdempotencyKey: op.key, From: op.from, To: op.to, Currency: "gold", Amount: op.amount})
				case "wager":
					o.entry, o.err = s.PlaceWager(ctx, persistence.Wager{IdempotencyKey: op.key, MatchID: op.match, PlayerID: op.from, Currency: "gold", Amount: op.amount})
				case "result":
					_, o.err = s.ApplyMatches(ctx, []contract.MatchRecord{op.rec})
				}
				if o.err != nil && !errors.Is(o.err, persistence.ErrInsufficientFunds) && !errors.Is(o.err, persistence.ErrWagersClosed) {
					t.Errorf("%s %s: %v", op.kind, op.key, o.err)
				}
				mu.Lock()
				results[op.key] = append(results[op.key], o)
				mu.Unlock()
			}
		}()
	}
	for _, op := range queue {
		work <- op
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		return
	}

	// Gather every entry of every wallet.
	accounts := append([]string{persistence.HouseAccount}, ids...)
	for m := range matches {
		accounts = append(accounts, persistence.EscrowAccount(fmt.Sprintf("bm%d", m)))
	}
	byKey := map[string][]persistence.LedgerEntry{}
	var players0 int64
	for _, a := range accounts {
		bal, err := s.Balance(ctx, a, "gold")
		if err != nil {
			t.Fatal(err)
		}
		es, err := s.Entries(ctx, a, "gold")
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, e := range es {
			sum += e.Amount
			byKey[e.IdempotencyKey] = append(byKey[e.IdempotencyKey], e)
		}
		if sum != bal {
			t.Errorf("wallet %s: balance %d, entries sum %d", a, bal, sum)
		}
		if bal < 0 && a != persistence.HouseAccount {
			t.Errorf("wallet %s negative: %d", a, bal)
		}
		switch {
		case a == persistence.HouseAccount:
			if bal != -int64(players*start) {
				t.Errorf("house %d, want %d", bal, -players*start)
			}
		case len(a) > 7 && a[:7] == "escrow:":
			if bal != 0 {
				t.Errorf("escrow %s holds %d after every match settled", a, bal)
			}
		default:
			players0 += bal
		}
	}
	if players0 != int64(players*start) {
		t.Errorf("players hold %d in total, want %d: money created or destroyed", players0, players*start)
	}
	stats := map[string]int{}
	for _, op := range list {
		for _, o := range results[op.key] {
			switch {
			case o.err == nil:
				stats[op.kind+" ok"]++
			case errors.Is(o.err, persistence.ErrInsufficientFunds):
				stats[op.kind+" insufficient"]++
			case errors.Is(o.err, persistence.ErrWagersClosed):
				stats[op.kind+" closed"]++
			}
		}
	}
	t.Logf("calls: %v", stats)
	if stats["transfer ok"] == 0 || stats["wager ok"] == 0 || stats["result ok"] != 2*matches {
		t.Fatalf("the stream exercised too little: %v", stats)
	}
	for _, op := range list {
		outs := results[op.key]
		if len(outs) != 2 {
			t.Fatalf("%s ran %d times", op.key, len(outs))
		}
		var first *outcome
		for i := range outs {
			if outs[i].err == nil {
				if first != nil && outs[i].entry != first.entry {
					t.Errorf("%s: retries returned different entries %+v and %+v", op.key, first.entry, outs[i].entry)
				}
				first = &outs[i]
			}
		}
		es := byKey[op.key]
		switch op.kind {
		case "transfer", "wager":
			if first == nil && len(es) != 0 {
				t.Errorf("%s failed every time but has entries %+v", op.key, es)
			}
			if first != nil {
				if len(es) != 2 || es[0].Amount+es[1].Amount != 0 {
					t.Errorf("%s: %d entries %+v, want one double-entry pair", op.key, len(es), es)
				}
				if first.entry.Amount != -op.amount || first.entry.PlayerID != op.from {
					t.Errorf("%s: result entry %+v", op.key, first.entry)
				}
			}
		}
	}
}

func TestSQLiteBank(t *testing.T) { runBank(t, storetest.OpenSQLite(t), 8, 300, 6) }

func TestPostgresBank(t *testing.T) { runBank(t, openPostgresStore(t), 8, 400, 8) }
