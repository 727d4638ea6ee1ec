package outbox_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/internal/storetest"
	"github.com/pantheon-oracles/pantheon/persistence/outbox"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// The crash test: a child process (this test binary re-executed) submits
// a stream of match results to a durable outbox that flushes them to a
// private PostgreSQL cluster, and prints "ACK <n>" after each Submit
// returns. The parent kills the child with SIGKILL at random points, many
// times, kills -9 and restarts Postgres between rounds (and in some rounds
// under the running child), then drains what is left and checks that
// every acknowledged match exists exactly once, that no reward or wager
// was paid twice and that every wallet equals its ledger.

const (
	envCrashChild   = "PANTHEON_CRASH_CHILD"
	envCrashDB      = "PANTHEON_CRASH_DB"
	envCrashDir     = "PANTHEON_CRASH_DIR"
	envCrashStart   = "PANTHEON_CRASH_START"
	envCrashPlayers = "PANTHEON_CRASH_PLAYERS"
	envCrashSeed    = "PANTHEON_CRASH_SEED" // replays the parent's crash schedule
	crashSeedGold   = 1000
)

// crashMatch is match n of the stream: a deterministic 2v2 between four
// of the players, with a reward for each and (every third match) wagers.
func crashMatch(n int, players []string) contract.MatchRecord {
	p := func(k int) string { return players[(n*3+k*7)%len(players)] }
	rec := storetest.Battle(fmt.Sprintf("crash-%05d", n), p(0), p(1))
	rec.Mode = "battle_2v2"
	rec.Participants = append(rec.Participants,
		contract.Participant{PlayerID: p(2), Seat: 2, Team: 0, Result: contract.ResultWin},
		contract.Participant{PlayerID: p(3), Seat: 3, Team: 1, Result: contract.ResultLoss})
	rec.Rewards = nil
	for i, pt := range rec.Participants {
		rec.Rewards = append(rec.Rewards, contract.Reward{PlayerID: pt.PlayerID, Currency: "gold", Amount: int64(1 + (n+i)%9)})
	}
	if n%7 == 6 {
		rec.Outcome = contract.OutcomeDraw
		rec.WinningTeam = -1
		for i := range rec.Participants {
			rec.Participants[i].Result = contract.ResultDraw
		}
	}
	return rec
}

// TestCrashChild is the child process; it does nothing unless the parent
// set PANTHEON_CRASH_CHILD.
func TestCrashChild(t *testing.T) {
	if os.Getenv(envCrashChild) != "1" {
		t.Skip("runs only as the child of TestCrashExactlyOnce")
	}
	ctx := context.Background()
	players := strings.Split(os.Getenv(envCrashPlayers), ",")
	start, _ := strconv.Atoi(os.Getenv(envCrashStart))
	var s persistence.Store
	var err error
	for deadline := time.Now().Add(60 * time.Second); ; {
		if s, err = sqlstore.Open(ctx, os.Getenv(envCrashDB)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // poll for the database with a deadline
	}
	ob, err := outbox.Open(outbox.Config{Dir: os.Getenv(envCrashDir), BatchRecords: 50,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}, s)
	if err != nil {
		t.Fatal(err)
	}
	go ob.Run(ctx) // killed with the process
	for n := start; ; n++ {
		rec := crashMatch(n, players)
		if n%3 == 0 {
			// Best effort: a wager by a winner and a loser before the result.
			for i, pt := range rec.Participants[:2] {
				w := persistence.Wager{IdempotencyKey: fmt.Sprintf("%s-w%d", rec.MatchID, i), MatchID: rec.MatchID,
					PlayerID: pt.PlayerID, Currency: "gold", Amount: 5}
				wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				_, _ = s.PlaceWager(wctx, w)
				cancel()
			}
		}
		for {
			err := ob.Submit(ctx, rec)
			if err == nil {
				break
			}
			if !errors.Is(err, outbox.ErrFull) {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond) // full: wait for the flusher
		}
		fmt.Fprintf(os.Stdout, "ACK %d\n", n)
	}
}

// crashChild is one running child process.
type crashChild struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	acks []int
	done chan struct{}
}

func (c *crashChild) acked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acks)
}

func startCrashChild(t *testing.T, db, dir string, start int, players []string, logf *os.File) *crashChild {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashChild+"=1", envCrashDB+"="+db, envCrashDir+"="+dir,
		envCrashStart+"="+strconv.Itoa(start), envCrashPlayers+"="+strings.Join(players, ","))
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &crashChild{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "ACK "); ok {
				v, _ := strconv.Atoi(n)
				c.mu.Lock()
				c.acks = append(c.acks, v)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// waitAcks polls until the child acknowledged n records, or it exited, or
// the deadline passed.
func (c *crashChild) waitAcks(n int, within time.Duration) {
	deadline := time.Now().Add(within)
	for c.acked() < n && time.Now().Before(deadline) {
		select {
		case <-c.done:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (c *crashChild) kill9() {
	_ = c.cmd.Process.Kill() // SIGKILL
	<-c.done
	_ = c.cmd.Wait()
}

func TestCrashExactlyOnce(t *testing.T) {
	testsvc.Postgres(t) // runs where Postgres tests run; fails in CI if it cannot
	if os.Getenv(envCrashChild) == "1" {
		t.Skip("child process")
	}
	cluster := testsvc.StartPGCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	applied, err := sqlstore.Migrate(ctx, cluster.URL())
	if err != nil || len(applied) == 0 {
		t.Fatalf("migrate private cluster: %v %v", applied, err)
	}
	s, err := sqlstore.Open(ctx, cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	players := make([]string, 12)
	for i := range players {
		players[i] = storetest.MustPlayer(t, s, fmt.Sprintf("crash%d", i)).ID
		if _, err := s.Grant(ctx, persistence.Grant{IdempotencyKey: "seed-" + players[i], PlayerID: players[i], Currency: "gold", Amount: crashSeedGold}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	dir := filepath.Join(t.TempDir(), "outbox")
	logf, err := os.Create(filepath.Join(t.TempDir(), "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// The kill points are random; the seed is logged (and any failure
	// prints it with the log) and can be replayed with PANTHEON_CRASH_SEED.
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(envCrashSeed); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", envCrashSeed, v, err)
		}
	}
	t.Logf("crash schedule seed %d (rerun with %s=%d)", seed, envCrashSeed, seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	acked := map[int]bool{}
	next := 0
	const rounds = 12
	// Twelve rounds take about a minute on an idle machine; the budget only
	// bounds a very slow one, within the test's 4-minute context.
	budget := time.Now().Add(3 * time.Minute)
	round := 0
	for ; round < rounds && time.Now().Before(budget); round++ {
		// Start a little before the last acknowledged record: resubmitting
		// acknowledged (or written but unacknowledged) matches must change nothing.
		start := max(0, next-rng.IntN(4))
		child := startCrashChild(t, cluster.URL(), dir, start, players, logf)
		child.waitAcks(5+rng.IntN(60), 20*time.Second)
		if round%3 == 1 {
			// Postgres crashes under the running child: results pile up in
			// the outbox, the flusher backs off, then drains.
			cluster.Restart()
			child.waitAcks(child.acked()+5+rng.IntN(30), 20*time.Second)
		}
		child.kill9()
		for _, n := range child.acks {
			acked[n] = true
			next = max(next, n+1)
		}
		t.Logf("round %d: child acknowledged %d records from %d; %d acknowledged in all", round, len(child.acks), start, len(acked))
		cluster.Restart()
	}
	if round < 5 || len(acked) < 50 {
		log, _ := os.ReadFile(logf.Name())
		t.Fatalf("seed %d: only %d rounds and %d acknowledged records in the budget, want at least 5 and 50: too little exercised\nchild log:\n%s", seed, round, len(acked), tail(string(log), 4000))
	}

	// Drain what the last child left in the outbox.
	s, err = sqlstore.Open(ctx, cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ob, err := outbox.Open(outbox.Config{Dir: dir, Logger: quietLogger()}, s)
	if err != nil {
		t.Fatal(err)
	}
	runOutbox(t, ob)
	waitDrained(t, ob, 60*time.Second)

	checkCrashInvariants(t, ctx, cluster, s, players, acked)
}

func checkCrashInvariants(t *testing.T, ctx context.Context, cluster *testsvc.PGCluster, s persistence.Store, players []string, acked map[int]bool) {
	// Every acknowledged match is there, whole.
	for n := range acked {
		want := crashMatch(n, players)
		got, err := s.Match(ctx, want.MatchID)
		if err != nil {
			t.Fatalf("acknowledged match %d: %v", n, err)
		}
		if len(got.Participants) != 4 || len(got.Rewards) != 4 || got.Outcome != want.Outcome {
			t.Fatalf("match %d stored as %+v", n, got)
		}
	}
	conn, err := pgx.Connect(ctx, cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	one := func(q string) int64 {
		t.Helper()
		var v int64
		if err := conn.QueryRow(ctx, q).Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	matches := one(`SELECT count(*) FROM matches`)
	if matches < int64(len(acked)) {
		t.Fatalf("%d matches stored, %d acknowledged", matches, len(acked))
	}
	checks := map[string]string{
		"matches without 4 participants": `SELECT count(*) FROM matches m WHERE (SELECT count(*) FROM match_participants p WHERE p.match_id = m.match_id) <> 4`,
		"reward operations not exactly 5 entries (4 players + house)": `SELECT count(*) FROM (SELECT op_key FROM ledger_entries
			WHERE op_key LIKE 'match:%:rewards' GROUP BY op_key HAVING count(*) <> 5) x`,
		"matches without exactly one reward operation": `SELECT count(*) FROM matches m WHERE (SELECT count(*) FROM ledger_ops o
			WHERE o.idempotency_key = 'match:' || m.match_id || ':rewards') <> 1`,
		"wallets unequal to their ledger": `SELECT count(*) FROM wallets w WHERE w.balance <> (SELECT COALESCE(sum(e.amount), 0)
			FROM ledger_entries e WHERE e.account = w.account AND e.currency = w.currency)`,
		"negative non-house wallets": `SELECT count(*) FROM wallets WHERE balance < 0 AND kind <> 'house'`,
		"escrows unequal to their open wagers": `SELECT count(*) FROM wallets w WHERE w.kind = 'escrow' AND w.balance <> (SELECT COALESCE(sum(amount), 0)
			FROM wagers g WHERE 'escrow:' || g.match_id = w.account AND g.state = 'escrowed')`,
		"wagers of stored matches left in escrow": `SELECT count(*) FROM wagers g JOIN matches m USING (match_id) WHERE g.state = 'escrowed'`,
		"players whose balance is not seed + rewards + wager results": fmt.Sprintf(`SELECT count(*) FROM wallets w WHERE w.kind = 'player' AND w.balance <> %d
			+ (SELECT COALESCE(sum(amount), 0) FROM match_rewards r WHERE r.player_id = w.account)
			- (SELECT COALESCE(sum(amount), 0) FROM wagers g WHERE g.player_id = w.account)
			+ (SELECT COALESCE(sum(payout), 0) FROM wagers g WHERE g.player_id = w.account)`, crashSeedGold),
		"rating match counts unequal to matches played": `SELECT count(*) FROM ratings r WHERE r.matches <> (SELECT count(*) FROM match_participants p
			WHERE p.player_id = r.player_id)`,
	}
	for name, q := range checks {
		if n := one(q); n != 0 {
			t.Errorf("%s: %d", name, n)
		}
	}
	if total := one(`SELECT COALESCE(sum(balance), 0) FROM wallets`); total != 0 {
		t.Errorf("all wallets sum to %d, want 0 (double entry)", total)
	}
	wagers := one(`SELECT count(*) FROM wagers`)
	t.Logf("checked %d acknowledged of %d stored matches, %d wagers", len(acked), matches, wagers)
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
