package storetest

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testwait"
	"github.com/pantheon-oracles/pantheon/persistence"
	"github.com/pantheon-oracles/pantheon/persistence/outbox"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// Ctx returns a context that ends after one minute or when the test ends.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// OpenSQLite opens a fresh embedded store in a temporary directory (in a
// subdirectory Open must create) and closes it at cleanup.
func OpenSQLite(t testing.TB) persistence.Store {
	t.Helper()
	s, err := sqlstore.Open(Ctx(t), "sqlite:"+filepath.Join(t.TempDir(), "sub", "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// MustPlayer logs in the guest identity device/dev-<name> on s, creating
// the player the first time.
func MustPlayer(t testing.TB, s persistence.Store, name string) persistence.Player {
	t.Helper()
	p, _, err := s.LoginIdentity(Ctx(t), "device", "dev-"+name, name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// MustBalance fails the test unless account's currency wallet holds want.
func MustBalance(t testing.TB, s persistence.Store, account, currency string, want int64) {
	t.Helper()
	got, err := s.Balance(Ctx(t), account, currency)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("balance %s/%s = %d, want %d", account, currency, got, want)
	}
}

// CheckLedger asserts that every listed wallet's balance equals the sum of
// its entries, and that none but the house wallet is negative.
func CheckLedger(t testing.TB, s persistence.Store, currency string, accounts ...string) {
	t.Helper()
	ctx := Ctx(t)
	for _, a := range accounts {
		bal, err := s.Balance(ctx, a, currency)
		if err != nil {
			t.Fatal(err)
		}
		es, err := s.Entries(ctx, a, currency)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, e := range es {
			sum += e.Amount
		}
		if sum != bal {
			t.Fatalf("wallet %s/%s balance %d, entries sum %d", a, currency, bal, sum)
		}
		if bal < 0 && a != persistence.HouseAccount {
			t.Fatalf("wallet %s/%s negative: %d", a, currency, bal)
		}
	}
}

// Battle returns a 1v1 record won by team 0 (a) against team 1 (b): a is
// rewarded 25 gold and an item, b 5 gold; a earns one codex entry.
func Battle(id string, a, b string) contract.MatchRecord {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return contract.MatchRecord{
		MatchID: id, RoomID: "r_" + id, ServerID: "room-1", Mode: "battle_1v1", Arena: "leviathan",
		ContentVersion: "c1", Seed: 1<<63 + 7, StartedAt: start, EndedAt: start.Add(3 * time.Minute),
		Ticks: 5400, Outcome: contract.OutcomeTeamWin, WinningTeam: 0, FinalHash: 0xfeedfacecafebeef,
		Participants: []contract.Participant{
			{PlayerID: a, Seat: 0, Team: 0, Result: contract.ResultWin, Kills: 3, Deaths: 1, DamageDealt: 900, DamageTaken: 400, Healing: 50, Score: 1200},
			{PlayerID: b, Seat: 1, Team: 1, Result: contract.ResultLoss, Kills: 1, Deaths: 3, DamageDealt: 400, DamageTaken: 900, Score: 300},
		},
		Rewards: []contract.Reward{
			{PlayerID: a, Currency: "gold", Amount: 25},
			{PlayerID: a, ItemID: "ember_shard"},
			{PlayerID: b, Currency: "gold", Amount: 5},
		},
		Codex:  []contract.CodexEntry{{PlayerID: a, EntryID: "first_flame", Tick: 1200, Detail: "struck first"}},
		Replay: []byte{0x93, 1, 2, 3},
	}
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listened on a
// moment ago (the listener that found it is closed).
func FreePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Flush writes recs to s the way a room server does: through an outbox in
// a temporary directory and its flusher (Run), returning once the outbox
// has nothing pending and the flusher has stopped.
func Flush(t testing.TB, s persistence.Results, recs ...contract.MatchRecord) {
	t.Helper()
	ob, err := outbox.Open(outbox.Config{Dir: filepath.Join(t.TempDir(), "outbox")}, s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(Ctx(t))
	done := make(chan error, 1)
	go func() { done <- ob.Run(ctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("outbox run: %v", err)
		}
		if err := ob.Close(); err != nil {
			t.Errorf("outbox close: %v", err)
		}
	}()
	for _, r := range recs {
		if err := ob.Submit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	testwait.For(t, time.Minute, 5*time.Millisecond, "outbox flushed", func() bool { n, _ := ob.Pending(); return n == 0 }, nil)
}
