package sqlstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// BenchmarkLeaderboard measures leaderboard reads against real PostgreSQL
// with 1,000,000 rated players in one mode (seeded once per run with COPY,
// then ANALYZEd): the top 100 (History.Leaderboard) and the 5 rows above
// and below a player (History.Around) at rank 100, 10,000 and 500,000.
// Around counts the rows above the player to tell its rank, so its cost
// grows with the rank; the top-100 read is an index scan of
// ratings_leaderboard, which the benchmark checks with EXPLAIN.
//
//	PANTHEON_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	go test ./persistence/sqlstore -run x -bench Leaderboard -benchtime 200x
func BenchmarkLeaderboard(b *testing.B) {
	const players, mode = 1_000_000, "battle_5v5"
	url := postgresSchemaURL(b)
	ctx := context.Background()
	if _, err := sqlstore.Migrate(ctx, url); err != nil {
		b.Fatal(err)
	}
	seedRatings(b, url, mode, players)
	s, err := sqlstore.OpenConfig(ctx, sqlstore.Config{URL: url, MaxConns: 4})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	checkLeaderboardPlan(b, url, mode)

	b.Run(fmt.Sprintf("players=%d/top=100", players), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := s.Leaderboard(ctx, mode, 100)
			if err != nil || len(rows) != 100 {
				b.Fatalf("top 100 = %d rows, %v", len(rows), err)
			}
		}
	})
	for _, rank := range []int{100, 10_000, 500_000} {
		id := playerAtRank(b, url, mode, rank)
		b.Run(fmt.Sprintf("players=%d/around=5/rank=%d", players, rank), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rows, err := s.Around(ctx, mode, id, 5)
				if err != nil || len(rows) != 11 || rows[5].PlayerID != id || rows[5].Rank != int64(rank) {
					b.Fatalf("around rank %d = %+v, %v", rank, rows, err)
				}
			}
		})
	}
}

// seedRatings COPYs n players and their ratings in mode (mu uniform in
// 0..50, sigma in 1..25/3, from a fixed seed), then ANALYZEs the tables.
func seedRatings(b *testing.B, url, mode string, n int) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	now := time.Now().UTC()
	id := func(i int) string { return fmt.Sprintf("p_lb_%07d", i) }
	i := 0
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"players"}, []string{"id", "display_name", "created_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			return []any{id(i - 1), "", now}, nil
		})); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	i = 0
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"ratings"}, []string{"player_id", "mode", "mu", "sigma", "matches", "updated_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			return []any{id(i - 1), mode, 50 * rng.Float64(), 1 + (25.0/3-1)*rng.Float64(), 1 + rng.IntN(200), now}, nil
		})); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE players; ANALYZE ratings"); err != nil {
		b.Fatal(err)
	}
}

// checkLeaderboardPlan fails unless the top-100 read of mode scans
// ratings_leaderboard (the query spelled as History.Leaderboard does).
func checkLeaderboardPlan(b *testing.B, url, mode string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rs, err := conn.Query(ctx, `EXPLAIN SELECT player_id, mu, sigma, matches FROM ratings WHERE mode = $1
		ORDER BY (mu - 3 * sigma) DESC, player_id LIMIT 100`, mode)
	if err != nil {
		b.Fatal(err)
	}
	var plan []string
	for rs.Next() {
		var line string
		if err := rs.Scan(&line); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rs.Err(); err != nil {
		b.Fatal(err)
	}
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "Index Scan using ratings_leaderboard") {
		b.Fatalf("top-100 plan does not scan ratings_leaderboard:\n%s", p)
	}
}

// playerAtRank returns the player at 1-based rank in mode's board.
func playerAtRank(b *testing.B, url, mode string, rank int) string {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var id string
	if err := conn.QueryRow(ctx, `SELECT player_id FROM ratings WHERE mode = $1
		ORDER BY (mu - 3 * sigma) DESC, player_id OFFSET $2 LIMIT 1`, mode, rank-1).Scan(&id); err != nil {
		b.Fatal(err)
	}
	return id
}
