package outbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/persistence/outbox"
	"github.com/pantheon-oracles/pantheon/persistence/sqlstore"
)

// A room server's wiring: open the outbox on a store, run its flusher,
// submit a finished match, and find it in the store once flushed.
func Example() {
	dir, err := os.MkdirTemp("", "outbox-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "pantheon.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	a, _, _ := store.LoginIdentity(ctx, "device", "dev-a", "a")
	b, _, _ := store.LoginIdentity(ctx, "device", "dev-b", "b")

	ob, err := outbox.Open(outbox.Config{Dir: filepath.Join(dir, "outbox")}, store)
	if err != nil {
		fmt.Println(err)
		return
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- ob.Run(runCtx) }()

	rec := contract.MatchRecord{
		MatchID: "m1", RoomID: "r1", ServerID: "room-1", Mode: "battle_1v1", Ticks: 5400,
		Outcome: contract.OutcomeTeamWin, WinningTeam: 0,
		Participants: []contract.Participant{
			{PlayerID: a.ID, Seat: 0, Team: 0, Result: contract.ResultWin},
			{PlayerID: b.ID, Seat: 1, Team: 1, Result: contract.ResultLoss},
		},
		Rewards: []contract.Reward{{PlayerID: a.ID, Currency: "gold", Amount: 25}},
	}
	if err := ob.Submit(ctx, rec); err != nil { // durable on disk when nil
		fmt.Println(err)
		return
	}
	for n, _ := ob.Pending(); n > 0 && ctx.Err() == nil; n, _ = ob.Pending() {
		time.Sleep(5 * time.Millisecond) // poll until flushed (bounded by ctx)
	}
	stop()
	<-done
	if err := ob.Close(); err != nil {
		fmt.Println(err)
		return
	}

	m, err := store.Match(ctx, "m1")
	gold, _ := store.Balance(ctx, a.ID, "gold")
	fmt.Println(m.MatchID, m.Outcome, gold, err)
	// Output: m1 team_win 25 <nil>
}
