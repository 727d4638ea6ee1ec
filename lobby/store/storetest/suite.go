package storetest

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/redis/go-redis/v9"
)

// RedisPrefix returns a random key prefix for one test on the Redis at url
// and deletes every key under it when the test ends.
func RedisPrefix(t testing.TB, url string) string {
	b := make([]byte, 6)
	_, _ = crand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		opt, err := redis.ParseURL(url)
		if err != nil {
			return
		}
		c := redis.NewClient(opt)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 200).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// Open returns a fresh, empty store for one subtest.
type Open func(t *testing.T) store.Store

// Run runs the whole suite against stores from open.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"EnqueueAndRead", testEnqueueAndRead},
		{"QueueCap", testQueueCap},
		{"OneLiveTicketPerPlayer", testOneLiveTicketPerPlayer},
		{"ClaimAllOrNothing", testClaimAllOrNothing},
		{"ConcurrentClaimsNeverOverlap", testConcurrentClaims},
		{"Transitions", testTransitions},
		{"EndTicket", testEndTicket},
		{"ClaimTimeAndStuck", testClaimTimeAndStuck},
		{"Settle", testSettle},
		{"ConcurrentSettlesOneWins", testConcurrentSettles},
		{"StuckReturnsWholeRecords", testStuckRecords},
		{"Revocations", testRevocations},
		{"PlayerRevocations", testPlayerRevocations},
		{"Limiter", testLimiter},
		{"Registry", testRegistry},
		{"PlacedCounts", testPlaced},
		{"Leases", testLeases},
		{"Events", testEvents},
		{"Flags", testFlags},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func rec(id, mode string, players ...string) store.TicketRecord {
	return store.TicketRecord{ID: id, Mode: mode, PlayerIDs: players, EnqueuedAt: t0, Data: []byte(`{"id":"` + id + `"}`)}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// shortTTL is the lifetime of the revocations and leases the suite waits
// to see expire. Each is checked as still live right after it is written,
// so it must outlast a store round trip on a loaded machine by far (with
// 300 ms, a slow run read an expired revocation and failed); expiry is
// then awaited with eventually.
const shortTTL = 2 * time.Second

// eventually polls cond every 10 ms until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 20s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func queuedIDs(t *testing.T, s store.Store, mode string) []string {
	t.Helper()
	recs, err := s.Queued(ctxT(t), mode)
	must(t, err)
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

func testEnqueueAndRead(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	r := rec("t1", "m", "p1", "p2")
	r.State = "bogus"
	must(t, s.Enqueue(ctx, r, 10))
	got, err := s.Ticket(ctx, "t1")
	must(t, err)
	if got.ID != "t1" || got.Mode != "m" || got.State != store.StateQueued || !slices.Equal(got.PlayerIDs, []string{"p1", "p2"}) ||
		!got.EnqueuedAt.Equal(t0) || !bytes.Equal(got.Data, r.Data) || got.MatchID != "" || got.Assignment != nil {
		t.Fatalf("read back %+v", got)
	}
	if err := s.Enqueue(ctx, rec("t1", "m", "p9"), 10); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("second enqueue of one id: %v", err)
	}
	if _, err := s.Ticket(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown ticket: %v", err)
	}
	if ids := queuedIDs(t, s, "m"); !slices.Equal(ids, []string{"t1"}) {
		t.Fatalf("queued %v", ids)
	}
	if ids := queuedIDs(t, s, "other"); len(ids) != 0 {
		t.Fatalf("other mode queued %v", ids)
	}
	n, err := s.QueueLen(ctx, "m")
	must(t, err)
	if n != 1 {
		t.Fatalf("queue length %d", n)
	}
}

func testQueueCap(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	for i := range 3 {
		must(t, s.Enqueue(ctx, rec(fmt.Sprint("t", i), "m", fmt.Sprint("p", i)), 3))
	}
	if err := s.Enqueue(ctx, rec("t3", "m", "p3"), 3); !errors.Is(err, store.ErrQueueFull) {
		t.Fatalf("fourth ticket in a queue of 3: %v", err)
	}
	must(t, s.Enqueue(ctx, rec("t4", "other", "p4"), 3)) // caps are per mode
	must(t, s.Transition(ctx, "t0", store.StateQueued, store.StateCancelled, nil))
	must(t, s.Enqueue(ctx, rec("t3", "m", "p3"), 3))
}

func testOneLiveTicketPerPlayer(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	must(t, s.Enqueue(ctx, rec("a", "m", "p1", "p2"), 10))
	if err := s.Enqueue(ctx, rec("b", "other", "p3", "p2"), 10); !errors.Is(err, store.ErrAlreadyQueued) {
		t.Fatalf("party member with a live ticket: %v", err)
	}
	if _, err := s.Ticket(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused ticket was stored: %v", err)
	}
	// Still live while matched.
	ok, err := s.Claim(ctx, "m", "m1", []string{"a"}, t0)
	must(t, err)
	if !ok {
		t.Fatal("claim failed")
	}
	if err := s.Enqueue(ctx, rec("c", "m", "p1"), 10); !errors.Is(err, store.ErrAlreadyQueued) {
		t.Fatalf("player with a matched ticket: %v", err)
	}
	playerTicket := func(player, want string) {
		t.Helper()
		got, err := s.PlayerTicket(ctx, player)
		must(t, err)
		if got != want {
			t.Fatalf("PlayerTicket(%s): got %q, want %q", player, got, want)
		}
	}
	playerTicket("p2", "a")
	playerTicket("p3", "")
	must(t, s.Transition(ctx, "a", store.StateMatched, store.StateAssigned, []byte("room")))
	playerTicket("p2", "")
	must(t, s.Enqueue(ctx, rec("c", "m", "p1"), 10))
	must(t, s.Enqueue(ctx, rec("d", "m", "p3", "p2"), 10))
	playerTicket("p1", "c")
	playerTicket("p2", "d")
}

func testClaimAllOrNothing(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	for _, id := range []string{"a", "b", "c"} {
		must(t, s.Enqueue(ctx, rec(id, "m", "p"+id), 10))
	}
	ok, err := s.Claim(ctx, "m", "m1", []string{"a", "b"}, t0)
	must(t, err)
	if !ok {
		t.Fatal("claim of two queued tickets failed")
	}
	ok, err = s.Claim(ctx, "m", "m2", []string{"c", "b"}, t0)
	must(t, err)
	if ok {
		t.Fatal("claim including a matched ticket succeeded")
	}
	if ids := queuedIDs(t, s, "m"); !slices.Equal(ids, []string{"c"}) {
		t.Fatalf("after claims queued %v, want [c]", ids)
	}
	got, err := s.Ticket(ctx, "b")
	must(t, err)
	if got.State != store.StateMatched || got.MatchID != "m1" {
		t.Fatalf("b is %s/%s, want matched/m1", got.State, got.MatchID)
	}
	ok, err = s.Claim(ctx, "other", "m3", []string{"c"}, t0)
	must(t, err)
	if ok {
		t.Fatal("claim in the wrong mode's queue succeeded")
	}
}

func testConcurrentClaims(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 40
	for i := range n {
		must(t, s.Enqueue(ctx, rec(fmt.Sprintf("t%02d", i), "m", fmt.Sprint("p", i)), 1000))
	}
	var mu sync.Mutex
	owner := map[string]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for k := range 40 {
				ids := []string{fmt.Sprintf("t%02d", r.IntN(n)), fmt.Sprintf("t%02d", r.IntN(n)), fmt.Sprintf("t%02d", r.IntN(n))}
				if ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] {
					continue
				}
				match := fmt.Sprintf("w%d-%d", w, k)
				ok, err := s.Claim(ctx, "m", match, ids, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					for _, id := range ids {
						if prev, dup := owner[id]; dup {
							t.Errorf("ticket %s claimed by %s and %s", id, prev, match)
						}
						owner[id] = match
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(owner) == 0 {
		t.Fatal("no claim succeeded")
	}
	for id, m := range owner {
		got, err := s.Ticket(ctx, id)
		must(t, err)
		if got.MatchID != m || got.State != store.StateMatched {
			t.Fatalf("%s is %s/%s, claimed by %s", id, got.State, got.MatchID, m)
		}
	}
	if q := queuedIDs(t, s, "m"); len(q)+len(owner) != n {
		t.Fatalf("%d queued + %d claimed != %d", len(q), len(owner), n)
	}
}

func testTransitions(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	must(t, s.Enqueue(ctx, rec("a", "m", "pa"), 10))
	must(t, s.Enqueue(ctx, rec("b", "m", "pb"), 10))
	if err := s.Transition(ctx, "a", store.StateMatched, store.StateAssigned, nil); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("transition from the wrong state: %v", err)
	}
	if err := s.Transition(ctx, "zz", store.StateQueued, store.StateCancelled, nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("transition of an unknown ticket: %v", err)
	}
	must(t, s.Transition(ctx, "a", store.StateQueued, store.StateCancelled, nil))
	if err := s.Transition(ctx, "a", store.StateQueued, store.StateCancelled, nil); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("second cancel: %v", err)
	}
	if ids := queuedIDs(t, s, "m"); !slices.Equal(ids, []string{"b"}) {
		t.Fatalf("after cancel queued %v", ids)
	}
	got, err := s.Ticket(ctx, "a")
	must(t, err)
	if got.State != store.StateCancelled {
		t.Fatalf("cancelled ticket reads %s", got.State)
	}
	// Requeue after a failed allocation keeps the enqueue time and data.
	ok, err := s.Claim(ctx, "m", "m1", []string{"b"}, t0)
	must(t, err)
	if !ok {
		t.Fatal("claim failed")
	}
	must(t, s.Transition(ctx, "b", store.StateMatched, store.StateQueued, nil))
	recs, err := s.Queued(ctx, "m")
	must(t, err)
	if len(recs) != 1 || recs[0].ID != "b" || !recs[0].EnqueuedAt.Equal(t0) || string(recs[0].Data) != `{"id":"b"}` {
		t.Fatalf("requeued %+v", recs)
	}
	ok, err = s.Claim(ctx, "m", "m2", []string{"b"}, t0)
	must(t, err)
	if !ok {
		t.Fatal("claim after requeue failed")
	}
	must(t, s.Transition(ctx, "b", store.StateMatched, store.StateAssigned, []byte(`{"room":"r1"}`)))
	got, err = s.Ticket(ctx, "b")
	must(t, err)
	if got.State != store.StateAssigned || got.MatchID != "m2" || string(got.Assignment) != `{"room":"r1"}` {
		t.Fatalf("assigned ticket reads %+v", got)
	}
}

func testRevocations(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	must(t, s.Revoke(ctx, "s1", shortTTL))
	must(t, s.Revoke(ctx, "s2", time.Hour))
	for _, c := range []struct {
		sid  string
		want bool
	}{{"s1", true}, {"s2", true}, {"s3", false}} {
		got, err := s.Revoked(ctx, c.sid)
		must(t, err)
		if got != c.want {
			t.Fatalf("Revoked(%s) = %v", c.sid, got)
		}
	}
	eventually(t, "revocation of s1 to expire", func() bool {
		got, err := s.Revoked(ctx, "s1")
		must(t, err)
		return !got
	})
	if got, _ := s.Revoked(ctx, "s2"); !got {
		t.Fatal("s2 expired early")
	}
}

func testLimiter(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	l := store.Limit{Rate: 1, Burst: 3}
	for i := range 3 {
		ok, _, err := s.Allow(ctx, "k", l, t0)
		must(t, err)
		if !ok {
			t.Fatalf("request %d within burst refused", i)
		}
	}
	ok, retry, err := s.Allow(ctx, "k", l, t0)
	must(t, err)
	if ok || retry < 900*time.Millisecond || retry > 1100*time.Millisecond {
		t.Fatalf("over burst: ok=%v retry=%v, want refused with ~1s", ok, retry)
	}
	if ok, _, _ := s.Allow(ctx, "other", l, t0); !ok {
		t.Fatal("another key was limited")
	}
	ok, _, err = s.Allow(ctx, "k", l, t0.Add(time.Second))
	must(t, err)
	if !ok {
		t.Fatal("a token did not come back after 1s")
	}
	if ok, _, _ := s.Allow(ctx, "k", l, t0.Add(time.Second)); ok {
		t.Fatal("two tokens came back after 1s")
	}
}

func testRegistry(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	must(t, s.PutServer(ctx, store.ServerRecord{ID: "b", ExpiresAt: t0.Add(time.Minute), Data: []byte("b1")}))
	must(t, s.PutServer(ctx, store.ServerRecord{ID: "a", ExpiresAt: t0.Add(time.Minute), Data: []byte("a1")}))
	must(t, s.PutServer(ctx, store.ServerRecord{ID: "c", ExpiresAt: t0.Add(-time.Second), Data: []byte("c1")}))
	must(t, s.PutServer(ctx, store.ServerRecord{ID: "b", ExpiresAt: t0.Add(2 * time.Minute), Data: []byte("b2")}))
	got, err := s.Servers(ctx, t0)
	must(t, err)
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" || string(got[1].Data) != "b2" || !got[1].ExpiresAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("servers %+v", got)
	}
	got, err = s.Servers(ctx, t0.Add(90*time.Second))
	must(t, err)
	if len(got) != 1 || got[0].ID != "b" {
		t.Fatalf("after a's TTL: %+v", got)
	}
}

// testPlaced: AddPlaced counts per server until the server's next
// heartbeat round; the same round stored again (by another replica) keeps
// the count; round 0 always resets it.
func testPlaced(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	placed := func() map[string]int {
		t.Helper()
		got, err := s.Servers(ctx, t0)
		must(t, err)
		out := map[string]int{}
		for _, r := range got {
			out[r.ID] = r.Placed
		}
		return out
	}
	put := func(id string, seq uint64) {
		must(t, s.PutServer(ctx, store.ServerRecord{ID: id, ExpiresAt: t0.Add(time.Minute), Data: []byte(id), Seq: seq}))
	}
	put("a", 1)
	put("b", 0)
	for range 3 {
		must(t, s.AddPlaced(ctx, "a"))
	}
	must(t, s.AddPlaced(ctx, "b"))
	if got := placed(); got["a"] != 3 || got["b"] != 1 {
		t.Fatalf("placed %v, want a=3 b=1", got)
	}
	put("a", 1) // the same round, delivered to another replica
	put("b", 0) // unknown round
	if got := placed(); got["a"] != 3 || got["b"] != 0 {
		t.Fatalf("after repeated round: placed %v, want a=3 b=0", got)
	}
	put("a", 2)
	must(t, s.AddPlaced(ctx, "b"))
	if got := placed(); got["a"] != 0 || got["b"] != 1 {
		t.Fatalf("after a new round: placed %v, want a=0 b=1", got)
	}
}

func testLeases(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	lease := func(owner string, ttl time.Duration) bool {
		ok, err := s.Lease(ctx, "q", owner, ttl)
		must(t, err)
		return ok
	}
	if !lease("a", shortTTL) {
		t.Fatal("a did not get a free lease")
	}
	if lease("b", time.Second) {
		t.Fatal("b took a's lease")
	}
	if !lease("a", shortTTL) {
		t.Fatal("a could not renew")
	}
	eventually(t, "b to get the lease after a's expires", func() bool { return lease("b", time.Hour) })
	if lease("a", time.Second) {
		t.Fatal("a took b's lease")
	}
}

func recv(t *testing.T, sub store.Subscription) []byte {
	t.Helper()
	select {
	case p := <-sub.C():
		return p
	case <-time.After(20 * time.Second):
		t.Fatal("no payload within 20s")
		return nil
	}
}

func testEvents(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a1, err := s.Subscribe(ctx, "p1")
	must(t, err)
	a2, err := s.Subscribe(ctx, "p1")
	must(t, err)
	b, err := s.Subscribe(ctx, "p2")
	must(t, err)
	defer b.Close()
	must(t, s.Publish(ctx, "p1", []byte("one")))
	must(t, s.Publish(ctx, "p1", []byte("two")))
	for _, sub := range []store.Subscription{a1, a2} {
		if got := string(recv(t, sub)); got != "one" {
			t.Fatalf("first payload %q", got)
		}
		if got := string(recv(t, sub)); got != "two" {
			t.Fatalf("second payload %q", got)
		}
	}
	must(t, s.Publish(ctx, "p2", []byte("for b")))
	if got := string(recv(t, b)); got != "for b" {
		t.Fatalf("p2 payload %q", got)
	}
	a1.Close()
	must(t, s.Publish(ctx, "p1", []byte("three")))
	if got := string(recv(t, a2)); got != "three" {
		t.Fatalf("after closing a sibling: %q", got)
	}
	select {
	case p := <-a1.C():
		t.Fatalf("closed subscription got %q", p)
	case p := <-b.C():
		t.Fatalf("p2 got p1's payload %q", p)
	default:
	}
	a2.Close()
	// Resubscribing after the last subscriber left works again.
	c, err := s.Subscribe(ctx, "p1")
	must(t, err)
	defer c.Close()
	must(t, s.Publish(ctx, "p1", []byte("four")))
	if got := string(recv(t, c)); got != "four" {
		t.Fatalf("after resubscribe: %q", got)
	}
}

func testEndTicket(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	must(t, s.Enqueue(ctx, rec("a", "m", "pa"), 10))
	if err := s.EndTicket(ctx, "a", "m1", "team_win", "match_over"); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("ending a queued ticket: %v, want ErrStateConflict", err)
	}
	if err := s.EndTicket(ctx, "zz", "m1", "team_win", "match_over"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ending an unknown ticket: %v, want ErrNotFound", err)
	}
	ok, err := s.Claim(ctx, "m", "m1", []string{"a"}, t0)
	must(t, err)
	if !ok {
		t.Fatal("claim failed")
	}
	must(t, s.Settle(ctx, "a", "m1", store.Outcome{State: store.StateAssigned, Assignment: []byte(`{"room":"r1"}`)}))
	if err := s.EndTicket(ctx, "a", "m2", "team_win", "match_over"); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("ending under another match: %v, want ErrStateConflict", err)
	}
	must(t, s.EndTicket(ctx, "a", "m1", "aborted", "room_server_restarted"))
	got, err := s.Ticket(ctx, "a")
	must(t, err)
	if got.State != store.StateEnded || got.Outcome != "aborted" || got.Reason != "room_server_restarted" || got.MatchID != "m1" || string(got.Assignment) != `{"room":"r1"}` {
		t.Fatalf("ended ticket reads %+v", got)
	}
	if err := s.EndTicket(ctx, "a", "m1", "aborted", "room_server_restarted"); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("a repeated end: %v, want ErrStateConflict", err)
	}
	// The player is free to queue again.
	must(t, s.Enqueue(ctx, rec("b", "m", "pa"), 10))
	states, err := s.States(ctx, []string{"a", "zz", "b"})
	must(t, err)
	if !slices.Equal(states, []store.TicketState{store.StateEnded, "", store.StateQueued}) {
		t.Fatalf("States(a, zz, b) = %q, want [ended \"\" queued]", states)
	}
}
