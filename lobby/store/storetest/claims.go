package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/store"
)

// stuckIDs lists the ids Stuck returns, in its order.
func stuckIDs(t *testing.T, s store.Store, mode string, before time.Time, limit int) []string {
	t.Helper()
	recs, err := s.Stuck(ctxT(t), mode, before, limit)
	must(t, err)
	var ids []string
	for _, r := range recs {
		if r.State != store.StateMatched {
			t.Fatalf("Stuck returned %s in state %s", r.ID, r.State)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

func claim(t *testing.T, s store.Store, mode, matchID string, at time.Time, ids ...string) {
	t.Helper()
	ok, err := s.Claim(ctxT(t), mode, matchID, ids, at)
	must(t, err)
	if !ok {
		t.Fatalf("claim of %v failed", ids)
	}
}

func testClaimTimeAndStuck(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		must(t, s.Enqueue(ctx, rec(id, "m", "p"+id), 10))
	}
	must(t, s.Enqueue(ctx, rec("x", "other", "px"), 10))
	claim(t, s, "m", "m1", t0.Add(2*time.Second), "b", "a")
	claim(t, s, "m", "m2", t0.Add(10*time.Second), "c")
	claim(t, s, "m", "m3", t0.Add(time.Second), "d")
	claim(t, s, "other", "m4", t0, "x")
	got, err := s.Ticket(ctx, "a")
	must(t, err)
	if !got.ClaimedAt.Equal(t0.Add(2*time.Second)) || got.MatchID != "m1" {
		t.Fatalf("claimed ticket reads claim %v under %q", got.ClaimedAt, got.MatchID)
	}
	// Claims strictly older than the cutoff, oldest first, per mode.
	if ids := stuckIDs(t, s, "m", t0.Add(5*time.Second), 10); !slices.Equal(ids, []string{"d", "a", "b"}) &&
		!slices.Equal(ids, []string{"d", "b", "a"}) {
		t.Fatalf("stuck before +5s: %v, want d then a and b", ids)
	}
	if ids := stuckIDs(t, s, "m", t0.Add(time.Second), 10); len(ids) != 0 {
		t.Fatalf("stuck strictly before +1s: %v, want none", ids)
	}
	if ids := stuckIDs(t, s, "m", t0.Add(time.Minute), 2); len(ids) != 2 || ids[0] != "d" {
		t.Fatalf("stuck with limit 2: %v", ids)
	}
	if ids := stuckIDs(t, s, "other", t0.Add(time.Minute), 10); !slices.Equal(ids, []string{"x"}) {
		t.Fatalf("stuck in other mode: %v", ids)
	}
	// Settled and transitioned claims leave the index; a queued ticket never enters it.
	must(t, s.Settle(ctx, "d", "m3", store.Outcome{State: store.StateQueued}))
	must(t, s.Transition(ctx, "a", store.StateMatched, store.StateAssigned, []byte("room")))
	if ids := stuckIDs(t, s, "m", t0.Add(time.Minute), 10); !slices.Equal(ids, []string{"b", "c"}) {
		t.Fatalf("stuck after settling d and assigning a: %v, want [b c]", ids)
	}
	if err := s.Transition(ctx, "e", store.StateQueued, store.StateMatched, nil); !errors.Is(err, store.ErrBadTransition) {
		t.Fatalf("transition into matched: %v", err)
	}
	if err := s.Settle(ctx, "b", "m1", store.Outcome{State: store.StateMatched}); !errors.Is(err, store.ErrBadTransition) {
		t.Fatalf("settle into matched: %v", err)
	}
}

func testSettle(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	must(t, s.Enqueue(ctx, rec("a", "m", "pa1", "pa2"), 10))
	must(t, s.Enqueue(ctx, rec("b", "m", "pb"), 10))
	if err := s.Settle(ctx, "a", "m1", store.Outcome{State: store.StateQueued}); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("settle of a queued ticket: %v", err)
	}
	if err := s.Settle(ctx, "zz", "m1", store.Outcome{State: store.StateQueued}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("settle of an unknown ticket: %v", err)
	}
	claim(t, s, "m", "m1", t0, "a", "b")
	if err := s.Settle(ctx, "a", "other-match", store.Outcome{State: store.StateAssigned, Assignment: []byte("x")}); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("settle under another match: %v", err)
	}
	// Requeue: back in the queue with its enqueue time, data and the reason.
	must(t, s.Settle(ctx, "a", "m1", store.Outcome{State: store.StateQueued, Reason: "assignment_timeout"}))
	got, err := s.Ticket(ctx, "a")
	must(t, err)
	if got.State != store.StateQueued || got.Reason != "assignment_timeout" || !got.EnqueuedAt.Equal(t0) || string(got.Data) != `{"id":"a"}` {
		t.Fatalf("requeued ticket reads %+v", got)
	}
	if ids := queuedIDs(t, s, "m"); !slices.Equal(ids, []string{"a"}) {
		t.Fatalf("queued after requeue %v", ids)
	}
	if err := s.Enqueue(ctx, rec("c", "m", "pa2"), 10); !errors.Is(err, store.ErrAlreadyQueued) {
		t.Fatalf("a requeued ticket's player queued again: %v", err)
	}
	// Claimed again by another match: the first match can no longer settle it.
	claim(t, s, "m", "m2", t0.Add(time.Minute), "a")
	if err := s.Settle(ctx, "a", "m1", store.Outcome{State: store.StateAssigned, Assignment: []byte("stale")}); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("stale match settled a ticket claimed again: %v", err)
	}
	must(t, s.Settle(ctx, "a", "m2", store.Outcome{State: store.StateAssigned, Assignment: []byte(`{"room":"r2"}`)}))
	got, err = s.Ticket(ctx, "a")
	must(t, err)
	if got.State != store.StateAssigned || got.MatchID != "m2" || string(got.Assignment) != `{"room":"r2"}` {
		t.Fatalf("assigned ticket reads %+v", got)
	}
	if err := s.Settle(ctx, "a", "m2", store.Outcome{State: store.StateFailed}); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("second settle: %v", err)
	}
	must(t, s.Enqueue(ctx, rec("c", "m", "pa2"), 10)) // assigned released its players
	// Failing releases the players and keeps the reason.
	must(t, s.Settle(ctx, "b", "m1", store.Outcome{State: store.StateFailed, Reason: "assignment_timeout"}))
	got, err = s.Ticket(ctx, "b")
	must(t, err)
	if got.State != store.StateFailed || got.Reason != "assignment_timeout" {
		t.Fatalf("failed ticket reads %+v", got)
	}
	must(t, s.Enqueue(ctx, rec("d", "m", "pb"), 10))
	if ids := queuedIDs(t, s, "m"); !slices.Equal(ids, []string{"c", "d"}) {
		t.Fatalf("queued at the end %v", ids)
	}
}

func testConcurrentSettles(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const tickets, settlers = 10, 6
	var ids []string
	for i := range tickets {
		id := fmt.Sprintf("t%d", i)
		ids = append(ids, id)
		must(t, s.Enqueue(ctx, rec(id, "m", "p"+id), 100))
	}
	claim(t, s, "m", "m1", t0, ids...)
	wins := make([]int, tickets)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range settlers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, id := range ids {
				to := store.StateQueued
				if w%2 == 1 {
					to = store.StateFailed
				}
				err := s.Settle(ctx, id, "m1", store.Outcome{State: to})
				if err != nil && !errors.Is(err, store.ErrStateConflict) {
					t.Error(err)
					return
				}
				if err == nil {
					mu.Lock()
					wins[i]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for i, n := range wins {
		if n != 1 {
			t.Fatalf("ticket %s settled %d times", ids[i], n)
		}
	}
	if ids := stuckIDs(t, s, "m", t0.Add(time.Hour), 100); len(ids) != 0 {
		t.Fatalf("settled tickets still stuck: %v", ids)
	}
}

func testStuckRecords(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	must(t, s.Enqueue(ctx, rec("a", "m", "pa"), 10))
	claim(t, s, "m", "m1", t0, "a")
	if _, err := s.Stuck(ctx, "m", t0.Add(time.Hour), 0); err != nil {
		t.Fatalf("stuck with limit 0: %v", err)
	}
	recs, err := s.Stuck(ctx, "m", t0.Add(time.Hour), 10)
	must(t, err)
	if len(recs) != 1 || recs[0].ID != "a" || recs[0].MatchID != "m1" || !recs[0].EnqueuedAt.Equal(t0) || !slices.Equal(recs[0].PlayerIDs, []string{"pa"}) {
		t.Fatalf("stuck records %+v", recs)
	}
}

func testPlayerRevocations(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	rv, err := s.Revocation(ctx, "s1", "p1")
	must(t, err)
	if rv.Session || !rv.Before.IsZero() {
		t.Fatalf("fresh revocation state %+v", rv)
	}
	cut := t0.Add(1500 * time.Microsecond)
	must(t, s.RevokePlayer(ctx, "p1", cut, time.Hour))
	must(t, s.RevokePlayer(ctx, "p1", cut.Add(-time.Minute), time.Hour)) // earlier: ignored
	must(t, s.Revoke(ctx, "s1", time.Hour))
	rv, err = s.Revocation(ctx, "s1", "p1")
	must(t, err)
	if !rv.Session || !rv.Before.Equal(cut) {
		t.Fatalf("after revoking: %+v, want session and cutoff %v", rv, cut)
	}
	rv, err = s.Revocation(ctx, "s2", "p2")
	must(t, err)
	if rv.Session || !rv.Before.IsZero() {
		t.Fatalf("another session and player: %+v", rv)
	}
	later := cut.Add(time.Second)
	must(t, s.RevokePlayer(ctx, "p1", later, shortTTL))
	rv, err = s.Revocation(ctx, "s9", "p1")
	must(t, err)
	if rv.Session || !rv.Before.Equal(later) {
		t.Fatalf("later cutoff: %+v", rv)
	}
	eventually(t, "the player cutoff to expire", func() bool {
		rv, err := s.Revocation(ctx, "s9", "p1")
		must(t, err)
		return rv.Before.IsZero()
	})
}
