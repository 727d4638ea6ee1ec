package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// BenchmarkFlush measures ApplyMatches against real PostgreSQL, the flush
// path of the outbox, with COPY and with batched multi-row INSERTs, and
// reports participant rows/s. Each op applies one batch of fresh 5v5
// matches (10 participant rows each, a codex entry, a replay) per flusher:
//
//   - work=rows: aborted matches without rewards: the match, participant,
//     codex and replay rows and the closed wager book, no rating or ledger
//     work. This is the raw row path the 50,000 rows/s target is about.
//
//   - work=full: won matches with a currency reward per player: also ten
//     rating updates, ten wallet credits and their ledger entries per match
//     (rating and wallet rows already exist: an untimed warm-up batch
//     creates them).
//
//   - flushers=N: N goroutines apply their batches at the same time, each
//     with its own players (like N room servers, each with its outbox),
//     all crediting the one house wallet.
//
// When Postgres runs on this host (its /proc entries readable), it also
// reports the CPU time its server processes spent per op (pg-cpu-ms/op)
// and participant rows per second of that CPU (rows/pg-cpu-s): what one
// server core can absorb, whatever the client and the machine's load.
//
//	PANTHEON_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	go test -run '^$' -bench BenchmarkFlush ./persistence/...
func BenchmarkFlush(b *testing.B) {
	url := postgresSchemaURL(b)
	ctx := context.Background()
	const batch = 500
	const pool = 10 * batch // one batch seats every player of a pool once
	const maxFlushers = 2
	players := seedPlayers(b, url, maxFlushers*pool)
	for _, work := range []string{"rows", "full"} {
		for _, mode := range []string{sqlstore.BulkCopy, sqlstore.BulkBatched} {
			for flushers := 1; flushers <= maxFlushers; flushers++ {
				name := fmt.Sprintf("work=%s/mode=%s/batch=%d/flushers=%d", work, mode, batch, flushers)
				b.Run(name, func(b *testing.B) {
					app := fmt.Sprintf("pantheon_flush_bench_%d", time.Now().UnixNano())
					storeURL, err := withApplicationName(url, app)
					if err != nil {
						b.Fatal(err)
					}
					s, err := sqlstore.OpenConfig(ctx, sqlstore.Config{URL: storeURL, AutoMigrate: true, BulkInsert: mode})
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					fs := make([]*benchFlusher, flushers)
					for i := range fs {
						fs[i] = &benchFlusher{s: s, full: work == "full", players: players[i*pool : (i+1)*pool],
							prefix: fmt.Sprintf("%x-%s-%d", time.Now().UnixNano(), name, i)} // -count=N reruns need fresh match ids
						// Warm-up, untimed: every player's rating and wallet rows
						// exist, as they do in steady state.
						if err := fs[i].apply(ctx, batch); err != nil {
							b.Fatal(err)
						}
					}
					cpu, err := startServerCPU(ctx, url, app)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					var rows int
					start := time.Now()
					for b.Loop() {
						errs := make(chan error, flushers)
						for _, f := range fs {
							go func() { errs <- f.apply(ctx, batch) }()
						}
						for range fs {
							if err := <-errs; err != nil {
								b.Fatal(err)
							}
						}
						rows += flushers * batch * 10
					}
					b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
					if used, ok := cpu.used(ctx); ok && used > 0 {
						b.ReportMetric(float64(used.Milliseconds())/float64(b.N), "pg-cpu-ms/op")
						b.ReportMetric(float64(rows)/used.Seconds(), "rows/pg-cpu-s")
					}
				})
			}
		}
	}
}

// benchFlusher applies batches of fresh matches among its own players.
type benchFlusher struct {
	s       persistence.Store
	full    bool
	players []string
	prefix  string // unique per flusher and run
	batches int
	next    int // round-robin position in players
}

// apply builds one batch of n fresh matches and applies it.
func (f *benchFlusher) apply(ctx context.Context, n int) error {
	recs := make([]contract.MatchRecord, n)
	for j := range recs {
		recs[j] = benchMatch(fmt.Sprintf("%s-%d-%d", f.prefix, f.batches, j), f.full, f.players, &f.next)
	}
	f.batches++
	applied, err := f.s.ApplyMatches(ctx, recs)
	if err == nil && applied != n {
		err = fmt.Errorf("applied %d of %d fresh matches", applied, n)
	}
	return err
}

// benchMatch is a 5v5 with a codex entry and a replay; full adds a win and
// rewards, otherwise it is aborted. Players are taken round-robin from the
// pool so rating and wallet rows are shared across matches.
func benchMatch(id string, full bool, players []string, next *int) contract.MatchRecord {
	rec := contract.MatchRecord{MatchID: id, RoomID: "r", ServerID: "s", Mode: "battle_5v5", Arena: "behemoth",
		ContentVersion: "c1", Seed: 42, StartedAt: time.Unix(1700000000, 0), EndedAt: time.Unix(1700000300, 0),
		Ticks: 9000, Outcome: contract.OutcomeTeamWin, WinningTeam: 0, FinalHash: 7}
	for seat := range 10 {
		p := players[*next%len(players)]
		*next++
		res := contract.ResultWin
		if seat >= 5 {
			res = contract.ResultLoss
		}
		rec.Participants = append(rec.Participants, contract.Participant{PlayerID: p, Seat: seat, Team: seat / 5, Result: res,
			Kills: seat, Deaths: 1, DamageDealt: 1000, DamageTaken: 800, Healing: 10, Score: 500})
		if full {
			rec.Rewards = append(rec.Rewards, contract.Reward{PlayerID: p, Currency: "gold", Amount: 10})
		}
	}
	if !full {
		rec.Outcome = contract.OutcomeAborted
	}
	rec.Replay = make([]byte, 256)
	rec.Codex = []contract.CodexEntry{{PlayerID: rec.Participants[0].PlayerID, EntryID: "first_blood", Tick: 100}}
	return rec
}

// seedPlayers migrates the schema at url and inserts n players with COPY.
func seedPlayers(b testing.TB, url string, n int) []string {
	ctx := context.Background()
	if _, err := sqlstore.Migrate(ctx, url); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	ids := make([]string, n)
	rows := make([][]any, n)
	now := time.Now()
	for i := range ids {
		ids[i] = fmt.Sprintf("p_bench_%06d", i)
		rows[i] = []any{ids[i], "", now}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"players"}, []string{"id", "display_name", "created_at"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	return ids
}
