package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// TestPostgresRelockAfterConcurrentCreate: a result transaction that must
// create a player's rating and wallet rows, while another transaction has
// created them and not committed, waits for it, then (its insert finding
// the committed rows) runs again once and locks them in order. The rows
// the other transaction created are the ones updated.
func TestPostgresRelockAfterConcurrentCreate(t *testing.T) {
	ctx := storetest.Ctx(t)
	url := postgresSchemaURL(t)
	s, err := sqlstore.OpenConfig(ctx, sqlstore.Config{URL: url, AutoMigrate: true, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := storetest.MustPlayer(t, s, "a"), storetest.MustPlayer(t, s, "b")

	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `INSERT INTO ratings (player_id, mode, mu, sigma, matches, updated_at)
		VALUES ($1, 'battle_1v1', 25, 8.333333333333334, 0, now())`, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO wallets (account, currency, kind, player_id) VALUES ($1, 'gold', 'player', $1)`, a.ID); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		n, err := s.ApplyMatches(ctx, []contract.MatchRecord{storetest.Battle("m1", a.ID, b.ID)})
		if err == nil && n != 1 {
			err = fmt.Errorf("applied %d", n)
		}
		done <- err
	}()
	// Wait (polling, bounded) until the result transaction blocks on the
	// uncommitted rows, then commit them.
	probe, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close(context.Background())
	pid := other.PgConn().PID()
	for deadline := time.Now().Add(20 * time.Second); ; {
		var waiting int
		if err := probe.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("apply finished (%v) without waiting for the uncommitted rows", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the result transaction never waited for the uncommitted rows")
		}
		time.Sleep(5 * time.Millisecond) // poll interval, bounded by the deadline
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	deadlock, _, relock := sqlstore.PostgresReruns(s)
	if deadlock != 0 || relock != 1 {
		t.Fatalf("reruns: %d deadlocks, %d relocks; want 0 and 1", deadlock, relock)
	}
	rs, err := s.Ratings(ctx, "battle_1v1", []string{a.ID, b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Matches != 1 || rs[1].Matches != 1 || rs[0].Mu <= 25 {
		t.Fatalf("ratings after the rerun: %+v", rs)
	}
	storetest.MustBalance(t, s, a.ID, "gold", 25)
	storetest.CheckLedger(t, s, "gold", a.ID, b.ID, persistence.HouseAccount)
}

// TestPostgresConcurrentFlushersNoDeadlock runs result batches from several
// flushers at once over one shared set of players, in two modes and two
// currencies, beside grants and transfers among the same players, all
// posting to the house wallets. The lock order leaves no deadlock to
// retry; afterwards every rating counts each match of its player once and
// every wallet equals its ledger.
func TestPostgresConcurrentFlushersNoDeadlock(t *testing.T) {
	ctx := storetest.Ctx(t)
	s, err := sqlstore.OpenConfig(ctx, sqlstore.Config{URL: postgresSchemaURL(t), AutoMigrate: true, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const players, flushers, batches, perBatch = 16, 4, 6, 6
	ids := make([]string, players)
	for i := range ids {
		ids[i] = storetest.MustPlayer(t, s, fmt.Sprintf("f%d", i)).ID
	}
	modes := []string{"battle_1v1", "battle_3v3"}
	currencies := []string{"gems", "gold"}

	var mu sync.Mutex
	played := map[[2]string]int{} // (mode, player) -> matches
	var wg sync.WaitGroup
	for f := range flushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(f), 7))
			for bt := range batches {
				var recs []contract.MatchRecord
				for m := range perBatch {
					p := rng.Perm(players)
					rec := storetest.Battle(fmt.Sprintf("f%d-b%d-m%d", f, bt, m), ids[p[0]], ids[p[1]])
					rec.Mode = modes[rng.IntN(len(modes))]
					for i := range rec.Rewards {
						rec.Rewards[i].Currency = currencies[rng.IntN(len(currencies))]
					}
					recs = append(recs, rec)
				}
				if n, err := s.ApplyMatches(ctx, recs); err != nil || n != len(recs) {
					t.Errorf("flusher %d batch %d: applied %d, %v", f, bt, n, err)
					return
				}
				mu.Lock()
				for _, r := range recs {
					for _, p := range r.Participants {
						played[[2]string{r.Mode, p.PlayerID}]++
					}
				}
				mu.Unlock()
			}
		}()
	}
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for i := range 40 {
				cur := currencies[rng.IntN(len(currencies))]
				from, to := ids[rng.IntN(players)], ids[rng.IntN(players)]
				key := fmt.Sprintf("w%d-%d", w, i)
				if i%2 == 0 || from == to {
					if _, err := s.Grant(ctx, persistence.Grant{IdempotencyKey: key, PlayerID: from, Currency: cur, Amount: 7}); err != nil {
						t.Errorf("grant %s: %v", key, err)
					}
					continue
				}
				_, err := s.Transfer(ctx, persistence.Transfer{IdempotencyKey: key, From: from, To: to, Currency: cur, Amount: 3})
				if err != nil && !errors.Is(err, persistence.ErrInsufficientFunds) {
					t.Errorf("transfer %s: %v", key, err)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	deadlock, serialization, relock := sqlstore.PostgresReruns(s)
	t.Logf("reruns: %d deadlocks, %d serialization failures, %d relocks", deadlock, serialization, relock)
	if deadlock != 0 {
		t.Fatalf("%d deadlocks among concurrent flushers, grants and transfers", deadlock)
	}
	for _, mode := range modes {
		rs, err := s.Ratings(ctx, mode, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if want := played[[2]string{mode, r.PlayerID}]; r.Matches != want {
				t.Errorf("%s %s: %d matches counted, played %d", mode, r.PlayerID, r.Matches, want)
			}
		}
	}
	for _, cur := range currencies {
		storetest.CheckLedger(t, s, cur, append([]string{persistence.HouseAccount}, ids...)...)
		total, err := s.Balance(ctx, persistence.HouseAccount, cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			b, err := s.Balance(ctx, id, cur)
			if err != nil {
				t.Fatal(err)
			}
			total += b
		}
		if total != 0 {
			t.Errorf("%s: house and players sum to %d, want 0", cur, total)
		}
	}
}
