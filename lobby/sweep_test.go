package lobby

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pantheon-oracles/pantheon/contract"
	"github.com/pantheon-oracles/pantheon/internal/testsvc"
	"github.com/pantheon-oracles/pantheon/lobby/fleet/fleettest"
	"github.com/pantheon-oracles/pantheon/lobby/internal/fakedb"
	"github.com/pantheon-oracles/pantheon/lobby/store"
	"github.com/pantheon-oracles/pantheon/lobby/store/storetest"
)

// stateStores lists the state stores lobby-level tests run on: memory, and
// Redis under a fresh prefix (skipped, or failed in CI, without Redis).
func stateStores() []struct {
	name string
	open func(t *testing.T) store.Store
} {
	return []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"state=memory", func(*testing.T) store.Store { return store.NewMemory(store.MemoryConfig{}) }},
		{"state=redis", func(t *testing.T) store.Store {
			url := testsvc.Redis(t)
			return redisStore(t, url, storetest.RedisPrefix(t, url))
		}},
	}
}

// readStatus reads queue_status events until one for ticket in state with
// reason.
func readStatus(t testing.TB, ws *websocket.Conn, ticket string, state store.TicketState, reason string) Event {
	t.Helper()
	for {
		ev := readEvent(t, ws, EventQueueStatus)
		if ev.TicketID == ticket && ev.State == state && ev.Reason == reason {
			return ev
		}
	}
}

// queuedPlayer is a logged-in player with its push connection and ticket.
type queuedPlayer struct {
	tok tokenResponse
	ws  *websocket.Conn
	tk  ticketView
}

// TestSweepStuckClaims: tickets claimed by a replica that never settles
// them (it died) are requeued after AssignDeadline with their original
// enqueue time, matched again, and failed instead when past the ticket TTL;
// players are told on the push channel and a late settle by the dead match
// is refused.
func TestSweepStuckClaims(t *testing.T) {
	for _, s := range stateStores() {
		t.Run(s.name, func(t *testing.T) { testSweepStuckClaims(t, s.open(t)) })
	}
}

func testSweepStuckClaims(t *testing.T, st store.Store) {
	ctx := context.Background()
	clk := &clock{t: time.Now()}
	h := newHarness(t, st, func(c *Config, d *Deps) { d.Now = clk.Now })
	deadline := h.l.Config().AssignDeadline
	if deadline != 30*time.Second {
		t.Fatalf("default assign deadline %v, want 30s", deadline)
	}
	const mode = "battle_1v1"
	ps := make([]queuedPlayer, 4)
	for i := range ps {
		ps[i].tok = h.guest(fmt.Sprintf("device-sweep-%06d", i))
		h.oracle(ps[i].tok.AccessToken, "h", contract.RoleHost)
		ws, _, err := dialEvents(t, h.url, ps[i].tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		ps[i].ws = ws
	}
	for i := range 2 {
		ps[i].tk = h.queue(ps[i].tok.AccessToken, mode, "h")
	}
	// A replica claims the pair and dies before allocating.
	if ok, err := st.Claim(ctx, mode, "m_dead", []string{ps[0].tk.ID, ps[1].tk.ID}, clk.Now()); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	rep, err := h.l.Sweep(ctx, mode)
	if err != nil || !rep.Leader || rep.Stuck != 0 {
		t.Fatalf("sweep before the deadline %+v %v", rep, err)
	}
	expect(t, "queue while claimed", h.do("POST", "/v1/tickets", ps[0].tok.AccessToken, ticketRequest{Mode: mode, OracleID: "h"}), 409, CodeAlreadyQueued)

	clk.Add(deadline + time.Second)
	rep, err = h.l.Sweep(ctx, mode)
	if err != nil || rep.Stuck != 2 || rep.Requeued != 2 || rep.Failed != 0 {
		t.Fatalf("sweep after the deadline %+v %v", rep, err)
	}
	for i := range 2 {
		ev := readStatus(t, ps[i].ws, ps[i].tk.ID, store.StateQueued, ReasonAssignTimeout)
		if ev.WaitedMs < deadline.Milliseconds() || ev.Window <= h.l.Config().Policy.Window.Base {
			t.Fatalf("player %d told %+v", i, ev)
		}
		var v ticketView
		h.do("GET", "/v1/tickets/"+ps[i].tk.ID, ps[i].tok.AccessToken, nil).decode(t, &v)
		if v.State != store.StateQueued || v.Reason != ReasonAssignTimeout || !v.EnqueuedAt.Equal(ps[i].tk.EnqueuedAt) {
			t.Fatalf("swept ticket %+v, enqueued %v", v, ps[i].tk.EnqueuedAt)
		}
	}
	if err := st.Settle(ctx, ps[0].tk.ID, "m_dead", store.Outcome{State: store.StateAssigned, Assignment: []byte("late")}); !errors.Is(err, store.ErrStateConflict) {
		t.Fatalf("the dead match settled a swept ticket: %v", err)
	}
	if rep, err := h.l.Sweep(ctx, mode); err != nil || rep.Stuck != 0 {
		t.Fatalf("second sweep %+v %v", rep, err)
	}
	// Back in the queue, they are matched and placed.
	h.heartbeat("room-1")
	prep, err := h.l.Pass(ctx, mode)
	if err != nil || prep.Assigned != 1 {
		t.Fatalf("pass after the sweep %+v %v", prep, err)
	}
	for i := range 2 {
		if ev := readEvent(t, ps[i].ws, EventMatchFound); ev.TicketID != ps[i].tk.ID {
			t.Fatalf("player %d match_found %+v", i, ev)
		}
	}

	// Claimed past the ticket TTL: failed, and the players may queue again.
	for i := 2; i < 4; i++ {
		ps[i].tk = h.queue(ps[i].tok.AccessToken, mode, "h")
	}
	clk.Add(h.l.Config().Policy.TicketTTL - deadline/2)
	if ok, err := st.Claim(ctx, mode, "m_dead2", []string{ps[2].tk.ID, ps[3].tk.ID}, clk.Now()); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	clk.Add(deadline + time.Second)
	rep, err = h.l.Sweep(ctx, mode)
	if err != nil || rep.Failed != 2 || rep.Requeued != 0 {
		t.Fatalf("sweep past the TTL %+v %v", rep, err)
	}
	for i := 2; i < 4; i++ {
		if ev := readStatus(t, ps[i].ws, ps[i].tk.ID, store.StateFailed, ReasonAssignTimeout); ev.WaitedMs < h.l.Config().Policy.TicketTTL.Milliseconds() {
			t.Fatalf("player %d told %+v", i, ev)
		}
		var v ticketView
		h.do("GET", "/v1/tickets/"+ps[i].tk.ID, ps[i].tok.AccessToken, nil).decode(t, &v)
		if v.State != store.StateFailed || v.Reason != ReasonAssignTimeout {
			t.Fatalf("failed ticket %+v", v)
		}
		h.queue(ps[i].tok.AccessToken, mode, "h")
	}
}

// dyingStore is a replica's view of the shared store that goes dark right
// after its first successful claim: every later call fails as if the
// process had been killed between claim and room assignment.
type dyingStore struct {
	store.Store
	dead atomic.Bool
}

var errKilled = fmt.Errorf("replica killed: %w", store.ErrUnavailable)

func (d *dyingStore) Claim(ctx context.Context, mode, matchID string, ids []string, now time.Time) (bool, error) {
	if d.dead.Load() {
		return false, errKilled
	}
	ok, err := d.Store.Claim(ctx, mode, matchID, ids, now)
	if ok {
		d.dead.Store(true)
	}
	return ok, err
}

func (d *dyingStore) Servers(ctx context.Context, now time.Time) ([]store.ServerRecord, error) {
	if d.dead.Load() {
		return nil, errKilled
	}
	return d.Store.Servers(ctx, now)
}

func (d *dyingStore) Settle(ctx context.Context, id, matchID string, out store.Outcome) error {
	if d.dead.Load() {
		return errKilled
	}
	return d.Store.Settle(ctx, id, matchID, out)
}

func (d *dyingStore) Transition(ctx context.Context, id string, from, to store.TicketState, assignment []byte) error {
	if d.dead.Load() {
		return errKilled
	}
	return d.Store.Transition(ctx, id, from, to, assignment)
}

func (d *dyingStore) Publish(ctx context.Context, topic string, payload []byte) error {
	if d.dead.Load() {
		return errKilled
	}
	return d.Store.Publish(ctx, topic, payload)
}

func (d *dyingStore) Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if d.dead.Load() {
		return false, errKilled
	}
	return d.Store.Lease(ctx, name, owner, ttl)
}

// TestReplicaKilledBetweenClaimAndAssignment: replica A claims a match on
// the shared Redis and dies before allocating a room. Replica B, running
// its matchmaker loop with the sweeper on, requeues the tickets once the
// assignment deadline passes, matches them again once A's lease lapses,
// and the players, whose push connections are on B, are told both.
func TestReplicaKilledBetweenClaimAndAssignment(t *testing.T) {
	url := testsvc.Redis(t)
	prefix := storetest.RedisPrefix(t, url)
	db := fakedb.New()
	rs := fleettest.New(t, testFleet)
	fast := func(id string, loop bool) func(*Config) {
		return func(c *Config) {
			c.ReplicaID = id
			c.LeaseTTL = 3 * time.Second
			// B's own allocation must never time out or outlive the
			// assignment deadline, or B's sweeper requeues B's live claim
			// and the room server sees two requests: 2 s for a loopback
			// call (200 ms failed under load), and a deadline past it.
			c.AllocTimeout, c.AllocAttempts = 2*time.Second, 1
			c.AssignDeadline = 3 * time.Second
			c.SweepInterval = 50 * time.Millisecond
			if loop {
				c.PassInterval = 20 * time.Millisecond
			}
		}
	}
	dying := &dyingStore{Store: redisStore(t, url, prefix)}
	a, urlA := replica(t, dying, db, fast("replica-a", false))
	const mode = "battle_1v1"
	// A takes the mode's lease before B exists, so B cannot pass before A
	// claims. (Started first, B's loop could take the lease while A's
	// first pass waited on a slow machine.)
	if rep, err := a.Pass(context.Background(), mode); err != nil || !rep.Leader {
		t.Fatalf("A's first pass %+v %v: want A the leader", rep, err)
	}
	_, urlB := replica(t, redisStore(t, url, prefix), db, fast("replica-b", true))
	expect(t, "heartbeat", doReq(t, urlB, "POST", "/v1/servers/heartbeat", testFleet, rs.Heartbeat("room-1")), 200, "")
	ps := make([]queuedPlayer, 2)
	for i := range ps {
		r := doReq(t, urlA, "POST", "/v1/auth/guest", "", guestRequest{DeviceID: fmt.Sprintf("device-killed-%05d", i)})
		expect(t, "login", r, 200, "")
		r.decode(t, &ps[i].tok)
		expect(t, "oracle", doReq(t, urlA, "PUT", "/v1/me/oracles/h", ps[i].tok.AccessToken, oracleBody{Archetype: "aries", Role: contract.RoleHost}), 201, "")
		ws, _, err := dialEvents(t, urlB, ps[i].tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		ps[i].ws = ws
	}
	// A renews its lease (3 s) just before the two tickets and its
	// claiming pass, however long the set-up above took.
	if rep, err := a.Pass(context.Background(), mode); err != nil || !rep.Leader || rep.Claimed != 0 {
		t.Fatalf("A's renewing pass %+v %v: want A the leader, nothing to claim", rep, err)
	}
	for i := range ps {
		r := doReq(t, urlA, "POST", "/v1/tickets", ps[i].tok.AccessToken, ticketRequest{Mode: mode, OracleID: "h"})
		expect(t, "queue", r, 201, "")
		r.decode(t, &ps[i].tk)
	}
	rep, err := a.Pass(context.Background(), mode)
	if err != nil || rep.Claimed != 1 || rep.Assigned != 0 || !dying.dead.Load() {
		t.Fatalf("A's claiming pass %+v %v (dead %v)", rep, err, dying.dead.Load())
	}
	if n := len(rs.Requests()); n != 0 {
		t.Fatalf("the killed replica reached the room server %d times", n)
	}
	for i, p := range ps {
		readStatus(t, p.ws, p.tk.ID, store.StateQueued, ReasonAssignTimeout)
		found := readEvent(t, p.ws, EventMatchFound)
		if found.TicketID != p.tk.ID || found.Match == nil || found.Match.PlayerID != p.tok.PlayerID {
			t.Fatalf("player %d match_found %+v", i, found)
		}
	}
	reqs := rs.Requests()
	if len(reqs) != 1 || len(reqs[0].Seats) != 2 {
		t.Fatalf("room server requests %+v, want one room for both", reqs)
	}
	for i, p := range ps {
		var v ticketView
		doReq(t, urlB, "GET", "/v1/tickets/"+p.tk.ID, p.tok.AccessToken, nil).decode(t, &v)
		if v.State != store.StateAssigned || v.MatchID != reqs[0].MatchID || !v.EnqueuedAt.Equal(p.tk.EnqueuedAt) {
			t.Fatalf("player %d ticket %+v", i, v)
		}
	}
}

// TestAssignDeadlineValidation: the assignment deadline must outlast the
// longest allocation a live replica makes, or the sweeper would requeue
// matches still being placed.
func TestAssignDeadlineValidation(t *testing.T) {
	cfg := testConfig()
	cfg.AllocAttempts, cfg.AllocTimeout = 3, 2*time.Second
	for _, c := range []struct {
		deadline time.Duration
		ok       bool
	}{{6 * time.Second, false}, {5 * time.Second, false}, {7 * time.Second, true}, {0, true}} {
		cfg.AssignDeadline = c.deadline
		if err := cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("assign deadline %v with 3 x 2s allocations: %v, want ok=%v", c.deadline, err, c.ok)
		}
	}
	cfg.AssignDeadline, cfg.SweepBatch = 0, -1
	if err := cfg.Validate(); err == nil {
		t.Error("negative sweep batch accepted")
	}
}
